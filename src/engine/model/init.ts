/**
 * Fresh MLP weights with Keras' Dense defaults: glorot_uniform kernels
 * (U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))) and zero biases. Layer names
 * follow Keras' auto-naming in a fresh session: 'dense', 'dense_1', 'dense_2', …
 */
import type { ModelConfig } from '../../protocol/config';
import { Rng } from '../util/random';
import type { DenseLayer, MlpModel } from './mlp';

export function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) {
    w[i] = rng.uniform(-limit, limit);
  }
  return w;
}

export function kerasDenseName(index: number): string {
  return index === 0 ? 'dense' : `dense_${index}`;
}

export function initMlp(cfg: ModelConfig, inputDim: number, classes: number, seed: number, name: string): MlpModel {
  const rng = new Rng(seed);
  const widths = [...cfg.hidden, classes];
  const layers: DenseLayer[] = [];
  let fanIn = inputDim;
  widths.forEach((units, i) => {
    const last = i === widths.length - 1;
    layers.push({
      name: kerasDenseName(i),
      inputDim: fanIn,
      units,
      activation: last ? cfg.outputActivation : cfg.hiddenActivation,
      kernel: glorotUniform(fanIn, units, rng),
      bias: new Float32Array(units),
    });
    fanIn = units;
  });
  return { name, inputDim, layers };
}
