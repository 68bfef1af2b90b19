/** AveragePooling2D (NHWC): the mean of each window ('same' averages only the real pixels, as TensorFlow). */
import * as tf from '@tensorflow/tfjs-core';
import { poolKind } from '../common/pool';
import { averagePooling2dTflite } from './tflite';

export const averagePooling2d = { ...poolKind('AveragePooling2D', (x, c) => tf.avgPool(x, c.poolSize, c.strides, c.padding)), tflite: averagePooling2dTflite };
