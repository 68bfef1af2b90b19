/** Add: the elementwise sum of two or more inputs of the same shape (residual connections). */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { kerasBase } from '../common/config';
import { BadInputError } from '../../errors';
import { addTflite } from './tflite';

export const add: LayerKind = {
  className: 'Add',
  tflite: addTflite,
  parseConfig() {
    return {};
  },
  kerasConfig(_c, node) {
    return kerasBase(node.name);
  },
  outputShape(_c, inputShapes) {
    if (inputShapes.length < 2) {
      throw new BadInputError(`Add needs at least 2 inputs, got ${inputShapes.length}.`);
    }
    const first = inputShapes[0].join(',');
    if (!inputShapes.every((s) => s.join(',') === first)) {
      throw new BadInputError(`Add: the inputs' shapes differ (${inputShapes.map((s) => `[${s.join(', ')}]`).join(', ')}); they must be equal.`);
    }
    return [...inputShapes[0]];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(_c, _w, inputs) {
    return inputs.length === 2 ? tf.add(inputs[0], inputs[1]) : tf.addN(inputs);
  },
  macs() {
    return 0;
  },
};
