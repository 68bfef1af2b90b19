/**
 * How samples become model input: uint8 bytes are scaled by 1/255 (the one place this
 * happens for the graph engine; float32 samples are already model input), and rows are
 * shaped as the model's input. A data set whose per-sample size differs from the model's
 * input is refused before anything runs.
 */
import { BadInputError } from '../errors';
import type { Shape } from './types';

/** Stored samples: bytes (model input = byte / 255) or float32 model input. */
export type SampleValues = Uint8Array | Float32Array;

/** byte / 255 as float32, for every byte value (the value Keras' `x / 255.0` gives). */
export const BYTE_SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Writes `count` rows of model input into `dst` (scaling bytes). */
export function toModelInput(src: SampleValues, dst: Float32Array, values: number): Float32Array {
  if (src instanceof Float32Array) {
    dst.set(src.subarray(0, values));
  } else {
    for (let i = 0; i < values; i++) {
      dst[i] = BYTE_SCALE[src[i]];
    }
  }
  return dst;
}

/**
 * Checks that samples of shape `data` can feed a model whose input is `model`: equal
 * shapes, or the same number of values where one side is flat (MNIST's [28, 28, 1] images
 * reach an MLP as [784] rows, [784] rows reach a CNN as [28, 28, 1]).
 */
export function checkInputShape(data: readonly number[], model: Shape, dataName = 'the data'): void {
  const n = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  const same = data.length === model.length && data.every((d, i) => d === model[i]);
  const reshapable = n(data) === n(model) && (data.length === 1 || model.length === 1);
  if (!same && !reshapable) {
    throw new BadInputError(
      `The model's input is [${model.join(', ')}] (${n(model)} values per sample) but ${dataName} has samples of shape [${data.join(', ')}] (${n(data)} values). ` +
        'Use data whose samples match the model input, or change the model\'s input shape (model.input in model-optimizer.json).',
      'model.input',
    );
  }
}
