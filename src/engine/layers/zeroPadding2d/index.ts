/** ZeroPadding2D (NHWC): zero rows above/below and columns left/right (`padding` int, pair, or pairs). */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { imageShape } from '../common/conv';
import { zeroPadding2dTflite } from './tflite';

export interface ZeroPadding2DConfig extends Record<string, unknown> {
  /** [[top, bottom], [left, right]]. */
  padding: [[number, number], [number, number]];
}

function readPadding(r: ConfigReader): [[number, number], [number, number]] {
  const v = r.get('padding');
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 1 << 16;
  if (v === undefined || v === null) {
    return [[1, 1], [1, 1]];
  }
  if (ok(v)) {
    return [[v, v], [v, v]];
  }
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) {
    return [[v[0], v[0]], [v[1], v[1]]];
  }
  if (Array.isArray(v) && v.length === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    const p = v as [[number, number], [number, number]];
    return [[p[0][0], p[0][1]], [p[1][0], p[1][1]]];
  }
  return r.fail('padding', `must be an int, a pair (rows, cols) or ((top, bottom), (left, right)), got ${JSON.stringify(v)}.`);
}

export const zeroPadding2d: LayerKind<ZeroPadding2DConfig> = {
  className: 'ZeroPadding2D',
  tflite: zeroPadding2dTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    r.channelsLast();
    return { padding: readPadding(r) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), padding: c.padding, data_format: 'channels_last' };
  },
  outputShape(c, inputShapes) {
    const [h, w, ch] = imageShape(inputShapes, 'ZeroPadding2D');
    return [h + c.padding[0][0] + c.padding[0][1], w + c.padding[1][0] + c.padding[1][1], ch];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    return tf.pad(inputs[0], [[0, 0], c.padding[0], c.padding[1], [0, 0]]);
  },
  macs() {
    return 0;
  },
};
