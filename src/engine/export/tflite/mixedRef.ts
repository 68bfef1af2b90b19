/**
 * The reference for full-int8 files with float fallback (emit.ts `floatOpsOf`): int8 ops run
 * with the int8 reference kernels (int8Ref.ts, bit-exact with both runtimes), float ops with
 * the float reference (floatRef.ts) on dequantized inputs, and a float op's output is
 * quantized (QUANTIZE: round half away from zero, the calibrated parameters) where an int8 op
 * reads it. Also what the sensitivity analysis walks to compare float and int8 activations.
 */
import type { AffineParams } from '../../quantize/int8';
import { runFloatOp } from './floatRef';
import { runInt8Op } from './int8Ref';
import type { Lowered } from './lowered';
import type { QuantizedLowered } from './quantizeLowered';

const f = Math.fround;

export function quantizeValues(v: Float32Array, p: AffineParams): Int8Array {
  return Int8Array.from(v, (x) => {
    const r = f(x / p.scale);
    const q = (r < 0 ? -Math.round(-r) : Math.round(r)) + p.zeroPoint;
    return q < -128 ? -128 : q > 127 ? 127 : q;
  });
}

export function dequantizeValues(v: Int8Array, p: AffineParams): Float32Array {
  return Float32Array.from(v, (x) => p.scale * (x - p.zeroPoint));
}

/** Every tensor of one sample in the domain its producer runs in (the input: float). */
export interface MixedValues {
  float: Map<number, Float32Array>;
  int8: Map<number, Int8Array>;
}

/**
 * Runs one float sample (model input values) through the mixed model; `isFloat[k]` says op k
 * runs in float. Returns every tensor's value in its producer's domain.
 */
export function forwardMixedValues(l: Lowered, q: QuantizedLowered, isFloat: readonly boolean[], x: Float32Array): MixedValues {
  const fl = new Map<number, Float32Array>([[l.input, x]]);
  const i8 = new Map<number, Int8Array>();
  const asInt8 = (t: number): Int8Array => {
    let v = i8.get(t);
    if (!v) {
      v = quantizeValues(fl.get(t) as Float32Array, q.params[t]);
      i8.set(t, v);
    }
    return v;
  };
  const asFloat = (t: number): Float32Array => fl.get(t) ?? dequantizeValues(i8.get(t) as Int8Array, q.params[t]);
  l.ops.forEach((op, k) => {
    const inShapes = op.inputs.map((t) => l.tensors[t].shape);
    const outShape = l.tensors[op.output].shape;
    if (isFloat[k]) {
      fl.set(op.output, runFloatOp(op, op.inputs.map(asFloat), inShapes, outShape));
    } else {
      i8.set(op.output, runInt8Op(op, k, q, op.inputs.map(asInt8), inShapes, outShape));
    }
  });
  return { float: fl, int8: i8 };
}

/** The model's float output for one sample (dequantized when the last op is int8). */
export function forwardMixed(l: Lowered, q: QuantizedLowered, isFloat: readonly boolean[], x: Float32Array): Float32Array {
  const v = forwardMixedValues(l, q, isFloat, x);
  const lastFloat = isFloat[l.ops.findIndex((op) => op.output === l.output)];
  return lastFloat ? (v.float.get(l.output) as Float32Array) : dequantizeValues(v.int8.get(l.output) as Int8Array, q.params[l.output]);
}
