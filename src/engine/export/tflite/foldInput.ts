/**
 * A leading affine input transform (Rescaling, or a per-channel normalisation: y = x·s[c] + t[c]
 * right after the model input) folded away in full-int8 files, so raw pixels feed the model:
 * the input tensor is quantized from the raw values (0..255 pixels → scale 1, zero point −128:
 * raw uint8 pixels minus 128 are the int8 input, and QUANTIZE in float-I/O files is exact), and
 * the transform's s and t move into the weights and biases of the ops that read y, so no MUL or
 * ADD is left. Every variant keeps the same interface (raw pixels in).
 *
 * Why into the readers and not only into the input's scale and zero point: in a TFLite file the
 * input tensor carries one set of parameters, which both the caller and the first op read. If
 * they described y, a float-I/O file's QUANTIZE would expect normalised values, and the first
 * op's zero padding (the zero point = real 0) would be 0 in y's units where the raw input has t.
 *
 * The fold is exact only where the readers see no padding: every reader of y must be a CONV_2D,
 * DEPTHWISE_CONV_2D or FULLY_CONNECTED (or a RESHAPE to a flat vector feeding only
 * FULLY_CONNECTEDs) whose windows never leave the image ('valid', or 'same' that pads nothing),
 * unless t is 0 everywhere (then padding with 0 is padding with 0 in both units). Otherwise the
 * transform stays as MUL + ADD, which is correct and bit-exact too, only larger.
 *
 * For a reader with weights w over input channels c: w'[…, c] = w[…, c]·s[c] and
 * bias' = bias + Σ w[…, c]·t[c] over its window (the whole window, every output position sees it).
 */
import type { AffineOp, ConvOp, FcOp, LOp, Lowered } from './lowered';
import { compactLowered } from './lower';

export interface InputFold {
  /** The lowered model without the transform (readers rewritten), ready to calibrate. */
  lowered: Lowered;
  /** The layer whose transform was folded ('a+b' when consecutive ones were composed). */
  layer: string;
  /** The layers of those transforms, in order. */
  layers: string[];
  /** The composed transform y = x·scale[c] + shift[c] (per tensor when one value). */
  scale: Float32Array;
  shift: Float32Array;
  /** The tensor holding y in the lowering that was folded (not in `lowered`). */
  transformOutput: number;
}

/** Whether a conv's window ever covers padding on an input of `inShape` ([h, w, c]) (TensorFlow's 'same' total padding). */
function padsSomething(op: ConvOp, inShape: number[]): boolean {
  if (op.padding === 'valid') {
    return false;
  }
  const [, kh, kw] = op.filterShape;
  const total = (n: number, k: number, s: number, d: number): number => Math.max(0, (Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n);
  return total(inShape[0], kh, op.strides[0], op.dilation[0]) > 0 || total(inShape[1], kw, op.strides[1], op.dilation[1]) > 0;
}

const readersOf = (l: Lowered, t: number): LOp[] => l.ops.filter((o) => o.inputs.includes(t));

/**
 * Folds the transform into a reader (or with `dryRun` only says whether it can); false when it
 * cannot be done exactly. Channels run along the reader's input axis, modulo the transform's
 * channel count (a flat FULLY_CONNECTED input of an [h, w, c] image: element i is channel i mod c).
 */
function foldInto(op: LOp, a: AffineOp, inShape: number[], shiftFree: boolean, dryRun: boolean): boolean {
  const s = (c: number): number => a.scale[a.scale.length === 1 ? 0 : c % a.scale.length];
  const t = (c: number): number => a.shift[a.shift.length === 1 ? 0 : c % a.shift.length];
  if (op.type === 'conv2d' || op.type === 'depthwise') {
    if (!shiftFree && padsSomething(op, inShape)) {
      return false;
    }
    if (dryRun) {
      return true;
    }
    const cout = op.bias.length;
    const add = new Float64Array(cout);
    if (op.type === 'conv2d') {
      const cin = op.filterShape[3];
      const per = op.filter.length / cout;
      for (let i = 0; i < op.filter.length; i++) {
        const c = i % cin;
        add[Math.floor(i / per)] += op.filter[i] * t(c);
        op.filter[i] *= s(c);
      }
    } else {
      const m = op.depthMultiplier;
      for (let i = 0; i < op.filter.length; i++) {
        const oc = i % cout;
        const c = Math.floor(oc / m);
        add[oc] += op.filter[i] * t(c);
        op.filter[i] *= s(c);
      }
    }
    add.forEach((v, c) => (op.bias[c] += v));
    return true;
  }
  if (op.type === 'fc') {
    if (dryRun) {
      return true;
    }
    foldIntoFc(op, s, t);
    return true;
  }
  return false;
}

function foldIntoFc(op: FcOp, s: (c: number) => number, t: (c: number) => number): void {
  const inN = op.weights.length / op.units;
  for (let o = 0; o < op.units; o++) {
    let add = 0;
    for (let i = 0; i < inN; i++) {
      const k = o * inN + i;
      add += op.weights[k] * t(i);
      op.weights[k] *= s(i);
    }
    op.bias[o] += add;
  }
}

/**
 * The fold, when the model starts with an affine transform that can be folded exactly (see the
 * module doc); null otherwise. `l` itself is not changed: its ops are copied before rewriting.
 */
export function foldInputAffine(l: Lowered): InputFold | null {
  const first = readersOf(l, l.input);
  if (first.length !== 1 || first[0].type !== 'affine' || first[0].output === l.output) {
    return null;
  }
  // Consecutive leading transforms (e.g. a Rescaling then a normalisation) compose into one.
  let a: AffineOp = first[0];
  const chain = [a];
  for (;;) {
    const next = readersOf(l, a.output);
    const b = next[0];
    if (next.length !== 1 || b.type !== 'affine' || a.output === l.output || b.output === l.output) {
      break;
    }
    const composed = composeAffine(a, b);
    if (!composed) {
      break;
    }
    a = composed;
    chain.push(b);
  }
  if (chain.length > 1) {
    l = { ...l, ops: l.ops.filter((o) => !chain.includes(o as AffineOp)).concat() };
    l.ops.splice(0, 0, a);
  }
  const y = a.output;
  const shiftFree = a.shift.every((v) => v === 0);
  const inShape = l.tensors[l.input].shape;
  // The per-channel transform runs along the last axis; a flat RESHAPE keeps that order (i mod C).
  const direct = readersOf(l, y);
  const ok =
    direct.length > 0 &&
    direct.every((o) => {
      if (o.type === 'reshape') {
        const rs = readersOf(l, o.output);
        return l.tensors[o.output].shape.length === 1 && o.output !== l.output && rs.length > 0 && rs.every((r) => r.type === 'fc');
      }
      return foldInto(o, a, inShape, shiftFree, true);
    });
  if (!ok) {
    return null;
  }
  // Copy every op (weights included) before rewriting, so the caller's Lowered stays as it was.
  const ops = l.ops.filter((o) => o !== a).map((o) => cloneOp(o));
  const copyOf = new Map(l.ops.filter((o) => o !== a).map((o, i) => [o, ops[i]]));
  for (const o of direct) {
    const c = copyOf.get(o) as LOp;
    c.inputs = c.inputs.map((t) => (t === y ? l.input : t));
    if (o.type === 'reshape') {
      for (const r of readersOf(l, o.output)) {
        foldInto(copyOf.get(r) as LOp, a, inShape, shiftFree, false);
      }
    } else {
      foldInto(c, a, inShape, shiftFree, false);
    }
  }
  return { lowered: compactLowered({ ...l, ops }), layer: a.layer, layers: chain.map((o) => o.layer), scale: a.scale, shift: a.shift, transformOutput: a.output };
}

/**
 * Folding costs more input resolution than this (a factor on the coarsest feature's step, see
 * foldResolutionLoss) → float-I/O files keep the transform in float before QUANTIZE instead.
 * 2 = one bit of the int8 input.
 */
export const MAX_FOLD_RESOLUTION_LOSS = 2;

/**
 * What the fold costs in input resolution on representative raw inputs (`samples`, count × the
 * model's input values). Folded, the raw values are quantized with one scale for all features, so
 * in normalised units feature c's step is rawStep·|scale[c]|; without the fold the normalised
 * values are quantized themselves, with one step zStep for all. Returns max over c of
 * rawStep·|scale[c]| / zStep: 1 for a single Rescaling (the fold is free), about the spread of
 * 1/std for a per-feature standardisation. A CSV with incomes (std 20 000) beside ages (std 13)
 * gets ~1 000: one int8 scale for the raw row would leave the age ~0 steps.
 */
export function foldResolutionLoss(fold: Pick<InputFold, 'scale' | 'shift'>, samples: Float32Array, count: number): number {
  if (count <= 0 || samples.length === 0) {
    return 1;
  }
  const features = samples.length / count;
  const at = (v: Float32Array, i: number): number => v[v.length === 1 ? 0 : (i % features) % v.length];
  let lo = 0;
  let hi = 0;
  let zlo = 0;
  let zhi = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    const z = x * at(fold.scale, i) + at(fold.shift, i);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
    zlo = Math.min(zlo, z);
    zhi = Math.max(zhi, z);
  }
  return resolutionLoss(fold.scale, { min: lo, max: hi }, { min: zlo, max: zhi });
}

/** foldResolutionLoss from calibrated ranges: the raw input's and the transform output's (each widened to include 0). */
export function resolutionLoss(scale: Float32Array, raw: { min: number; max: number }, z: { min: number; max: number }): number {
  const maxScale = scale.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const step = (r: { min: number; max: number }): number => (Math.max(0, r.max) - Math.min(0, r.min)) / 255;
  const zStep = step(z);
  return zStep > 0 ? (step(raw) * maxScale) / zStep : 1;
}

/** b(a(x)) as one transform along the last axis (per tensor or per channel), or null when their channel counts differ. */
function composeAffine(a: AffineOp, b: AffineOp): AffineOp | null {
  const n = Math.max(a.scale.length, a.shift.length, b.scale.length, b.shift.length);
  if ([a.scale, a.shift, b.scale, b.shift].some((v) => v.length !== 1 && v.length !== n)) {
    return null;
  }
  const at = (v: Float32Array, c: number): number => v[v.length === 1 ? 0 : c];
  const scale = Float32Array.from({ length: n }, (_, c) => at(a.scale, c) * at(b.scale, c));
  const shift = Float32Array.from({ length: n }, (_, c) => at(a.shift, c) * at(b.scale, c) + at(b.shift, c));
  return { ...a, output: b.output, layer: `${a.layer}+${b.layer}`, scale, shift };
}

function cloneOp(o: LOp): LOp {
  const c = { ...o, inputs: [...o.inputs] };
  if (c.type === 'conv2d' || c.type === 'depthwise') {
    c.filter = Float32Array.from(c.filter);
    c.bias = Float32Array.from(c.bias);
  } else if (c.type === 'fc') {
    c.weights = Float32Array.from(c.weights);
    c.bias = Float32Array.from(c.bias);
  }
  return c;
}
