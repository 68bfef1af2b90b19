/**
 * Fresh weights with Keras' initializers, drawn in layer order from one seeded stream:
 * glorot_uniform U(±sqrt(6 / (fan_in + fan_out))), he_normal (truncated normal, stddev
 * sqrt(2 / fan_in)), zeros, ones. Fans follow Keras' compute_fans: for a kernel
 * [kh, kw, in, out], fan_in = kh·kw·in and fan_out = kh·kw·out.
 */
import type { WeightSpec } from '../layers/kind';
import type { Rng } from '../util/random';
import type { WeightTensor } from './types';

export function fans(shape: number[]): [number, number] {
  if (shape.length === 1) {
    return [shape[0], shape[0]];
  }
  const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * rf, shape[shape.length - 1] * rf];
}

function truncatedNormal(rng: Rng, stddev: number): number {
  for (;;) {
    // Box–Muller; Keras' truncated normal redraws values beyond two standard deviations.
    const u = 1 - rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    if (Math.abs(z) <= 2) {
      return z * stddev;
    }
  }
}

export function initWeight(spec: WeightSpec, rng: Rng): WeightTensor {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const [fanIn, fanOut] = fans(spec.shape);
  switch (spec.init) {
    case 'glorot_uniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) {
        data[i] = rng.uniform(-limit, limit);
      }
      break;
    }
    case 'he_normal': {
      // Keras scales the truncated normal's stddev by 1 / 0.8796… so the result has variance 2 / fan_in.
      const stddev = Math.sqrt(2 / fanIn) / 0.87962566103423978;
      for (let i = 0; i < n; i++) {
        data[i] = truncatedNormal(rng, stddev);
      }
      break;
    }
    case 'ones':
      data.fill(1);
      break;
    case 'zeros':
      break;
  }
  return { name: spec.name, shape: [...spec.shape], data, trainable: spec.trainable };
}
