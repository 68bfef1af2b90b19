/** Where a Normalization layer's statistics sit relative to its input (shared by the kind and its TFLite lowering). */
import { BadInputError } from '../../errors';
import type { Shape } from '../../graph/types';
import { product } from '../common/conv';

/** Keras' backend.epsilon(): the smallest standard deviation divided by. */
export const NORMALIZATION_EPSILON = 1e-7;

/** Per-sample dimensions (0-based, no batch) the statistics vary along, sorted. */
export function keptDims(axis: readonly number[], rank: number, where = 'Normalization'): number[] {
  const dims = axis.map((a) => (a < 0 ? rank + a : a - 1));
  if (dims.some((d) => d < 0 || d >= rank) || new Set(dims).size !== dims.length) {
    throw new BadInputError(`${where}: axis [${axis.join(', ')}] does not fit an input of rank ${rank + 1} (batch included).`);
  }
  return dims.sort((a, b) => a - b);
}

/** Shape the statistics broadcast with on a batched input: kept dims keep their size, the others 1. */
export function statsBroadcastShape(axis: readonly number[], inShape: Shape): number[] {
  const kept = keptDims(axis, inShape.length);
  return [1, ...inShape.map((d, i) => (kept.includes(i) ? d : 1))];
}

/** Number of mean (and variance) values the layer holds for input `inShape`. */
export function statsCount(axis: readonly number[], inShape: Shape): number {
  return product(statsBroadcastShape(axis, inShape));
}

