/**
 * The data set type every loader produces and every trainer, evaluator and exporter reads.
 *
 * Samples are kept compactly: uint8 data (images, IDX, uint8 .npy) stays as bytes (60 000
 * MNIST images are 47 MB as uint8, 188 MB as float32) and is scaled by 1/255 per batch inside
 * the trainers, which lets the SIMD kernel take the bytes as they are. Every other case
 * (float data, or uint8 data with another normalisation) is stored as float32 values that
 * are already normalised, so a consumer needs exactly two code paths: `Uint8Array` means
 * "byte / 255", `Float32Array` means "use as is" (see `inputValue`).
 */

/**
 * Per-sample shape without the batch dimension, NHWC like the graph's `Shape`:
 * [h, w, c] for images (c = 1 grayscale, 3 RGB), [n] for tabular rows (CSV, 1-D .npy).
 */
export type SampleShape = readonly number[];

/** count × features values, row-major (each row one sample in its SampleShape, channels last). */
export type Features = Uint8Array | Float32Array;

/** What the user asked for in `data.normalize` (resolved: the defaults are filled in). */
export type NormalizeKind = 'scale' | 'none' | 'minus1to1' | 'standardize' | 'meanStd';

/**
 * The normalisation applied between the stored values and the model's input:
 *   input[f] = (raw[f] − mean[f mod k]) / std[f mod k],  k = mean.length = std.length
 * where raw is the value as read from the files (0…255 for images) and k is 1 (one value for
 * every feature), the channel count (per channel, like Keras' Normalization(axis=-1) on
 * images) or the feature count (per feature). 'scale' is mean [0], std [255]; 'minus1to1'
 * mean [127.5], std [127.5]; 'none' mean [0], std [1]; 'standardize' per-feature statistics of
 * the training split (a constant feature gets std 1, as scikit-learn's StandardScaler does).
 *
 * Exporters that take raw inputs bake exactly this affine map in: a float model gets it as a
 * first layer (Keras `Normalization(mean, variance = std²)` / a Rescaling for k = 1), a
 * full-int8 model can fold a k = 1 map into its input quantization parameters.
 */
export interface Normalization {
  kind: NormalizeKind;
  mean: number[];
  std: number[];
}

export interface SampleSet {
  /**
   * The samples, count × features. Uint8Array = raw bytes, model input = byte / 255 (only
   * ever used with the 'scale' normalisation); Float32Array = model input, normalised.
   * (Named `images` for history; CSV rows live here too.)
   */
  images: Features;
  /** Class index per sample, each in [0, numClasses). */
  labels: Int32Array;
  count: number;
  /** Values per sample = product of `shape` (784 for MNIST). */
  features: number;
  shape: SampleShape;
  numClasses: number;
  /** Name of class i (folder names, string labels, or '0', '1', … for integer labels). */
  classNames: readonly string[];
}

/** @deprecated The old name; the same type. */
export type ImageSet = SampleSet;

export interface SplitData {
  /** A short name for logs and the run record ('mnist', the folder or file name, …). */
  name: string;
  train: SampleSet;
  validation: SampleSet;
  test: SampleSet;
  /** Shared by the three splits. */
  shape: SampleShape;
  numClasses: number;
  classNames: readonly string[];
  /** How the stored values became model input; written into the run record, needed by exporters. */
  normalization: Normalization;
  /** The element type of the files read (uint8 files with a non-'scale' normalisation are stored as float32). */
  sourceDtype: 'uint8' | 'float32';
  /** Problems worth telling the user that do not stop the run (e.g. a tail split missing classes). */
  warnings: { code: string; message: string }[];
}

/** The model input value of element `i` of `x` (see `Features`). */
export function inputValue(x: Features, i: number): number {
  return x instanceof Uint8Array ? x[i] / 255 : x[i];
}

/** Copies `count` samples' model inputs starting at sample `start` into `out` as float32. */
export function modelInputs(set: Pick<SampleSet, 'images' | 'features'>, start: number, count: number, out?: Float32Array): Float32Array {
  const f = set.features;
  const n = count * f;
  const dst = out ?? new Float32Array(n);
  const src = set.images.subarray(start * f, start * f + n);
  if (src instanceof Uint8Array) {
    for (let i = 0; i < n; i++) {
      dst[i] = src[i] / 255;
    }
  } else {
    dst.set(src);
  }
  return dst;
}

/** Integer class labels '0' … 'n-1' (IDX, MNIST, integer labels). */
export function indexClassNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** A SampleSet from arrays (tests, synthetic data): classes '0' … 'n-1' unless named. */
export function sampleSet(images: Features, labels: ArrayLike<number>, shape: SampleShape, numClasses: number, classNames?: readonly string[]): SampleSet {
  const features = shape.reduce((a, b) => a * b, 1);
  return { images, labels: Int32Array.from(labels), count: labels.length, features, shape, numClasses, classNames: classNames ?? indexClassNames(numClasses) };
}

/** A SplitData from three sets of the same shape and classes; uint8 sets are 'scale'-normalised. */
export function splitData(name: string, train: SampleSet, validation: SampleSet, test: SampleSet, normalization?: Normalization): SplitData {
  const uint8 = train.images instanceof Uint8Array;
  return {
    name,
    train,
    validation,
    test,
    shape: train.shape,
    numClasses: train.numClasses,
    classNames: train.classNames,
    normalization: normalization ?? (uint8 ? { kind: 'scale', mean: [0], std: [255] } : { kind: 'none', mean: [0], std: [1] }),
    sourceDtype: uint8 ? 'uint8' : 'float32',
    warnings: [],
  };
}

/**
 * `set` as the values read from the files (before normalisation), as float32 model input: what
 * a model with the normalisation built in takes (export/inputNormalization.ts). Bytes are their
 * own raw values; normalised float32 values are mapped back (x·std + mean), and rounded to whole
 * numbers when the files held uint8, which gives the bytes exactly.
 */
export function rawInputSet(set: SampleSet, norm: Normalization, sourceDtype: 'uint8' | 'float32'): SampleSet {
  const x = set.images;
  if (x instanceof Uint8Array) {
    return { ...set, images: Float32Array.from(x) };
  }
  const k = norm.mean.length;
  const out = new Float32Array(x.length);
  const f = set.features;
  for (let i = 0; i < x.length; i++) {
    const c = k === 1 ? 0 : (i % f) % k;
    const v = x[i] * norm.std[c] + norm.mean[c];
    out[i] = sourceDtype === 'uint8' ? Math.min(255, Math.max(0, Math.round(v))) : v;
  }
  return { ...set, images: out };
}
