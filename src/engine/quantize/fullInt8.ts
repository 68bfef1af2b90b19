/**
 * Full-integer int8 quantization of an MLP with a representative dataset, and a reference
 * implementation of the integer arithmetic the TFLite runtime performs on it (used by the
 * tests as the bit-exact expectation, and handy for explaining results).
 */
import type { MlpModel } from '../model/mlp';
import { BadInputError } from '../errors';
import { forwardMlp } from './forward';
import { inputValue, type Features } from '../data/dataset';
import {
  asymmetricParams,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  quantizeSymmetric,
  quantizeValue,
  roundHalfAway,
  type AffineParams,
} from './int8';

/** Softmax output quantization fixed by the TFLite int8 kernel. */
export const SOFTMAX_OUTPUT: AffineParams = { scale: 1 / 256, zeroPoint: -128 };

export interface QuantLayer {
  name: string;
  inputDim: number;
  units: number;
  /** int8 weights in TFLite layout [units, inputDim]. */
  weights: Int8Array;
  weightScales: Float32Array;
  /** int32 bias, scale input·weight[c], zero point 0. */
  bias: Int32Array;
  biasScales: Float32Array;
  input: AffineParams;
  /** The Dense output (after a fused ReLU when relu). */
  output: AffineParams;
  relu: boolean;
  softmax: boolean;
}

export interface QuantizedMlp {
  name: string;
  inputDim: number;
  input: AffineParams;
  layers: QuantLayer[];
  /** Quantization of the model output (softmax's fixed params or the last Dense's). */
  output: AffineParams;
  perChannel: boolean;
}

export interface RepresentativeData {
  /** Samples as the data set stores them (uint8 = byte / 255, float32 = model input). */
  images: Features;
  count: number;
}

/** [inputDim, units] row-major → [units, inputDim] row-major. */
export function transpose(kernel: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(kernel.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      t[c * rows + r] = kernel[r * cols + c];
    }
  }
  return t;
}

/** Ranges that replace calibration's (quantization-aware training): the input's, and each layer's output (absent = calibrated). */
export interface MlpRangeOverrides {
  input?: { min: number; max: number };
  layers?: ({ min: number; max: number } | undefined)[];
}

export function quantizeFullInt8(model: MlpModel, rep: RepresentativeData, perChannel: boolean, overrides?: MlpRangeOverrides): QuantizedMlp {
  if (rep.count <= 0) {
    throw new BadInputError('full-integer quantization needs representative samples (quantize.representativeSamples > 0)', 'quantize.representativeSamples');
  }
  const n = model.layers.length;
  const ranges = model.layers.map(() => ({ min: Infinity, max: -Infinity }));
  let inMin = Infinity;
  let inMax = -Infinity;
  const x = rep.images.subarray(0, rep.count * model.inputDim);
  for (let i = 0; i < x.length; i++) {
    const v = inputValue(x, i);
    inMin = Math.min(inMin, v);
    inMax = Math.max(inMax, v);
  }
  forwardMlp(model, rep.images, rep.count, 0, (idx, pre, post) => {
    // A fused ReLU's output is the post-activation range; softmax follows its logits.
    const src = model.layers[idx].activation === 'relu' ? post : pre;
    const r = ranges[idx];
    for (let i = 0; i < src.length; i++) {
      r.min = Math.min(r.min, src[i]);
      r.max = Math.max(r.max, src[i]);
    }
  });
  if (overrides?.input) {
    ({ min: inMin, max: inMax } = overrides.input);
  }
  overrides?.layers?.forEach((r, i) => {
    if (r && ranges[i]) {
      ranges[i] = { min: r.min, max: r.max };
    }
  });
  const input = asymmetricParams(inMin, inMax);
  let prev = input;
  const layers: QuantLayer[] = model.layers.map((l, idx) => {
    const wT = transpose(l.kernel, l.inputDim, l.units);
    const { q, scales } = quantizeSymmetric(wT, l.units, l.inputDim, perChannel);
    const weightScales = perChannel ? scales : new Float32Array(l.units).fill(scales[0]);
    const biasScales = new Float32Array(l.units);
    const bias = new Int32Array(l.units);
    for (let c = 0; c < l.units; c++) {
      biasScales[c] = prev.scale * weightScales[c];
      bias[c] = roundHalfAway(l.bias[c] / biasScales[c]);
    }
    const output = asymmetricParams(ranges[idx].min, ranges[idx].max);
    const layer: QuantLayer = {
      name: l.name,
      inputDim: l.inputDim,
      units: l.units,
      weights: q,
      weightScales: perChannel ? scales : scales.slice(0, 1),
      bias,
      biasScales: perChannel ? biasScales : biasScales.slice(0, 1),
      input: prev,
      output,
      relu: l.activation === 'relu',
      softmax: l.activation === 'softmax',
    };
    prev = layer.softmax ? SOFTMAX_OUTPUT : output;
    return layer;
  });
  return { name: model.name, inputDim: model.inputDim, input, layers, output: prev, perChannel: n > 0 && perChannel };
}

/** The int8 softmax of TFLite's optimized kernel (float lookup table, float normalization). */
export function softmaxInt8(input: Int8Array, rows: number, cols: number, inputScale: number, out: AffineParams): Int8Array {
  const table = new Float32Array(256);
  const scale = Math.fround(-inputScale * 1.0);
  for (let v = 0; v <= 255; v++) {
    table[255 - v] = Math.fround(Math.exp(Math.fround(scale * v)));
  }
  const outScale = Math.fround(out.scale);
  const result = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = input.subarray(r * cols, (r + 1) * cols);
    let max = -128;
    for (const v of row) {
      max = Math.max(max, v);
    }
    const offset = 255 - max;
    let sum = 0;
    for (const v of row) {
      sum = Math.fround(sum + table[offset + v]);
    }
    const inv = Math.fround(1 / Math.fround(sum * outScale));
    for (let j = 0; j < cols; j++) {
      const prob = Math.fround(table[offset + row[j]] * inv);
      const q = roundHalfAway(prob) + out.zeroPoint;
      result[r * cols + j] = Math.max(-128, Math.min(127, q));
    }
  }
  return result;
}

export interface Int8ForwardOptions {
  /** How the requantization multiplier is formed (the runtime differs per path). */
  floatProductScale?: boolean;
  /**
   * true (default) = XNNPACK's "fp32" requantization: scale = float(float(in·w[c]) / out) per
   * output channel, acc·scale in float32, rounded to nearest even. That is what the kernels
   * our files run on in the tfjs-tflite runtime compute: per-tensor full-int8 goes to
   * XNNPACK's QS8 fully-connected operator, per-channel full-int8 (written as 1×1 CONV_2D,
   * see export/tflite/build.ts) to XNNPACK's QC8 convolution; both match this bit for bit
   * (test/unit/export-tflite.test.ts, with the profiler confirming XNNPACK runs them). The
   * converter's per-channel FULLY_CONNECTED, which that runtime leaves to TFLite's builtin
   * kernel, also matched on the tested batch. false = TFLite's builtin fixed-point multiplier
   * (what microcontroller runtimes without XNNPACK compute; may differ by 1 at rounding ties).
   */
  fp32Requantize?: boolean;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Integer forward pass on already-quantized int8 inputs [count, inputDim]; returns int8 outputs. */
export function forwardInt8(qm: QuantizedMlp, xq: Int8Array, count: number, opts: Int8ForwardOptions = {}): Int8Array {
  let x = xq;
  for (const l of qm.layers) {
    const y = new Int8Array(count * l.units);
    const mults = Array.from({ length: l.units }, (_, c) => {
      const ws = l.weightScales[l.weightScales.length === 1 ? 0 : c];
      const prod = opts.floatProductScale ? Math.fround(l.input.scale * ws) : l.input.scale * ws;
      return quantizeMultiplier(prod / l.output.scale);
    });
    const fscales = Array.from({ length: l.units }, (_, c) =>
      Math.fround(Math.fround(l.input.scale * l.weightScales[l.weightScales.length === 1 ? 0 : c]) / l.output.scale),
    );
    const actMin = l.relu ? Math.max(-128, l.output.zeroPoint) : -128;
    const zin = l.input.zeroPoint;
    for (let n = 0; n < count; n++) {
      for (let c = 0; c < l.units; c++) {
        let acc = l.bias[c];
        const wo = c * l.inputDim;
        const xo = n * l.inputDim;
        for (let i = 0; i < l.inputDim; i++) {
          acc += l.weights[wo + i] * (x[xo + i] - zin);
        }
        let v = (opts.fp32Requantize ?? true)
          ? roundHalfEven(Math.fround(acc * fscales[c])) + l.output.zeroPoint
          : multiplyByQuantizedMultiplier(acc, mults[c].multiplier, mults[c].shift) + l.output.zeroPoint;
        v = Math.max(actMin, Math.min(127, v));
        y[n * l.units + c] = v;
      }
    }
    x = l.softmax ? softmaxInt8(y, count, l.units, l.output.scale, SOFTMAX_OUTPUT) : y;
  }
  return x;
}

export function quantizeInput(qm: QuantizedMlp, images: Features, start: number, count: number): Int8Array {
  const out = new Int8Array(count * qm.inputDim);
  const off = start * qm.inputDim;
  for (let i = 0; i < out.length; i++) {
    out[i] = quantizeValue(Math.fround(inputValue(images, off + i)), qm.input);
  }
  return out;
}

export function dequantize(q: Int8Array, p: AffineParams): Float32Array {
  const out = new Float32Array(q.length);
  const s = Math.fround(p.scale);
  for (let i = 0; i < q.length; i++) {
    out[i] = Math.fround(s * (q[i] - p.zeroPoint));
  }
  return out;
}
