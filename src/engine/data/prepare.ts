/**
 * From what a loader read (raw values, class indices, class names) to the SplitData the
 * trainers use: sample limits, the validation split (Keras' tail, stratified, or a separate
 * set), and the normalisation (statistics from the training split only).
 */
import { BadInputError } from '../errors';
import { Rng } from '../util/random';
import type { Features, Normalization, NormalizeKind, SampleSet, SampleShape, SplitData } from './dataset';

/** Samples as read from the files, before normalisation. */
export interface RawSet {
  /** count × features raw values (uint8 0…255, or float32 as stored). */
  x: Features;
  labels: Int32Array;
  count: number;
  /** Where the samples came from, for messages. */
  source: string;
}

export interface RawData {
  name: string;
  shape: SampleShape;
  classNames: readonly string[];
  train: RawSet;
  test: RawSet;
  /** A separately given validation set (valDir / valFile / valImages); else it is split off train. */
  validation?: RawSet;
}

export type NormalizeSetting = 'scale' | 'none' | 'minus1to1' | 'standardize' | { mean: number[]; std: number[] };

export interface PrepareOptions {
  trainLimit: number;
  testLimit: number;
  /** Fraction of the training samples that validate (train.validationSplit). */
  validationSplit: number;
  validation: 'tail' | 'stratified';
  seed: number;
  /** Absent = "scale" for uint8 data, "none" for float data. */
  normalize?: NormalizeSetting;
}

const featuresOf = (shape: SampleShape): number => shape.reduce((a, b) => a * b, 1);

/** The first `n` samples (n ≤ 0 or n ≥ count = all). Shares memory with `set`. */
export function takeFirstRaw(set: RawSet, n: number, features: number): RawSet {
  if (n <= 0 || n >= set.count) {
    return set;
  }
  return { ...set, x: set.x.subarray(0, n * features), labels: set.labels.subarray(0, n), count: n };
}

/** Copies the samples at `indices` (in that order) into a new set. */
export function gather(set: RawSet, indices: ArrayLike<number>, features: number): RawSet {
  const n = indices.length;
  const x = set.x instanceof Uint8Array ? new Uint8Array(n * features) : new Float32Array(n * features);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    x.set(set.x.subarray(i * features, (i + 1) * features), k * features);
    labels[k] = set.labels[i];
  }
  return { x, labels, count: n, source: set.source };
}

/**
 * Keras' `validation_split`: `split_at = floor(n · (1 − split))`; samples before it train, the
 * LAST ones validate. Taken before any shuffling, so the split is the same every epoch.
 */
export function tailSplit(set: RawSet, split: number, features: number): { train: RawSet; validation: RawSet } {
  checkSplit(split);
  const splitAt = Math.floor(set.count * (1 - split));
  if (splitAt < 1) {
    throw new BadInputError(`train.validationSplit ${split} leaves no training samples out of ${set.count}. Lower it or raise data.trainLimit.`, 'train.validationSplit');
  }
  const slice = (from: number, to: number): RawSet => ({ ...set, x: set.x.subarray(from * features, to * features), labels: set.labels.subarray(from, to), count: to - from });
  return { train: slice(0, splitAt), validation: slice(splitAt, set.count) };
}

/**
 * Per class, `round(n_c · split)` samples chosen with a seeded shuffle validate (scikit-learn's
 * stratified split, rounded per class); both parts keep the original sample order.
 */
export function stratifiedSplit(set: RawSet, split: number, features: number, numClasses: number, seed: number): { train: RawSet; validation: RawSet } {
  checkSplit(split);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < set.count; i++) {
    byClass[set.labels[i]].push(i);
  }
  const rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  const isVal = new Uint8Array(set.count);
  for (const members of byClass) {
    const take = Math.round(members.length * split);
    const shuffled = Uint32Array.from(members);
    rng.shuffle(shuffled);
    for (let k = 0; k < take; k++) {
      isVal[shuffled[k]] = 1;
    }
  }
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < set.count; i++) {
    (isVal[i] ? valIdx : trainIdx).push(i);
  }
  if (trainIdx.length < 1) {
    throw new BadInputError(`train.validationSplit ${split} leaves no training samples out of ${set.count}. Lower it or raise data.trainLimit.`, 'train.validationSplit');
  }
  return { train: gather(set, trainIdx, features), validation: gather(set, valIdx, features) };
}

function checkSplit(split: number): void {
  if (!(split >= 0 && split < 1)) {
    throw new BadInputError(`train.validationSplit must be in [0, 1), got ${split}. Use e.g. 0.1 (the last 10 % of the training set validates).`, 'train.validationSplit');
  }
}

function classesPresent(labels: Int32Array, numClasses: number): number {
  const seen = new Uint8Array(numClasses);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!seen[labels[i]]) {
      seen[labels[i]] = 1;
      n++;
    }
  }
  return n;
}

/** Per-feature mean and standard deviation (population, like Keras' Normalization.adapt). */
export function featureStats(set: RawSet, features: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(features);
  const sq = new Float64Array(features);
  const x = set.x;
  for (let r = 0; r < set.count; r++) {
    const o = r * features;
    for (let f = 0; f < features; f++) {
      const v = x[o + f];
      sum[f] += v;
      sq[f] += v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  const n = Math.max(1, set.count);
  for (let f = 0; f < features; f++) {
    const m = sum[f] / n;
    const variance = Math.max(0, sq[f] / n - m * m);
    const s = Math.sqrt(variance);
    mean.push(m);
    // A constant feature would divide by ~0: scikit-learn's StandardScaler leaves it unscaled.
    std.push(s > 1e-7 * Math.max(1, Math.abs(m)) ? s : 1);
  }
  return { mean, std };
}

/** The normalisation for this data: the setting (or the dtype's default) resolved to mean/std. */
export function resolveNormalization(setting: NormalizeSetting | undefined, dtype: 'uint8' | 'float32', train: RawSet, shape: SampleShape): Normalization {
  const kind: NormalizeKind = setting === undefined ? (dtype === 'uint8' ? 'scale' : 'none') : typeof setting === 'string' ? setting : 'meanStd';
  switch (kind) {
    case 'scale':
      return { kind, mean: [0], std: [255] };
    case 'none':
      return { kind, mean: [0], std: [1] };
    case 'minus1to1':
      return { kind, mean: [127.5], std: [127.5] };
    case 'standardize':
      return { kind, ...featureStats(train, featuresOf(shape)) };
    case 'meanStd': {
      const { mean, std } = setting as { mean: number[]; std: number[] };
      const features = featuresOf(shape);
      const channels = shape.length > 1 ? shape[shape.length - 1] : features;
      if (mean.length !== std.length || ![1, channels, features].includes(mean.length)) {
        throw new BadInputError(
          `data.normalize has ${mean.length} mean and ${std.length} std values, but the samples (shape [${shape.join(', ')}]) need 1, ${channels} (one per channel) or ${features} (one per feature) of each. Give as many std values as mean values, one per channel.`,
          'data.normalize',
        );
      }
      const bad = std.findIndex((s) => !(s > 0) || !Number.isFinite(s));
      if (bad >= 0 || mean.some((m) => !Number.isFinite(m))) {
        throw new BadInputError(`data.normalize.std[${bad}] is ${std[bad]}: every std must be a positive number (and every mean finite).`, 'data.normalize');
      }
      return { kind, mean: [...mean], std: [...std] };
    }
  }
}

/** Stores a raw set as the trainers take it: the bytes for uint8 + 'scale', else normalised float32. */
export function normalizeSet(set: RawSet, norm: Normalization, shape: SampleShape, numClasses: number, classNames: readonly string[]): SampleSet {
  const features = featuresOf(shape);
  const base = { labels: set.labels, count: set.count, features, shape, numClasses, classNames };
  if (set.x instanceof Uint8Array && norm.kind === 'scale') {
    return { ...base, images: set.x };
  }
  if (norm.kind === 'scale' && isByteValued(set.x)) {
    // Float data holding whole numbers 0…255 (a pixel CSV): stored as bytes, losslessly, so the SIMD kernel can train on it.
    return { ...base, images: Uint8Array.from(set.x) };
  }
  const k = norm.mean.length;
  const invStd = norm.std.map((s) => 1 / s);
  const n = set.count * features;
  const out = new Float32Array(n);
  const x = set.x;
  if (k === 1) {
    const m = norm.mean[0];
    const is = invStd[0];
    for (let i = 0; i < n; i++) {
      out[i] = (x[i] - m) * is;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const c = (i % features) % k;
      out[i] = (x[i] - norm.mean[c]) * invStd[c];
    }
  }
  return { ...base, images: out };
}

function largestMagnitude(x: Features): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > m) {
      m = a;
    }
  }
  return m;
}

function isByteValued(x: Features): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v >= 0 && v <= 255 && Math.floor(v) === v)) {
      return false;
    }
  }
  return true;
}

/** Limits, validation split and normalisation: the SplitData every job reads. */
export function prepareData(raw: RawData, opts: PrepareOptions): SplitData {
  const features = featuresOf(raw.shape);
  const numClasses = raw.classNames.length;
  const dtype = raw.train.x instanceof Uint8Array ? 'uint8' : 'float32';
  for (const s of [raw.test, raw.validation]) {
    if (s && (s.x instanceof Uint8Array ? 'uint8' : 'float32') !== dtype) {
      throw new BadInputError(`${s.source} holds ${dtype === 'uint8' ? 'float32' : 'uint8'} values but ${raw.train.source} holds ${dtype}. Store all splits with the same element type.`, s.source);
    }
  }
  const warnings: SplitData['warnings'] = [];
  const limited = takeFirstRaw(raw.train, opts.trainLimit, features);
  let train: RawSet;
  let validation: RawSet;
  if (raw.validation) {
    train = limited;
    validation = raw.validation;
  } else if (opts.validation === 'stratified') {
    ({ train, validation } = stratifiedSplit(limited, opts.validationSplit, features, numClasses, opts.seed));
  } else {
    ({ train, validation } = tailSplit(limited, opts.validationSplit, features));
    if (validation.count > 0) {
      const inVal = classesPresent(validation.labels, numClasses);
      const inTrain = classesPresent(limited.labels, numClasses);
      if (inVal < inTrain) {
        warnings.push({
          code: 'validation-classes',
          message:
            `The validation split (the last ${validation.count} of ${limited.count} training samples, Keras' validation_split) holds only ${inVal} of the ${inTrain} classes, ` +
            `so validation accuracy says little (class-sorted data such as image folders puts whole classes at the end). Set data.validation to "stratified" to take the same fraction of every class.`,
        });
      }
    }
  }
  const test = takeFirstRaw(raw.test, opts.testLimit, features);
  const normalization = resolveNormalization(opts.normalize, dtype, train, raw.shape);
  if (opts.normalize === undefined && normalization.kind === 'none') {
    const big = largestMagnitude(train.x);
    if (big > 10) {
      warnings.push({
        code: 'unscaled-inputs',
        message:
          `The features reach ${Number(big.toPrecision(4))} and are used as they are (data.normalize defaults to "none" for float data such as CSV), which slows or stalls training. ` +
          `Set data.normalize to "scale" for 0…255 pixel values or "standardize" for other measurements.`,
      });
    }
  }
  const make = (s: RawSet): SampleSet => normalizeSet(s, normalization, raw.shape, numClasses, raw.classNames);
  return {
    name: raw.name,
    train: make(train),
    validation: make(validation),
    test: make(test),
    shape: raw.shape,
    numClasses,
    classNames: raw.classNames,
    normalization,
    sourceDtype: dtype,
    warnings,
  };
}
