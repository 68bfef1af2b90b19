/**
 * The model every engine part shares: a stack of Dense layers as plain typed arrays.
 * Trainers, pruning, exporters (TF.js, Keras .h5, TFLite) and reports all read and write
 * this shape, so none of them depends on another's runtime.
 */
import type { Activation } from '../../protocol/config';

export interface DenseLayer {
  /** Keras-style layer name, e.g. 'dense', 'dense_1'. */
  name: string;
  inputDim: number;
  units: number;
  activation: Activation;
  /** Row-major [inputDim, units]: the Keras kernel layout (TFLite wants the transpose). */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface MlpModel {
  /** Logical model name used for file names, e.g. 'mnist_model', 'pruned_mnist_model'. */
  name: string;
  inputDim: number;
  layers: DenseLayer[];
}

export function paramCount(model: MlpModel): number {
  return model.layers.reduce((n, l) => n + l.kernel.length + l.bias.length, 0);
}

export function cloneModel(model: MlpModel, name = model.name): MlpModel {
  return {
    name,
    inputDim: model.inputDim,
    layers: model.layers.map((l) => ({ ...l, kernel: l.kernel.slice(), bias: l.bias.slice() })),
  };
}
