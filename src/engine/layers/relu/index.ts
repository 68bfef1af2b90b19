/**
 * ReLU layer with Keras' options: f(x) = max_value for x ≥ max_value, x for
 * threshold ≤ x < max_value, negative_slope · (x − threshold) otherwise.
 * ReLU(max_value=6) is MobileNet's relu6.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { singleInput } from '../common/conv';
import { reluTflite } from './tflite';

export interface ReLUConfig extends Record<string, unknown> {
  maxValue: number | null;
  negativeSlope: number;
  threshold: number;
}

export const relu: LayerKind<ReLUConfig> = {
  className: 'ReLU',
  tflite: reluTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return {
      maxValue: r.has('max_value') && r.get('max_value') !== null ? r.num('max_value', undefined, [0, Infinity]) : null,
      negativeSlope: r.num('negative_slope', 0, [0, Infinity]),
      threshold: r.num('threshold', 0),
    };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), max_value: c.maxValue, negative_slope: c.negativeSlope, threshold: c.threshold };
  },
  outputShape(_c, inputShapes) {
    return [...singleInput(inputShapes, 'ReLU')];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    const x = inputs[0];
    if (c.maxValue === 6 && c.negativeSlope === 0 && c.threshold === 0) {
      // PERF (issue 15): MobileNet's relu6 as one kernel (same values and gradient as
      // minimum(relu(x), 6)); the wasm backend's broadcasting Minimum was 20 % of a step.
      return tf.relu6(x);
    }
    let y: tf.Tensor;
    if (c.negativeSlope === 0 && c.threshold === 0) {
      y = tf.relu(x);
    } else {
      const below = c.negativeSlope === 0 ? tf.zerosLike(x) : tf.mul(tf.sub(x, c.threshold), c.negativeSlope);
      y = tf.where(tf.greaterEqual(x, c.threshold), x, below);
    }
    return c.maxValue === null ? y : tf.minimum(y, c.maxValue);
  },
  macs() {
    return 0;
  },
};
