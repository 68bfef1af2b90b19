/** Reshape: a new per-sample shape (`target_shape`, one entry may be -1), same element order. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { product, singleInput } from '../common/conv';
import { BadInputError } from '../../errors';
import { reshapeTflite } from './tflite';

export interface ReshapeConfig extends Record<string, unknown> {
  targetShape: number[];
}

export const reshape: LayerKind<ReshapeConfig> = {
  className: 'Reshape',
  tflite: reshapeTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    const v = r.get('target_shape');
    if (!Array.isArray(v) || v.length === 0 || !v.every((d) => typeof d === 'number' && Number.isInteger(d) && (d >= 1 || d === -1) && d <= 1 << 24) || v.filter((d) => d === -1).length > 1) {
      r.fail('target_shape', `must be a list of positive sizes with at most one -1, got ${JSON.stringify(v)}.`);
    }
    return { targetShape: v as number[] };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), target_shape: c.targetShape };
  },
  outputShape(c, inputShapes) {
    const n = product(singleInput(inputShapes, 'Reshape'));
    const known = product(c.targetShape.filter((d) => d !== -1));
    const out = c.targetShape.map((d) => (d === -1 ? n / known : d));
    if (product(out) !== n || !out.every(Number.isInteger)) {
      throw new BadInputError(`Reshape: cannot reshape [${inputShapes[0].join(', ')}] (${n} values) to [${c.targetShape.join(', ')}].`);
    }
    return out;
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    const x = inputs[0];
    return tf.reshape(x, [x.shape[0], ...c.targetShape]);
  },
  macs() {
    return 0;
  },
};
