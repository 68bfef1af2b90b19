/**
 * Full-integer quantization of a Lowered model, per the TFLite quantization spec:
 * - weights symmetric int8 (zero point 0, range ±127), per channel along the output channels
 *   (CONV_2D axis 0 of OHWI, DEPTHWISE_CONV_2D axis 3 of 1HWC, FULLY_CONNECTED axis 0) or per
 *   tensor; int32 biases with scale = input scale × weight scale;
 * - activations asymmetric int8 from calibration on representative samples: min-max (the
 *   converter's default) or percentile (clips rare outliers), every range widened to include 0;
 *   an empty or degenerate range (e.g. a dead ReLU that is always 0) gets [0, 1];
 * - the converter's shared-parameter constraints: MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE, PAD and
 *   REDUCE_MAX keep their input's parameters, CONCATENATION's inputs and output share one set
 *   (the union of their ranges), SOFTMAX and LOGISTIC outputs are 1/256, −128, TANH 1/128, 0.
 */
import { BadInputError } from '../../errors';
import { asymmetricParams, roundHalfAway, type AffineParams } from '../../quantize/int8';
import { quantizeWeights, weightAxis } from './emit';
import { forwardLowered } from './floatRef';
import type { Lowered } from './lowered';

export type CalibrationMethod = { kind: 'min-max' } | { kind: 'percentile'; percentile: number };

export interface QuantWeights {
  q: Int8Array;
  scales: Float32Array;
  bias: Int32Array;
  biasScales: Float32Array;
}

export interface AffineQuant {
  scaleQ: Int8Array;
  scaleParams: AffineParams;
  mid: AffineParams;
  shiftQ?: Int8Array;
  shiftParams?: AffineParams;
}

export interface QuantizedLowered {
  /** Per lowered tensor. */
  params: AffineParams[];
  /** Per op index: conv/depthwise/fc weights. */
  weights: (QuantWeights | undefined)[];
  /** Per op index: an affine op's int8 constants (MUL + ADD). */
  affine: (AffineQuant | undefined)[];
  perChannel: boolean;
  /** How the ranges were found, for the file's description and reports. */
  calibration: string;
  /** Calibrated float ranges per tensor (before the constraints), for reports and tests. */
  ranges: { min: number; max: number }[];
  /** The layer whose input transform was folded into the input quantization (foldInput.ts), if any. */
  foldedInput?: string;
}

export const FIXED_OUTPUT: Partial<Record<string, AffineParams>> = {
  softmax: { scale: 1 / 256, zeroPoint: -128 },
  logistic: { scale: 1 / 256, zeroPoint: -128 },
  tanh: { scale: 1 / 128, zeroPoint: 0 },
};

/** Parameters for a calibrated range; a degenerate one (all zeros, or nothing seen) gets [0, 1]. */
export function activationParams(min: number, max: number): AffineParams {
  if (!(max - min > 1e-6) || !Number.isFinite(min) || !Number.isFinite(max)) {
    const lo = Number.isFinite(min) ? Math.min(0, min) : 0;
    return asymmetricParams(lo, Math.max(lo + 1, Number.isFinite(max) ? max : 0));
  }
  return asymmetricParams(min, max);
}

const SAMPLE_CAP = 1 << 16;

function percentileRange(values: Float32Array, p: number): { min: number; max: number } {
  const s = Float32Array.from(values).sort();
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round((q / 100) * (s.length - 1))))];
  return { min: at(100 - p), max: at(p) };
}

/** A float range per lowered tensor index, e.g. quantization-aware training's trained ranges. */
export type RangeOverrides = ReadonlyMap<number, { min: number; max: number }>;

/**
 * `overrides` replace the calibrated range of their tensors (QAT's trained ranges); a
 * shared-parameter class with any overridden member takes the union of its overridden members
 * only, so a MAX_POOL_2D after a trained activation keeps exactly that activation's range.
 */
export function quantizeLowered(
  l: Lowered,
  samples: Float32Array,
  count: number,
  perChannel: boolean,
  method: CalibrationMethod = { kind: 'min-max' },
  overrides?: RangeOverrides,
): QuantizedLowered {
  if (count <= 0) {
    throw new BadInputError('full-integer quantization needs representative samples (quantize.calibrationSamples > 0)', 'quantize.calibrationSamples');
  }
  const n = l.tensors.length;
  const ranges = Array.from({ length: n }, () => ({ min: Infinity, max: -Infinity }));
  // Percentile: a strided sample of each tensor's values, at most SAMPLE_CAP per tensor.
  const kept = method.kind === 'percentile' ? l.tensors.map(() => [] as number[]) : null;
  const sizes = l.tensors.map((t) => t.shape.reduce((a, b) => a * b, 1));
  forwardLowered(l, samples, 0, count, (t, v) => {
    const r = ranges[t];
    for (let i = 0; i < v.length; i++) {
      if (v[i] < r.min) {
        r.min = v[i];
      }
      if (v[i] > r.max) {
        r.max = v[i];
      }
    }
    if (kept) {
      const stride = Math.max(1, Math.floor((sizes[t] * count) / SAMPLE_CAP));
      for (let i = 0; i < v.length; i += stride) {
        kept[t].push(v[i]);
      }
    }
  });
  const calibrated = ranges.map((r, t) => overrides?.get(t) ?? (kept && kept[t].length ? percentileRange(Float32Array.from(kept[t]), (method as { percentile: number }).percentile) : r));

  // Shared-parameter classes (union-find over tensors).
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const union = (a: number, b: number): void => {
    parent[find(a)] = find(b);
  };
  const fixed = new Map<number, AffineParams>();
  for (const op of l.ops) {
    if (op.type === 'maxPool' || op.type === 'avgPool' || op.type === 'reshape' || op.type === 'pad' || op.type === 'reduceMax') {
      union(op.inputs[0], op.output);
    } else if (op.type === 'concat') {
      op.inputs.forEach((t) => union(t, op.output));
    }
    const f = FIXED_OUTPUT[op.type];
    if (f) {
      fixed.set(op.output, f);
    }
  }
  const classRange = new Map<number, { min: number; max: number }>();
  const classFixed = new Map<number, AffineParams>();
  const overridden = new Set<number>();
  for (const t of overrides?.keys() ?? []) {
    overridden.add(find(t));
  }
  for (let t = 0; t < n; t++) {
    const c = find(t);
    if (overridden.has(c) && !overrides?.has(t)) {
      continue;
    }
    const r = classRange.get(c) ?? { min: Infinity, max: -Infinity };
    r.min = Math.min(r.min, calibrated[t].min);
    r.max = Math.max(r.max, calibrated[t].max);
    classRange.set(c, r);
    const f = fixed.get(t);
    if (f) {
      classFixed.set(c, f);
    }
  }
  const params = Array.from({ length: n }, (_, t) => {
    const c = find(t);
    const f = classFixed.get(c);
    if (f) {
      return f;
    }
    const r = classRange.get(c) as { min: number; max: number };
    return activationParams(r.min, r.max);
  });

  const weights: (QuantWeights | undefined)[] = [];
  const affine: (AffineQuant | undefined)[] = [];
  l.ops.forEach((op, k) => {
    if (op.type === 'conv2d' || op.type === 'depthwise' || op.type === 'fc') {
      const data = op.type === 'fc' ? op.weights : op.filter;
      const shape = op.type === 'fc' ? [op.units, op.weights.length / op.units] : op.filterShape;
      const { q, scales } = quantizeWeights(data, shape, perChannel ? weightAxis(op) : null);
      const sin = params[op.inputs[0]].scale;
      const channels = op.bias.length;
      const biasScales = Float32Array.from({ length: scales.length }, (_, c) => sin * scales[c]);
      const bias = Int32Array.from({ length: channels }, (_, c) => {
        const v = roundHalfAway(op.bias[c] / biasScales[scales.length === 1 ? 0 : c]);
        return Math.max(-2147483647, Math.min(2147483647, v));
      });
      weights[k] = { q, scales, bias, biasScales };
    } else if (op.type === 'affine') {
      const constParams = (v: Float32Array): { q: Int8Array; p: AffineParams } => {
        let lo = 0;
        let hi = 0;
        v.forEach((x) => {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        });
        const p = activationParams(lo, hi);
        return { q: Int8Array.from(v, (x) => Math.max(-128, Math.min(127, roundHalfAway(x / p.scale) + p.zeroPoint))), p };
      };
      const s = constParams(op.scale);
      const hasShift = op.shift.some((v) => v !== 0);
      const sh = hasShift ? constParams(op.shift) : undefined;
      // The product x·scale before the shift: its range from the calibrated input and the scales.
      const xr = calibrated[op.inputs[0]];
      let lo = 0;
      let hi = 0;
      op.scale.forEach((sc) => {
        for (const v of [xr.min * sc, xr.max * sc]) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      });
      affine[k] = { scaleQ: s.q, scaleParams: s.p, mid: hasShift ? activationParams(lo, hi) : params[op.output], shiftQ: sh?.q, shiftParams: sh?.p };
    }
  });
  const measured = method.kind === 'min-max' ? `min-max calibration on ${count} samples` : `percentile ${method.percentile} calibration on ${count} samples`;
  const calibration = overrides?.size ? `quantization-aware training ranges for ${overrides.size} tensors, ${measured} for the rest` : measured;
  return { params, weights, affine, perChannel, calibration, ranges: calibrated };
}
