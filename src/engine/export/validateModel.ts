/**
 * Checks an MlpModel before any exporter writes a byte, so a bad model gives one clear
 * error and never a partial file.
 */
import type { MlpModel } from '../model/mlp';
import { BadInputError } from '../errors';

const ACTIVATIONS = new Set(['relu', 'softmax', 'linear']);

export function validateModel(model: MlpModel, format: string): void {
  const where = `${model.name || 'model'} (${format} export)`;
  if (!model.layers || model.layers.length === 0) {
    throw new BadInputError(`${where}: the model has no layers`, where);
  }
  let dim = model.inputDim;
  if (!Number.isInteger(dim) || dim <= 0) {
    throw new BadInputError(`${where}: input dimension ${String(dim)} is not a positive integer`, where);
  }
  for (const l of model.layers) {
    const at = `${where}: layer '${l.name}'`;
    if (!ACTIVATIONS.has(l.activation)) {
      throw new BadInputError(`${at} has activation '${String(l.activation)}', which ${format} export does not support (use relu, softmax or linear)`, where);
    }
    if (l.inputDim !== dim) {
      throw new BadInputError(`${at} expects ${l.inputDim} inputs but the previous layer gives ${dim}`, where);
    }
    if (!(l.kernel instanceof Float32Array) || l.kernel.length !== l.inputDim * l.units) {
      throw new BadInputError(`${at} kernel has ${l.kernel?.length} values, expected ${l.inputDim}×${l.units}`, where);
    }
    if (!(l.bias instanceof Float32Array) || l.bias.length !== l.units) {
      throw new BadInputError(`${at} bias has ${l.bias?.length} values, expected ${l.units}`, where);
    }
    for (const arr of [l.kernel, l.bias]) {
      for (let i = 0; i < arr.length; i++) {
        if (!Number.isFinite(arr[i])) {
          throw new BadInputError(`${at} has a non-finite weight (${arr[i]}): the model diverged; retrain with a lower learning rate`, where);
        }
      }
    }
    dim = l.units;
  }
}
