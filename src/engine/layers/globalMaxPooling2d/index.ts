/** GlobalMaxPooling2D (NHWC): the maximum over height and width, per channel. */
import * as tf from '@tensorflow/tfjs-core';
import { globalPoolKind } from '../common/pool';
import { globalMaxPooling2dTflite } from './tflite';

export const globalMaxPooling2d = { ...globalPoolKind('GlobalMaxPooling2D', (x, keepDims) => tf.max(x, [1, 2], keepDims)), tflite: globalMaxPooling2dTflite };
