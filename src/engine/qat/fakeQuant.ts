/**
 * Fake quantization (TensorFlow's FakeQuantWithMinMaxVars, which tfmot's quantizers call):
 * the forward pass rounds a float tensor to the int8 grid the full-int8 export will use and
 * maps it back to float; the backward pass is the straight-through estimator: the incoming
 * gradient passes unchanged where the input lies inside the representable range
 * [(−128 − zp)·s, (127 − zp)·s] and is zero outside it (the clamp saturates there).
 *
 * Weights are rounded in JavaScript with exactly the export's arithmetic (symmetric ±127,
 * one scale per channel or per tensor), so the weights a QAT forward pass sees are bit for
 * bit those the .tflite file stores.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AffineParams } from '../quantize/int8';

/** The float interval an int8 tensor with these parameters can hold. */
export function representableRange(p: AffineParams): { lo: number; hi: number } {
  return { lo: (-128 - p.zeroPoint) * p.scale, hi: (127 - p.zeroPoint) * p.scale };
}

/**
 * y = (clamp(round(x / s) + zp, −128, 127) − zp) · s, with the straight-through gradient
 * (dy where lo ≤ x ≤ hi, else 0), as tf.quantization.fake_quant_with_min_max_vars.
 */
export function fakeQuantActivation(x: tf.Tensor, p: AffineParams): tf.Tensor {
  const { lo, hi } = representableRange(p);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([input]);
    const q = tf.clipByValue(tf.add(tf.round(tf.div(input, p.scale)), p.zeroPoint), -128, 127);
    return {
      value: tf.mul(tf.sub(q, p.zeroPoint), p.scale),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const inside = tf.logicalAnd(tf.greaterEqual(saved[0], lo), tf.lessEqual(saved[0], hi));
        return [tf.mul(dy as tf.Tensor, tf.cast(inside, 'float32'))];
      },
    };
  });
  return f(x);
}

/** How the exporter that will write this model rounds weights (the two writers differ in one step). */
export type WeightArithmetic = 'graph' | 'dense-stack';

/**
 * The dequantized int8 values of a weight in Keras layout: per channel (`channels` = the
 * number of quantization channels, the channel of flat index i being i mod channels) or per
 * tensor (`channels` null). Scale = max|w| / 127 as float32 (1 for an all-zero channel),
 * q = round-half-away(w / s) clamped to ±127 ('graph': emit.ts quantizeWeights) or
 * round-half-away(w · (1/s)) ('dense-stack': quantize/int8.ts quantizeSymmetric).
 * Zero stays exactly zero, so pruned weights stay pruned.
 */
export function fakeQuantWeightValues(w: Float32Array, channels: number | null, arithmetic: WeightArithmetic = 'graph'): { values: Float32Array; scales: Float32Array } {
  const n = channels ?? 1;
  const chan = (i: number): number => (channels === null ? 0 : i % n);
  const maxAbs = new Float64Array(n);
  for (let i = 0; i < w.length; i++) {
    const c = chan(i);
    const a = Math.abs(w[i]);
    if (a > maxAbs[c]) {
      maxAbs[c] = a;
    }
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const inv = Float64Array.from(scales, (s) => 1 / s);
  const values = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = chan(i);
    const v = arithmetic === 'graph' ? w[i] / scales[c] : w[i] * inv[c];
    const q = Math.max(-127, Math.min(127, v < 0 ? -Math.round(-v) : Math.round(v)));
    values[i] = q * scales[c];
  }
  return { values, scales };
}

/** A weight tensor replaced by its fake-quantized values, with the identity (straight-through) gradient. */
export function fakeQuantWeight(w: tf.Tensor, values: Float32Array): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tensor(values, (args[0] as tf.Tensor).shape, 'float32'),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [dy as tf.Tensor],
  }));
  return f(w);
}
