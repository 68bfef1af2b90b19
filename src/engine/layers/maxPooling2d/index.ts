/** MaxPooling2D (NHWC): the maximum of each window. */
import * as tf from '@tensorflow/tfjs-core';
import { poolKind } from '../common/pool';
import { maxPooling2dTflite } from './tflite';

export const maxPooling2d = { ...poolKind('MaxPooling2D', (x, c) => tf.maxPool(x, c.poolSize, c.strides, c.padding)), tflite: maxPooling2dTflite };
