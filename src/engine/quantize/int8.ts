/**
 * Integer quantization arithmetic with TFLite's semantics: symmetric int8 weights,
 * asymmetric int8 activations, int32 biases, and the fixed-point requantization
 * (QuantizeMultiplier / MultiplyByQuantizedMultiplier, double rounding) the runtime uses.
 */

/** C's round(): half away from zero (JS Math.round rounds half up). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export interface SymmetricWeights {
  /** Quantized values in the layout given (row-major [rows, cols]). */
  q: Int8Array;
  /** One scale per tensor, or one per row (channel) when per-channel. */
  scales: Float32Array;
}

/**
 * Symmetric int8 quantization of a [rows, cols] matrix: q = round(w / s), s = max|w| / 127.
 * Per-channel = one scale per row. Zero stays exactly zero.
 */
export function quantizeSymmetric(w: Float32Array, rows: number, cols: number, perChannel: boolean): SymmetricWeights {
  const q = new Int8Array(rows * cols);
  const nScales = perChannel ? rows : 1;
  const scales = new Float32Array(nScales);
  for (let s = 0; s < nScales; s++) {
    const from = perChannel ? s * cols : 0;
    const to = perChannel ? from + cols : rows * cols;
    let maxAbs = 0;
    for (let i = from; i < to; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(w[i]));
    }
    // An all-zero channel still needs a positive scale for the runtime.
    scales[s] = maxAbs > 0 ? maxAbs / 127 : 1;
    const inv = 1 / scales[s];
    for (let i = from; i < to; i++) {
      q[i] = Math.max(-127, Math.min(127, roundHalfAway(w[i] * inv)));
    }
  }
  return { q, scales };
}

export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Asymmetric int8 parameters for a calibrated range, widened to include 0 so that zero
 * (ReLU's floor, padding) is represented exactly.
 */
export function asymmetricParams(min: number, max: number): AffineParams {
  const lo = Math.min(0, min);
  let hi = Math.max(0, max);
  if (hi - lo < 1e-8) {
    hi = lo + 1e-8;
  }
  const scale = Math.fround((hi - lo) / 255);
  const zp = roundHalfAway(-128 - lo / scale);
  return { scale, zeroPoint: Math.max(-128, Math.min(127, zp)) };
}

/** TFLite's QuantizeMultiplier: real = q · 2^(shift − 31), q in [2^30, 2^31). */
export function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (real === 0) {
    return { multiplier: 0, shift: 0 };
  }
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  let frac = real / 2 ** shift;
  // Guard against log2 rounding: keep frac in [0.5, 1).
  if (frac >= 1) {
    frac /= 2;
    shift++;
  } else if (frac < 0.5) {
    frac *= 2;
    shift--;
  }
  let q = Math.round(frac * 2 ** 31);
  if (q === 2 ** 31) {
    q /= 2;
    shift++;
  }
  if (shift < -31) {
    return { multiplier: 0, shift: 0 };
  }
  return { multiplier: q, shift };
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int32 values (exact with BigInt). */
function srdhm(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) {
    return 2147483647;
  }
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // C++ integer division truncates toward zero.
  const num = ab + nudge;
  const q = num / (1n << 31n);
  return Number(q);
}

/** gemmlowp RoundingDivideByPOT: round half away from zero. */
function roundingDivideByPot(x: number, exponent: number): number {
  if (exponent === 0) {
    return x;
  }
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPot(srdhm(x * 2 ** left, multiplier), right);
}

/** Quantize a float to int8 as TFLite's QUANTIZE does: round(x / s) + zp, clamped. */
export function quantizeValue(x: number, p: AffineParams): number {
  const v = roundHalfAway(Math.fround(x / p.scale)) + p.zeroPoint;
  return Math.max(-128, Math.min(127, v));
}
