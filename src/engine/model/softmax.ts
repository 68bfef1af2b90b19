/**
 * Softmax over rows of a flat [rows, classes] array, shared by the TF.js trainer (its
 * probabilities and predictions) and the plain-JS forward pass (the .h5 runtime and the
 * float reference of quantization).
 */

/** Row-wise softmax in place on logits [rows, classes] (max-subtracted, float64 sums). */
export function softmaxRows(z: Float32Array, rows: number, classes: number): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (z[o + c] > max) {
        max = z[o + c];
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(z[o + c] - max);
      z[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) {
      z[o + c] /= sum;
    }
  }
  return z;
}
