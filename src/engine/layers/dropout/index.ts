/**
 * Dropout: in training, zeroes each value with probability `rate` and scales the rest by
 * 1 / (1 − rate) (inverted dropout, as Keras); at inference it is the identity.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { singleInput } from '../common/conv';
import { dropoutTflite } from './tflite';

export interface DropoutConfig extends Record<string, unknown> {
  rate: number;
}

export const dropout: LayerKind<DropoutConfig> = {
  className: 'Dropout',
  tflite: dropoutTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    r.refuseUnless('noise_shape', (v) => v === null, 'only element-wise dropout (noise_shape null) is supported.');
    return { rate: r.num('rate', undefined, [0, 0.999999]) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), rate: c.rate, noise_shape: null, seed: null };
  },
  outputShape(_c, inputShapes) {
    return [...singleInput(inputShapes, 'Dropout')];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  trainingDiffers: true,
  forward(c, _w, inputs, training, ctx) {
    if (!training || c.rate === 0) {
      return inputs[0];
    }
    return tf.dropout(inputs[0], c.rate, undefined, ctx?.seed);
  },
  macs() {
    return 0;
  },
};
