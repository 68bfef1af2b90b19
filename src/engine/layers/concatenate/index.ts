/** Concatenate: joins its inputs along `axis` (default -1, the channels); other dimensions must agree. */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { BadInputError } from '../../errors';
import type { Shape } from '../../graph/types';
import { concatenateTflite } from './tflite';

export interface ConcatenateConfig extends Record<string, unknown> {
  /** As written (batch axis counted), e.g. -1 or 3. */
  axis: number;
}

/** The per-sample axis index (batch dimension dropped) of `axis` for inputs of per-sample rank `rank`. */
function sampleAxis(axis: number, rank: number): number {
  const a = axis < 0 ? rank + 1 + axis : axis;
  if (a < 1 || a > rank) {
    throw new BadInputError(`Concatenate: axis ${axis} does not exist for inputs of rank ${rank + 1} (batch included); the batch axis cannot be concatenated.`);
  }
  return a - 1;
}

export const concatenate: LayerKind<ConcatenateConfig> = {
  className: 'Concatenate',
  tflite: concatenateTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { axis: r.int('axis', -1, -64) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), axis: c.axis };
  },
  outputShape(c, inputShapes: Shape[]) {
    if (inputShapes.length < 2) {
      throw new BadInputError(`Concatenate needs at least 2 inputs, got ${inputShapes.length}.`);
    }
    const rank = inputShapes[0].length;
    const a = sampleAxis(c.axis, rank);
    const out = [...inputShapes[0]];
    out[a] = 0;
    for (const s of inputShapes) {
      if (s.length !== rank || s.some((d, i) => i !== a && d !== inputShapes[0][i])) {
        throw new BadInputError(`Concatenate: shapes ${inputShapes.map((x) => `[${x.join(', ')}]`).join(', ')} differ outside axis ${c.axis}.`);
      }
      out[a] += s[a];
    }
    return out;
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    return tf.concat(inputs, sampleAxis(c.axis, inputs[0].rank - 1) + 1);
  },
  macs() {
    return 0;
  },
};
