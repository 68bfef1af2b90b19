/**
 * A plain-JS forward pass of an MlpModel (float32 storage, float64 accumulation): the
 * runtime for `.h5` files and the float reference for calibration and agreement checks.
 */
import type { MlpModel } from '../model/mlp';
import { softmaxRows } from '../model/softmax';
import { modelInputs, type Features } from '../data/dataset';

export function applyActivation(out: Float32Array, units: number, activation: string): void {
  if (activation === 'relu') {
    for (let i = 0; i < out.length; i++) {
      if (out[i] < 0) {
        out[i] = 0;
      }
    }
  } else if (activation === 'softmax') {
    softmaxRows(out, out.length / units, units);
  }
}

/** One Dense layer on a [count, inputDim] batch; returns [count, units] BEFORE activation. */
export function denseForward(x: Float32Array, count: number, kernel: Float32Array, bias: Float32Array, inputDim: number, units: number): Float32Array {
  const out = new Float32Array(count * units);
  const acc = new Float64Array(units);
  for (let n = 0; n < count; n++) {
    acc.set(bias);
    const xo = n * inputDim;
    for (let i = 0; i < inputDim; i++) {
      const xv = x[xo + i];
      if (xv === 0) {
        continue;
      }
      const ko = i * units;
      for (let j = 0; j < units; j++) {
        acc[j] += xv * kernel[ko + j];
      }
    }
    out.set(acc, n * units);
  }
  return out;
}

/** Model inputs of samples [start, start + count) (uint8 bytes scaled by 1/255, float32 copied). */
export function scalePixels(images: Features, start: number, count: number, features: number): Float32Array {
  return modelInputs({ images, features }, start, count);
}

/**
 * Forward pass on uint8 pixels (scaled by 1/255, as in training). `onLayer` sees each
 * layer's output before (pre) and after (post) its activation, for calibration.
 */
export function forwardMlp(
  model: MlpModel,
  images: Features,
  count: number,
  start = 0,
  onLayer?: (index: number, pre: Float32Array, post: Float32Array) => void,
): Float32Array {
  let x = scalePixels(images, start, count, model.inputDim);
  model.layers.forEach((l, idx) => {
    const pre = denseForward(x, count, l.kernel, l.bias, l.inputDim, l.units);
    const post = onLayer ? pre.slice() : pre;
    applyActivation(post, l.units, l.activation);
    onLayer?.(idx, pre, post);
    x = post;
  });
  return x;
}

export function argmaxRows(values: ArrayLike<number>, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (values[n * classes + j] > values[n * classes + best]) {
        best = j;
      }
    }
    out[n] = best;
  }
  return out;
}

/** Test accuracy of the float model, in batches to bound memory. */
export function accuracyOf(model: MlpModel, images: Features, labels: ArrayLike<number>, count: number, batch = 1000): number {
  const classes = model.layers[model.layers.length - 1].units;
  let correct = 0;
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const pred = argmaxRows(forwardMlp(model, images, n, s), n, classes);
    for (let i = 0; i < n; i++) {
      if (pred[i] === labels[s + i]) {
        correct++;
      }
    }
  }
  return count > 0 ? correct / count : 0;
}
