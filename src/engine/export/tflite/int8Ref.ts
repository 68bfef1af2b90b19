/**
 * The integer arithmetic our full-int8 files are run with, op by op: the expectation the tests
 * hold both TFLite runtimes to, bit for bit. Each kernel follows the kernel that really runs
 * the op (both runtimes hand most int8 ops to XNNPACK, the rest to TFLite's builtin kernels);
 * the arithmetic was written from the public kernel sources, not copied:
 * - CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: int32 accumulation of w·(x − zx) + bias, then
 *   XNNPACK's "fp32" requantization: acc·float(float(sx·sw[c]) / sy) in float32, rounded to
 *   nearest even, plus zy, clamped to the fused activation's range;
 * - MAX_POOL_2D, REDUCE_MAX, RESHAPE, PAD (zero point fill), CONCATENATION: exact (shared
 *   parameters: no requantization);
 * - AVERAGE_POOL_2D: TFLite's integer average (sum ± count/2, divided, truncating);
 * - MEAN over H, W: XNNPACK's global average pooling: (Σx − n·zx)·float(float(sx/sy)/n), rounded
 *   to nearest even;
 * - ADD: XNNPACK's fixed-point add: multipliers float(sa/sy), float(sb/sy) as 2^shift-scaled
 *   integers (the larger in [2^20, 2^21)), rounding bias, arithmetic shift right;
 * - MUL: (a − za)(b − zb)·float(sa·sb/sy) in float32, rounded to nearest even;
 * - SOFTMAX: TFLite's int8 kernel (float exp table, float normalisation; quantize/fullInt8.ts);
 * - LOGISTIC: XNNPACK's 256-entry table (float32, lrintf); TANH: TFLite's table (float, round).
 */
import { softmaxInt8 } from '../../quantize/fullInt8';
import { quantizeMultiplier, roundHalfAway, type AffineParams } from '../../quantize/int8';
import { padBefore } from './lowerHelpers';
import { walkLowered, type ConvOp, type FusedAct, type LOp, type Lowered } from './lowered';
import type { QuantizedLowered } from './quantizeLowered';

const f = Math.fround;

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** The int8 range a fused activation leaves, in output units. */
export function actRange(act: FusedAct, p: AffineParams): [number, number] {
  if (act === 'NONE') {
    return [-128, 127];
  }
  const lo = Math.max(-128, p.zeroPoint);
  const hi = act === 'RELU6' ? Math.min(127, p.zeroPoint + roundHalfAway(6 / p.scale)) : 127;
  return [lo, hi];
}

function convInt8(op: ConvOp, q: QuantizedLowered, k: number, x: Int8Array, xs: number[], ys: number[]): Int8Array {
  const w = q.weights[k]!;
  const pin = q.params[op.inputs[0]];
  const pout = q.params[op.output];
  const [h, wd, cin] = xs;
  const [ho, wo, cout] = ys;
  const [, kh, kw] = op.filterShape;
  const [sh, sw] = op.strides;
  const [dh, dw] = op.dilation;
  const pt = padBefore(h, kh, sh, dh, op.padding);
  const pl = padBefore(wd, kw, sw, dw, op.padding);
  const scales = Array.from({ length: cout }, (_, c) => f(f(pin.scale * w.scales[w.scales.length === 1 ? 0 : c]) / pout.scale));
  const [lo, hi] = actRange(op.act, pout);
  const zin = pin.zeroPoint;
  const y = new Int8Array(ho * wo * cout);
  const depthwise = op.type === 'depthwise';
  const m = op.depthMultiplier;
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      for (let oc = 0; oc < cout; oc++) {
        let acc = w.bias[oc];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) {
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= wd) {
              continue;
            }
            const xo = (iy * wd + ix) * cin;
            if (depthwise) {
              acc += (x[xo + Math.floor(oc / m)] - zin) * w.q[(ky * kw + kx) * cout + oc];
            } else {
              const fo = ((oc * kh + ky) * kw + kx) * cin;
              for (let ic = 0; ic < cin; ic++) {
                acc += (x[xo + ic] - zin) * w.q[fo + ic];
              }
            }
          }
        }
        y[(oy * wo + ox) * cout + oc] = clamp(roundHalfEven(f(acc * scales[oc])) + pout.zeroPoint, lo, hi);
      }
    }
  }
  return y;
}

function lut(pin: AffineParams, pout: AffineParams, fn: (v: number) => number): Int8Array {
  const t = new Int8Array(256);
  for (let v = -128; v <= 127; v++) {
    const x = f(pin.scale * (v - pin.zeroPoint));
    t[v + 128] = clamp(roundHalfAway(f(f(fn(x)) * f(1 / pout.scale))) + pout.zeroPoint, -128, 127);
  }
  return t;
}

/** TFLite's DownScaleInt32ToInt16Multiplier: the top 16 bits, rounded. */
function toInt16Multiplier(q32: number): number {
  return q32 >= 2 ** 31 - 1 - 2 ** 15 ? 32767 : Math.floor((q32 + 2 ** 15) / 2 ** 16);
}

const int16 = (v: number): number => (v << 16) >> 16;
const sat16 = (v: number): number => clamp(v, -32768, 32767);

/** gemmlowp's SaturatingRoundingDoublingHighMul on int16. */
function srdhm16(a: number, b: number): number {
  if (a === b && a === -32768) {
    return 32767;
  }
  const ab = a * b;
  return Math.trunc((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / (1 << 15));
}

/** gemmlowp's RoundingDivideByPOT (round half away from zero). */
function roundingDivideByPot(x: number, e: number): number {
  const mask = (1 << e) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite's int8 HARD_SWISH kernel (reference_ops::HardSwish, the one both runtimes run: XNNPACK
 * takes only float HARD_SWISH): 16-bit fixed point, the input on a 2^7 finer scale, a "relu-ish"
 * factor in [0, 1] from (x + 3)/6 with saturation, a truncating doubling high multiply, then the
 * output shift. Multipliers as Prepare computes them, in float32.
 */
function hardSwishTable(pin: AffineParams, pout: AffineParams): Int8Array {
  const hires = f(f(1 / 128) * f(pin.scale));
  const out = quantizeMultiplier(f(hires / f(pout.scale)));
  const outMul = toInt16Multiplier(out.multiplier);
  const outExp = out.shift;
  const rel = quantizeMultiplier(f(hires / f(3 / 32768)));
  const relMul = toInt16Multiplier(rel.multiplier);
  const relExp = rel.shift;
  const t = new Int8Array(256);
  for (let v = -128; v <= 127; v++) {
    const inHires = int16((v - pin.zeroPoint) * 128);
    const preshift = srdhm16(inHires, outMul);
    let r = inHires;
    if (relExp > 0) {
      r = sat16(r * 2 ** (relExp - 1));
    }
    r = srdhm16(r, relMul);
    if (relExp > 0) {
      r = sat16(r * 2);
    }
    if (relExp < 0) {
      r = roundingDivideByPot(r, -relExp);
    }
    r = (r + (1 << 15)) >> 1;
    // SaturatingDoublingHighMul: truncates toward zero.
    const pre = r === preshift && r === -32768 ? 32767 : int16(Math.trunc((r * preshift) / (1 << 15)));
    const y = roundingDivideByPot(pre, -outExp) + pout.zeroPoint;
    t[v + 128] = clamp(y, -128, 127);
  }
  return t;
}

/** XNNPACK's qs8 add parameters (see the module doc). */
function addParams(pa: AffineParams, pb: AffineParams, py: AffineParams): { am: number; bm: number; shift: number; bias: number } {
  const as = f(pa.scale / py.scale);
  const bs = f(pb.scale / py.scale);
  const max = Math.max(as, bs);
  const exp = Math.floor(Math.log2(max));
  const e = f(2 ** exp) > max ? exp - 1 : exp;
  const shift = 20 - e;
  const am = roundHalfEven(as * 2 ** shift);
  const bm = roundHalfEven(bs * 2 ** shift);
  const bias = 2 ** (shift - 1) - am * pa.zeroPoint - bm * pb.zeroPoint;
  return { am, bm, shift, bias };
}

export function runInt8Op(op: LOp, k: number, q: QuantizedLowered, ins: Int8Array[], inShapes: number[][], outShape: number[]): Int8Array {
  const x = ins[0];
  const pin = q.params[op.inputs[0]];
  const pout = q.params[op.output];
  const n = outShape.reduce((a, b) => a * b, 1);
  switch (op.type) {
    case 'conv2d':
    case 'depthwise':
      return convInt8(op, q, k, x, inShapes[0], outShape);
    case 'fc': {
      const w = q.weights[k]!;
      const inN = x.length;
      const [lo, hi] = actRange(op.act, pout);
      const y = new Int8Array(op.units);
      for (let o = 0; o < op.units; o++) {
        let acc = w.bias[o];
        for (let i = 0; i < inN; i++) {
          acc += w.q[o * inN + i] * (x[i] - pin.zeroPoint);
        }
        const s = f(f(pin.scale * w.scales[w.scales.length === 1 ? 0 : o]) / pout.scale);
        y[o] = clamp(roundHalfEven(f(acc * s)) + pout.zeroPoint, lo, hi);
      }
      return y;
    }
    case 'maxPool':
    case 'avgPool': {
      const [h, wd, c] = inShapes[0];
      const [ho, wo] = outShape;
      const pt = padBefore(h, op.pool[0], op.strides[0], 1, op.padding);
      const pl = padBefore(wd, op.pool[1], op.strides[1], 1, op.padding);
      const y = new Int8Array(n);
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let acc = op.type === 'maxPool' ? -128 : 0;
            let cnt = 0;
            for (let ky = 0; ky < op.pool[0]; ky++) {
              for (let kx = 0; kx < op.pool[1]; kx++) {
                const iy = oy * op.strides[0] - pt + ky;
                const ix = ox * op.strides[1] - pl + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                  continue;
                }
                const v = x[(iy * wd + ix) * c + ch];
                acc = op.type === 'maxPool' ? Math.max(acc, v) : acc + v;
                cnt++;
              }
            }
            if (op.type === 'avgPool') {
              acc = acc > 0 ? Math.trunc((acc + Math.floor(cnt / 2)) / cnt) : Math.trunc((acc - Math.floor(cnt / 2)) / cnt);
            }
            y[(oy * wo + ox) * c + ch] = clamp(acc, -128, 127);
          }
        }
      }
      return y;
    }
    case 'mean':
    case 'reduceMax': {
      const [h, wd, c] = inShapes[0];
      const hw = h * wd;
      const y = new Int8Array(c);
      const scale = f(f(pin.scale / pout.scale) / hw);
      for (let ch = 0; ch < c; ch++) {
        let acc = op.type === 'mean' ? -hw * pin.zeroPoint : -128;
        for (let i = 0; i < hw; i++) {
          acc = op.type === 'mean' ? acc + x[i * c + ch] : Math.max(acc, x[i * c + ch]);
        }
        y[ch] = op.type === 'mean' ? clamp(roundHalfEven(f(acc * scale)) + pout.zeroPoint, -128, 127) : acc;
      }
      return y;
    }
    case 'reshape':
      return Int8Array.from(x);
    case 'softmax': {
      const c = outShape[outShape.length - 1];
      return softmaxInt8(x, n / c, c, pin.scale, pout);
    }
    case 'logistic': {
      // XNNPACK's sigmoid table: float32 math, the upper half as 1/s − (1/s)/(1 + e^x), lrintf.
      const inv = f(1 / pout.scale);
      const t = new Int8Array(256);
      for (let v = -128; v <= 127; v++) {
        const xv = f(pin.scale * (v - pin.zeroPoint));
        const s = xv < 0 ? f(inv / f(1 + f(Math.exp(-xv)))) : f(inv - f(inv / f(1 + f(Math.exp(xv)))));
        t[v + 128] = clamp(roundHalfEven(s) + pout.zeroPoint, -128, 127);
      }
      return Int8Array.from(x, (v) => t[v + 128]);
    }
    case 'tanh': {
      const t = lut(pin, pout, Math.tanh);
      return Int8Array.from(x, (v) => t[v + 128]);
    }
    case 'hardSwish': {
      const t = hardSwishTable(pin, pout);
      return Int8Array.from(x, (v) => t[v + 128]);
    }
    case 'mul': {
      // XNNPACK's qs8 multiply: (a − za)(b − zb)·float(sa·sb/sy) in float32, rounded to nearest even.
      const pb = q.params[op.inputs[1]];
      const s = f(f(pin.scale * pb.scale) / pout.scale);
      const b = ins[1];
      return Int8Array.from(x, (v, i) => clamp(roundHalfEven(f((v - pin.zeroPoint) * (b[i] - pb.zeroPoint) * s)) + pout.zeroPoint, -128, 127));
    }
    case 'relu':
    case 'relu6': {
      const [lo, hi] = actRange(op.type === 'relu' ? 'RELU' : 'RELU6', pout);
      const s = f(pin.scale / pout.scale);
      return Int8Array.from(x, (v) => clamp(roundHalfEven(f((v - pin.zeroPoint) * s)) + pout.zeroPoint, lo, hi));
    }
    case 'add': {
      const { am, bm, shift, bias } = addParams(pin, q.params[op.inputs[1]], pout);
      const [lo, hi] = actRange(op.act, pout);
      const b = ins[1];
      return Int8Array.from(x, (v, i) => clamp(Math.floor((bias + v * am + b[i] * bm) / 2 ** shift) + pout.zeroPoint, lo, hi));
    }
    case 'concat': {
      const y = new Int8Array(n);
      const outer = outShape.slice(0, op.axis).reduce((a, b) => a * b, 1);
      const inner = (s: number[]): number => s.slice(op.axis).reduce((a, b) => a * b, 1);
      const total = inner(outShape);
      let off = 0;
      ins.forEach((t, j) => {
        const len = inner(inShapes[j]);
        for (let o = 0; o < outer; o++) {
          y.set(t.subarray(o * len, (o + 1) * len), o * total + off);
        }
        off += len;
      });
      return y;
    }
    case 'pad': {
      const [h, wd, c] = inShapes[0];
      const [, wo] = outShape;
      const y = new Int8Array(n).fill(pin.zeroPoint);
      const [[top], [left]] = op.paddings;
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < wd; ix++) {
          y.set(x.subarray((iy * wd + ix) * c, (iy * wd + ix + 1) * c), ((iy + top) * wo + ix + left) * c);
        }
      }
      return y;
    }
    case 'affine': {
      const a = q.affine[k]!;
      const c = a.scaleQ.length;
      const mulScale = f(f(pin.scale * a.scaleParams.scale) / a.mid.scale);
      const mid = Int8Array.from(x, (v, i) =>
        clamp(roundHalfEven(f((v - pin.zeroPoint) * (a.scaleQ[c === 1 ? 0 : i % c] - a.scaleParams.zeroPoint) * mulScale)) + a.mid.zeroPoint, -128, 127),
      );
      if (!a.shiftQ || !a.shiftParams) {
        return mid;
      }
      const sp = a.shiftParams;
      const { am, bm, shift, bias } = addParams(a.mid, sp, pout);
      const sc = a.shiftQ.length;
      return Int8Array.from(mid, (v, i) => clamp(Math.floor((bias + v * am + a.shiftQ![sc === 1 ? 0 : i % sc] * bm) / 2 ** shift) + pout.zeroPoint, -128, 127));
    }
  }
}

/** Runs one already-quantized sample (int8, the input tensor's parameters) through the model; returns the int8 output. */
export function forwardInt8Lowered(l: Lowered, q: QuantizedLowered, x: Int8Array): Int8Array {
  return walkLowered(l, x, (op, k, ins, inShapes, outShape) => runInt8Op(op, k, q, ins, inShapes, outShape)).get(l.output) as Int8Array;
}

/** QUANTIZE of float input values with the model input's parameters (round half away from zero, as TFLite). */
export function quantizeInputValues(q: QuantizedLowered, l: Lowered, x: Float32Array): Int8Array {
  const p = q.params[l.input];
  return Int8Array.from(x, (v) => clamp(roundHalfAway(f(v / p.scale)) + p.zeroPoint, -128, 127));
}
