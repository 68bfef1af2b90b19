/**
 * The reference MNIST MLP as a graph (InputLayer 'dense_input' [784] → Dense 'dense' 128
 * relu → Dense 'dense_1' 10 softmax, Keras' names), and the bridge to the older MlpModel
 * the SIMD kernel and the Dense-only exporters take: a graph that is a pure Dense stack
 * (Flatten/Dropout/InputLayer allowed around it) converts both ways.
 */
import type { ModelConfig } from '../../protocol/config';
import type { DenseLayer, MlpModel } from '../model/mlp';
import { buildSequential } from './build';
import type { DenseConfig } from '../layers/dense';
import type { ModelGraph } from './types';

/**
 * `cfg.hidden` Dense layers then the output layer; weights equal initMlp's for the same seed
 * (same draws in the same order), so figures measured on the MLP carry over.
 */
export function referenceMlpGraph(cfg: Pick<ModelConfig, 'hidden' | 'hiddenActivation' | 'outputActivation'>, inputDim: number, classes: number, seed: number, name: string): ModelGraph {
  const widths = [...cfg.hidden, classes];
  return buildSequential(
    name,
    [inputDim],
    widths.map((units, i) => ({ className: 'Dense', config: { units, activation: i === widths.length - 1 ? cfg.outputActivation : cfg.hiddenActivation } })),
    seed,
  );
}

export function mlpToGraph(model: MlpModel): ModelGraph {
  const input = `${model.layers[0]?.name ?? 'dense'}_input`;
  return {
    name: model.name,
    inputs: [input],
    outputs: [model.layers[model.layers.length - 1].name],
    layers: [
      { name: input, className: 'InputLayer', config: { shape: [model.inputDim] }, inbound: [], weights: [] },
      ...model.layers.map((l, i) => ({
        name: l.name,
        className: 'Dense',
        config: { units: l.units, activation: l.activation, useBias: true },
        inbound: [i === 0 ? input : model.layers[i - 1].name],
        weights: [
          { name: 'kernel', shape: [l.inputDim, l.units], data: l.kernel.slice(), trainable: true },
          { name: 'bias', shape: [l.units], data: l.bias.slice(), trainable: true },
        ],
      })),
    ],
  };
}

/**
 * The MlpModel of a graph that is InputLayer [n] → Dense… (relu/softmax/linear, with bias)
 * in a chain, or null with the reason it is not one.
 */
export function graphToMlp(graph: ModelGraph): { model: MlpModel; reason: '' } | { model: null; reason: string } {
  const [input, ...rest] = graph.layers;
  const shape = (input?.config as { shape?: number[] }).shape;
  if (input?.className !== 'InputLayer' || !shape || shape.length !== 1) {
    return { model: null, reason: 'the input is not a flat vector' };
  }
  const layers: DenseLayer[] = [];
  let prev = input.name;
  let inputDim = shape[0];
  for (const l of rest) {
    if (l.className !== 'Dense' || l.inbound.length !== 1 || l.inbound[0] !== prev) {
      return { model: null, reason: `layer '${l.name}' is a ${l.className}, not part of a Dense chain` };
    }
    const c = l.config as DenseConfig;
    if (!c.useBias || !['relu', 'softmax', 'linear'].includes(c.activation)) {
      return { model: null, reason: `layer '${l.name}' has activation '${c.activation}'${c.useBias ? '' : ' and no bias'}` };
    }
    layers.push({ name: l.name, inputDim, units: c.units, activation: c.activation as DenseLayer['activation'], kernel: l.weights[0].data.slice(), bias: l.weights[1].data.slice() });
    inputDim = c.units;
    prev = l.name;
  }
  if (layers.length === 0 || graph.outputs[0] !== prev) {
    return { model: null, reason: 'the model has no Dense output layer' };
  }
  return { model: { name: graph.name, inputDim: shape[0], layers }, reason: '' };
}
