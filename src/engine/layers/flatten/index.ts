/** Flatten: one row per sample, in NHWC order (Keras' channels_last order). */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { product, singleInput } from '../common/conv';
import { flattenTflite } from './tflite';

export const flatten: LayerKind = {
  className: 'Flatten',
  tflite: flattenTflite,
  parseConfig(keras, where) {
    new ConfigReader(keras, where).channelsLast();
    return {};
  },
  kerasConfig(_c, node) {
    return { ...kerasBase(node.name), data_format: 'channels_last' };
  },
  outputShape(_c, inputShapes) {
    return [product(singleInput(inputShapes, 'Flatten'))];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(_c, _w, inputs) {
    const x = inputs[0];
    return tf.reshape(x, [x.shape[0], -1]);
  },
  macs() {
    return 0;
  },
};
