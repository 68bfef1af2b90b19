/**
 * Dense: `activation(x · kernel + bias)` on the last axis (kernel [in, units], Keras'
 * layout). Inputs of higher rank are multiplied on their last axis, as Keras does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LAST_AXIS_CHANNELS, type LayerKind, type WeightSpec } from '../kind';
import { ConfigReader, GLOROT, kerasBase, NO_REGULARIZERS, ZEROS } from '../common/config';
import { applyActivation, readActivation, type ActivationName } from '../common/activations';
import { singleInput, product } from '../common/conv';
import { BadInputError } from '../../errors';
import { denseTflite } from './tflite';

export interface DenseConfig extends Record<string, unknown> {
  units: number;
  activation: ActivationName;
  useBias: boolean;
}

export const dense: LayerKind<DenseConfig> = {
  className: 'Dense',
  tflite: denseTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { units: r.int('units'), activation: readActivation(r), useBias: r.bool('use_bias', true) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), units: c.units, activation: c.activation, use_bias: c.useBias, kernel_initializer: GLOROT, bias_initializer: ZEROS, ...NO_REGULARIZERS };
  },
  outputShape(c, inputShapes) {
    const s = singleInput(inputShapes, 'Dense');
    return [...s.slice(0, -1), c.units];
  },
  weightSpecs(c, inputShapes) {
    const s = singleInput(inputShapes, 'Dense');
    if (s.length === 0) {
      throw new BadInputError('Dense needs an input with at least one dimension.');
    }
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [s[s.length - 1], c.units], trainable: true, init: 'glorot_uniform' }];
    if (c.useBias) {
      specs.push({ name: 'bias', shape: [c.units], trainable: true, init: 'zeros' });
    }
    return specs;
  },
  prunable: ['kernel'],
  int8Weights: [{ weight: 'kernel', channels: LAST_AXIS_CHANNELS }],
  forward(c, w, inputs) {
    const x = inputs[0];
    const inDim = x.shape[x.rank - 1];
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]);
    let y: tf.Tensor = tf.matMul(flat, w[0]);
    if (c.useBias) {
      y = tf.add(y, w[1]);
    }
    if (x.rank !== 2) {
      y = tf.reshape(y, [...x.shape.slice(0, -1), c.units]);
    }
    return applyActivation(c.activation, y);
  },
  macs(c, inputShapes) {
    return product(inputShapes[0]) * c.units;
  },
};
