/** GlobalAveragePooling2D (NHWC): the mean over height and width, per channel. */
import * as tf from '@tensorflow/tfjs-core';
import { globalPoolKind } from '../common/pool';
import { globalAveragePooling2dTflite } from './tflite';

export const globalAveragePooling2d = { ...globalPoolKind('GlobalAveragePooling2D', (x, keepDims) => tf.mean(x, [1, 2], keepDims)), tflite: globalAveragePooling2dTflite };
