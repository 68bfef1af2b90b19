/** Activation: one of Keras' activation functions applied elementwise (softmax on the last axis). */
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { applyActivation, readActivation, type ActivationName } from '../common/activations';
import { singleInput } from '../common/conv';
import { activationTflite } from './tflite';

export interface ActivationConfig extends Record<string, unknown> {
  activation: ActivationName;
}

export const activation: LayerKind<ActivationConfig> = {
  className: 'Activation',
  tflite: activationTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    if (!r.has('activation')) {
      r.fail('activation', 'is missing.');
    }
    return { activation: readActivation(r) };
  },
  kerasConfig(c, node) {
    return { ...kerasBase(node.name), activation: c.activation };
  },
  outputShape(_c, inputShapes) {
    return [...singleInput(inputShapes, 'Activation')];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(c, _w, inputs) {
    return applyActivation(c.activation, inputs[0]);
  },
  macs() {
    return 0;
  },
};
