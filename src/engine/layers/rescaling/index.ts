/** Rescaling: `x · scale + offset` (e.g. scale 1/255 to bring pixels to [0, 1] inside the model). */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { singleInput } from '../common/conv';
import { rescalingTflite } from './tflite';

export interface RescalingConfig extends Record<string, unknown> {
  scale: number;
  offset: number;
}

export const rescaling: LayerKind<RescalingConfig> = {
  className: 'Rescaling',
  tflite: rescalingTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { scale: r.num('scale'), offset: r.num('offset', 0) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), scale: c.scale, offset: c.offset };
  },
  outputShape(_c, inputShapes) {
    return [...singleInput(inputShapes, 'Rescaling')];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    const y = tf.mul(inputs[0], c.scale);
    return c.offset === 0 ? y : tf.add(y, c.offset);
  },
  macs() {
    return 0;
  },
};
