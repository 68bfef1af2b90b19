/**
 * Keras' preprocessing `Normalization`: y = (x − mean) / max(√variance, 1e-7), with mean and
 * variance kept per position of the `axis` dimensions (Keras' semantics: the listed axes keep
 * their own statistics, the others share them; `axis: null` = one mean and variance for every
 * value). The statistics come from the layer config (`mean`, `variance`, as Keras writes them
 * when they were passed to the constructor) or, for a layer that was `adapt`ed, from its
 * weights `mean`, `variance`, `count`. Not trainable; `invert: true` is refused.
 *
 * The export stage prepends one of these, named `input_normalization`, so exported files take
 * raw values (src/engine/export/inputNormalization.ts). tfjs-layers 4.22 has no Normalization
 * class, so TF.js files carry the same map as a frozen BatchNormalization instead (see there).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind, WeightSpec } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { product, singleInput } from '../common/conv';
import { BadInputError } from '../../errors';
import type { Shape } from '../../graph/types';
import { normalizationTflite } from './tflite';
import { keptDims, NORMALIZATION_EPSILON, statsBroadcastShape, statsCount } from './stats';

export { NORMALIZATION_EPSILON } from './stats';

export interface NormalizationConfig extends Record<string, unknown> {
  /** Axes (batch counted, −1 = last) that keep their own statistics; [] = one mean/variance for all. */
  axis: number[];
  /** Flattened (row-major over the kept axes); null = in the weights (an adapted layer). */
  mean: number[] | null;
  variance: number[] | null;
  /** Shape of the statistics as written (nested lists; [] = a scalar); kept so the config round-trips. */
  statsShape: number[];
}

function flatNumbers(v: unknown, r: ConfigReader, key: string): { values: number[]; shape: number[] } | null {
  if (v === undefined || v === null) {
    return null;
  }
  const out: number[] = [];
  const shape: number[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (typeof x === 'number' && Number.isFinite(x)) {
      if (depth !== shape.length) {
        r.fail(key, 'must be a regular (not ragged) nested list of numbers.');
      }
      out.push(x);
    } else if (Array.isArray(x) && depth < 8) {
      if (shape.length === depth && out.length === 0) {
        shape.push(x.length);
      } else if (shape[depth] !== x.length) {
        r.fail(key, 'must be a regular (not ragged) nested list of numbers.');
      }
      for (const e of x) {
        walk(e, depth + 1);
      }
    } else {
      r.fail(key, `must be a number or a (nested) list of numbers, got ${JSON.stringify(x).slice(0, 80)}.`);
    }
  };
  walk(v, 0);
  if (out.length > 1 << 24 || out.length !== product(shape)) {
    r.fail(key, `must be a regular nested list of at most ${1 << 24} numbers.`);
  }
  return { values: out, shape };
}

function readAxis(r: ConfigReader): number[] {
  const v = r.get('axis');
  if (v === null) {
    return [];
  }
  const list = v === undefined ? [-1] : Array.isArray(v) ? v : [v];
  if (!list.every((a) => typeof a === 'number' && Number.isInteger(a) && a !== 0 && a >= -8 && a <= 8)) {
    r.fail('axis', `must be null, an axis or a list of axes other than the batch axis 0, got ${JSON.stringify(v)}.`);
  }
  return list as number[];
}

function statsShape(axis: readonly number[], inShape: Shape): number[] {
  const kept = keptDims(axis, inShape.length);
  return kept.map((d) => inShape[d]);
}

/** Nests `flat` into lists of `shape` (how Keras writes multi-axis statistics in a layer config). */
function nest(flat: readonly number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) {
    return [...flat];
  }
  const inner = product(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}

export const normalization: LayerKind<NormalizationConfig> = {
  className: 'Normalization',
  tflite: normalizationTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    r.refuseUnless('invert', (v) => v === false, 'an inverting Normalization (de-normalisation) is not supported.');
    const mean = flatNumbers(r.get('mean'), r, 'mean');
    const variance = flatNumbers(r.get('variance'), r, 'variance');
    if ((mean === null) !== (variance === null) || (mean && variance && mean.values.length !== variance.values.length)) {
      r.fail('variance', `must be given together with 'mean' and hold as many values (${mean?.values.length ?? 0} mean, ${variance?.values.length ?? 0} variance).`);
    }
    if (variance?.values.some((v) => v < 0)) {
      r.fail('variance', 'must not be negative.');
    }
    return { axis: readAxis(r), mean: mean?.values ?? null, variance: variance?.values ?? null, statsShape: mean?.shape ?? [] };
  },
  kerasConfig(c, node) {
    const base = { ...kerasBase(node.name), trainable: false, axis: c.axis.length === 1 ? c.axis[0] : c.axis.length === 0 ? null : c.axis, invert: false };
    if (!c.mean || !c.variance) {
      return { ...base, mean: null, variance: null };
    }
    // Keras multiplies the given statistics by ones(kept shape): nested lists broadcast, flat ones only for a single axis.
    const shape = c.statsShape;
    return { ...base, mean: shape.length === 0 ? c.mean[0] : nest(c.mean, shape), variance: shape.length === 0 ? c.variance[0] : nest(c.variance, shape) };
  },
  outputShape(c, inputShapes) {
    const s = singleInput(inputShapes, 'Normalization');
    const n = statsCount(c.axis, s);
    if (c.mean && c.mean.length !== 1 && c.mean.length !== n) {
      throw new BadInputError(`Normalization: ${c.mean.length} mean values do not fit axis [${c.axis.join(', ')}] of an input of shape [${s.join(', ')}] (${n} needed).`);
    }
    return [...s];
  },
  weightSpecs(c, inputShapes) {
    if (c.mean) {
      return [];
    }
    const shape = statsShape(c.axis, singleInput(inputShapes, 'Normalization'));
    const specs: WeightSpec[] = [
      { name: 'mean', shape, trainable: false, init: 'zeros' },
      { name: 'variance', shape, trainable: false, init: 'ones' },
      { name: 'count', shape: [], trainable: false, init: 'zeros' },
    ];
    return specs;
  },
  prunable: [],
  forward(c, w, inputs) {
    const x = inputs[0];
    const inShape = x.shape.slice(1);
    const b = statsBroadcastShape(c.axis, inShape);
    const stat = (values: number[] | null, weight: tf.Tensor | undefined): tf.Tensor =>
      values ? (values.length === 1 ? tf.scalar(values[0]) : tf.tensor(values, b)) : tf.reshape(weight!, b);
    return tf.tidy(() => {
      const mean = stat(c.mean, w[0]);
      const std = tf.maximum(tf.sqrt(stat(c.variance, w[1])), NORMALIZATION_EPSILON);
      return tf.div(tf.sub(x, mean), std);
    });
  },
  macs() {
    return 0;
  },
};
