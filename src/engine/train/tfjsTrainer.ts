/**
 * The TF.js trainer: Dense layers on TF.js matMuls with hand-written gradients, and Adam
 * (Keras' formulation) on the weights kept as plain Float32Arrays.
 *
 * Why it is shaped like this (issue 6): on the wasm backend a matMul with a transposed
 * operand falls back to a naive loop (~10× slower than XNNPACK), autodiff's Xᵀ·dH is such
 * a matMul, and Adam through TF.js is ~60 tiny ops per step. So:
 * - every matMul is non-transposed: the batch is uploaded twice, as X [B, in] and as
 *   Xᵀ [in, B] (built from the uint8 pixels in one JS pass), so dW₁ = Xᵀ·dH₁; deeper layers
 *   use tf.transpose of a small activation and a JS-side transposed copy of the kernel;
 * - the weights live in JS (the master copy), are uploaded once per step, and Adam plus the
 *   pruning masks run in one fused JS loop per parameter array;
 * - softmax, the clipped cross-entropy, its gradient and the activation derivatives are
 *   elementwise on small [B, units] arrays and run in JS.
 * The gradients are checked against TF.js autodiff in test/unit/train-tfjs.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../../protocol/config';
import type { DenseLayer, MlpModel } from '../model/mlp';
import type { BatchResult, EvalResult, MlpTrainer } from './trainer';
import { BadInputError } from '../errors';
import { softmaxRows } from '../model/softmax';
import type { Features } from '../data/dataset';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
/** Keras' Adam default (TF.js and PyTorch use 1e-8). */
export const ADAM_EPSILON = 1e-7;
/** Keras clips probabilities to [ε, 1 − ε] before the log of the cross-entropy. */
export const LOSS_EPSILON = 1e-7;
/** Rows per forward pass in predict/evaluate (issue 6: batch 32 on 10 000 rows is ~40× slower). */
export const PREDICT_CHUNK = 4096;

/** x / 255 for every byte value, as float32 (the same value Keras' `x / 255.0` gives). */
const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** A Dense layer (the master copy of its weights) plus what training keeps beside it. */
interface LayerState extends DenseLayer {
  /** Kernel transposed [units, inputDim], kept in step for layers > 0 (for dA = dH·Wᵀ). */
  kernelT: Float32Array | null;
  mask: Float32Array | null;
  mK: Float32Array;
  vK: Float32Array;
  mB: Float32Array;
  vB: Float32Array;
}

function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      dst[c * rows + r] = src[o + c];
    }
  }
  return dst;
}

/** Keras' sparse categorical cross-entropy on probabilities (clipped) and accuracy. */
export function lossAndCorrect(probs: Float32Array, labels: ArrayLike<number>, count: number, classes: number): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < count; r++) {
    const o = r * classes;
    const y = labels[r];
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[o + c] > probs[o + best]) {
        best = c;
      }
    }
    if (best === y) {
      correct++;
    }
    const p = Math.min(Math.max(probs[o + y], LOSS_EPSILON), 1 - LOSS_EPSILON);
    lossSum -= Math.log(p);
  }
  return { lossSum, correct };
}

function activationFused(a: Activation): 'relu' | 'linear' {
  return a === 'relu' ? 'relu' : 'linear';
}

export class TfjsTrainer implements MlpTrainer {
  readonly name = 'tfjs';
  private layers: LayerState[] = [];
  private inputDim = 0;
  private classes = 0;
  private lr: number;
  private step = 0;
  private xBuf = new Float32Array(0);
  private xtBuf = new Float32Array(0);

  constructor(model: MlpModel, learningRate: number) {
    this.lr = learningRate;
    this.setModel(model, false);
  }

  setModel(model: MlpModel, keepOptimizer = false): void {
    const same =
      this.layers.length === model.layers.length && this.layers.every((l, i) => l.inputDim === model.layers[i].inputDim && l.units === model.layers[i].units);
    if (!same || !keepOptimizer) {
      this.layers = model.layers.map((l, i) => this.freshLayer(l, i, this.layers[i]?.mask ?? null));
      this.step = 0;
    } else {
      model.layers.forEach((l, i) => {
        this.layers[i].kernel.set(l.kernel);
        this.layers[i].bias.set(l.bias);
        this.layers[i].activation = l.activation;
        this.layers[i].name = l.name;
      });
    }
    const out = model.layers[model.layers.length - 1];
    if (out.activation === 'relu') {
      throw new BadInputError("The output layer's activation is 'relu', which sparse categorical cross-entropy cannot train. Set model.outputActivation to 'softmax' (or 'linear' for logits).", 'model.outputActivation');
    }
    this.inputDim = model.inputDim;
    this.classes = out.units;
    this.layers.forEach((l, i) => {
      if (l.kernelT) {
        transposeInto(l.kernel, l.inputDim, l.units, l.kernelT);
      }
      if (l.mask && l.mask.length !== l.kernel.length) {
        throw new Error(`mask of layer ${i} has ${l.mask.length} entries, the kernel ${l.kernel.length}`);
      }
    });
    this.applyMasks();
  }

  private freshLayer(l: DenseLayer, i: number, mask: Float32Array | null): LayerState {
    const n = l.inputDim * l.units;
    return {
      name: l.name,
      inputDim: l.inputDim,
      units: l.units,
      activation: l.activation,
      kernel: l.kernel.slice(),
      bias: l.bias.slice(),
      kernelT: i > 0 ? new Float32Array(n) : null,
      mask: mask && mask.length === n ? mask : null,
      mK: new Float32Array(n),
      vK: new Float32Array(n),
      mB: new Float32Array(l.units),
      vB: new Float32Array(l.units),
    };
  }

  getModel(name: string): MlpModel {
    return {
      name,
      inputDim: this.inputDim,
      layers: this.layers.map((l) => ({ name: l.name, inputDim: l.inputDim, units: l.units, activation: l.activation, kernel: l.kernel.slice(), bias: l.bias.slice() })),
    };
  }

  resetOptimizer(learningRate: number): void {
    this.lr = learningRate;
    this.step = 0;
    for (const l of this.layers) {
      l.mK.fill(0);
      l.vK.fill(0);
      l.mB.fill(0);
      l.vB.fill(0);
    }
  }

  setMasks(masks: (Float32Array | null)[]): void {
    if (masks.length !== this.layers.length) {
      throw new Error(`setMasks: got ${masks.length} masks for ${this.layers.length} layers`);
    }
    masks.forEach((m, i) => {
      if (m && m.length !== this.layers[i].kernel.length) {
        throw new Error(`setMasks: mask ${i} has ${m.length} entries, kernel has ${this.layers[i].kernel.length}`);
      }
      this.layers[i].mask = m;
    });
    this.applyMasks();
  }

  applyMasks(): void {
    for (const l of this.layers) {
      const m = l.mask;
      if (!m) {
        continue;
      }
      const k = l.kernel;
      for (let i = 0; i < k.length; i++) {
        k[i] *= m[i];
      }
      if (l.kernelT) {
        transposeInto(k, l.inputDim, l.units, l.kernelT);
      }
    }
  }

  /** Fills the X [count, in] and Xᵀ [in, count] buffers with model inputs (bytes / 255, or float32 as is). */
  private fillBatch(images: Features, count: number, transposed: boolean): void {
    const d = this.inputDim;
    const need = count * d;
    if (this.xBuf.length < need) {
      this.xBuf = new Float32Array(need);
      this.xtBuf = new Float32Array(need);
    }
    const x = this.xBuf;
    const xt = this.xtBuf;
    const bytes = images instanceof Uint8Array ? images : null;
    for (let r = 0; r < count; r++) {
      const o = r * d;
      for (let c = 0; c < d; c++) {
        const v = bytes ? SCALE[bytes[o + c]] : images[o + c];
        x[o + c] = v;
        if (transposed) {
          xt[c * count + r] = v;
        }
      }
    }
  }

  /** Forward pass on tensors; returns every layer's output tensor (last = logits or probabilities' logits). */
  private forward(x: tf.Tensor2D, weights: { k: tf.Tensor2D; b: tf.Tensor1D }[]): tf.Tensor2D[] {
    const outs: tf.Tensor2D[] = [];
    let a = x;
    this.layers.forEach((l, i) => {
      const last = i === this.layers.length - 1;
      // The output layer yields logits; softmax runs in JS (exact, and one op less).
      const act = last ? 'linear' : activationFused(l.activation);
      let h = tf.fused.matMul({ a, b: weights[i].k, bias: weights[i].b, activation: act }) as tf.Tensor2D;
      if (!last && l.activation === 'softmax') {
        h = tf.softmax(h);
      }
      outs.push(h);
      a = h;
    });
    return outs;
  }

  private weightTensors(): { k: tf.Tensor2D; b: tf.Tensor1D }[] {
    return this.layers.map((l) => ({ k: tf.tensor2d(l.kernel, [l.inputDim, l.units]), b: tf.tensor1d(l.bias) }));
  }

  trainBatch(images: Features, labels: ArrayLike<number>, count: number): BatchResult {
    const { grads, loss, correct } = this.gradients(images, labels, count);
    this.adam(grads);
    return { loss, correct };
  }

  /**
   * Mean-loss gradients for every layer (kernel [in, units] row-major, bias) without
   * updating anything; also the batch's mean loss and correct count.
   */
  gradients(images: Features, labels: ArrayLike<number>, count: number): { grads: { k: Float32Array; b: Float32Array }[]; loss: number; correct: number } {
    const L = this.layers.length;
    const C = this.classes;
    this.fillBatch(images, count, true);
    const d = this.inputDim;
    const grads: { k: Float32Array; b: Float32Array }[] = new Array<{ k: Float32Array; b: Float32Array }>(L);
    let lossSum = 0;
    let correct = 0;
    tf.tidy(() => {
      const x = tf.tensor2d(this.xBuf.subarray(0, count * d), [count, d]);
      const weights = this.weightTensors();
      const outs = this.forward(x, weights);
      // Softmax + clipped cross-entropy + dLoss/dLogits in JS.
      const p = softmaxRows(outs[L - 1].dataSync() as Float32Array, count, C);
      ({ lossSum, correct } = lossAndCorrect(p, labels, count, C));
      // d(mean CE)/dz = (p − onehot) / B where the clip is inactive; 0 where it clips (as autodiff gives).
      const dz = p; // reuse the buffer (dataSync returned a copy)
      const inv = 1 / count;
      for (let r = 0; r < count; r++) {
        const o = r * C;
        const py = dz[o + labels[r]];
        if (py < LOSS_EPSILON || py > 1 - LOSS_EPSILON) {
          dz.fill(0, o, o + C);
          continue;
        }
        for (let c = 0; c < C; c++) {
          dz[o + c] = (dz[o + c] - (c === labels[r] ? 1 : 0)) * inv;
        }
      }
      let dH = dz;
      for (let i = L - 1; i >= 0; i--) {
        const l = this.layers[i];
        const dHt = tf.tensor2d(dH, [count, l.units]);
        const aT = i === 0 ? tf.tensor2d(this.xtBuf.subarray(0, count * d), [d, count]) : tf.transpose(outs[i - 1]);
        const dW = tf.matMul(aT, dHt);
        const db = new Float32Array(l.units);
        for (let r = 0; r < count; r++) {
          const o = r * l.units;
          for (let c = 0; c < l.units; c++) {
            db[c] += dH[o + c];
          }
        }
        grads[i] = { k: dW.dataSync() as Float32Array, b: db };
        if (i > 0) {
          const prev = this.layers[i - 1];
          const wT = tf.tensor2d(l.kernelT as Float32Array, [l.units, l.inputDim]);
          const dA = tf.matMul(dHt, wT).dataSync() as Float32Array;
          const a = outs[i - 1].dataSync() as Float32Array;
          dH = activationBackward(prev.activation, a, dA, count, prev.units);
        }
      }
    });
    return { grads, loss: lossSum / count, correct };
  }

  /** One Keras Adam step on every parameter, masks applied to gradients and weights. */
  private adam(grads: { k: Float32Array; b: Float32Array }[]): void {
    this.step++;
    const t = this.step;
    const alpha = (this.lr * Math.sqrt(1 - Math.pow(ADAM_BETA2, t))) / (1 - Math.pow(ADAM_BETA1, t));
    this.layers.forEach((l, i) => {
      adamUpdate(l.kernel, grads[i].k, l.mK, l.vK, alpha, l.mask);
      adamUpdate(l.bias, grads[i].b, l.mB, l.vB, alpha, null);
      if (l.kernelT) {
        transposeInto(l.kernel, l.inputDim, l.units, l.kernelT);
      }
    });
  }

  predict(images: Features, count: number): Float32Array {
    const C = this.classes;
    const out = new Float32Array(count * C);
    const weights = this.weightTensors();
    try {
      for (let start = 0; start < count; start += PREDICT_CHUNK) {
        const n = Math.min(PREDICT_CHUNK, count - start);
        this.fillBatch(images.subarray(start * this.inputDim, (start + n) * this.inputDim), n, false);
        const logits = tf.tidy(() => {
          const x = tf.tensor2d(this.xBuf.subarray(0, n * this.inputDim), [n, this.inputDim]);
          const outs = this.forward(x, weights);
          return outs[outs.length - 1];
        });
        const z = logits.dataSync() as Float32Array;
        logits.dispose();
        out.set(softmaxRows(z, n, C), start * C);
      }
    } finally {
      weights.forEach((w) => {
        w.k.dispose();
        w.b.dispose();
      });
    }
    return out;
  }

  evaluate(images: Features, labels: ArrayLike<number>, count: number): EvalResult {
    if (count === 0) {
      return { loss: NaN, accuracy: NaN };
    }
    const p = this.predict(images, count);
    const { lossSum, correct } = lossAndCorrect(p, labels, count, this.classes);
    return { loss: lossSum / count, accuracy: correct / count };
  }

  dispose(): void {
    this.layers = [];
    this.xBuf = new Float32Array(0);
    this.xtBuf = new Float32Array(0);
  }
}

/** dL/dH from dL/dA for the activation A = f(H), given A (all elementwise on [rows, units]). */
export function activationBackward(act: Activation, a: Float32Array, dA: Float32Array, rows: number, units: number): Float32Array {
  switch (act) {
    case 'relu':
      for (let i = 0; i < rows * units; i++) {
        if (!(a[i] > 0)) {
          dA[i] = 0;
        }
      }
      return dA;
    case 'linear':
      return dA;
    case 'softmax': {
      for (let r = 0; r < rows; r++) {
        const o = r * units;
        let dot = 0;
        for (let c = 0; c < units; c++) {
          dot += dA[o + c] * a[o + c];
        }
        for (let c = 0; c < units; c++) {
          dA[o + c] = a[o + c] * (dA[o + c] - dot);
        }
      }
      return dA;
    }
    default: {
      const never: never = act;
      throw new Error(`unknown activation ${String(never)}`);
    }
  }
}

/**
 * Keras' Adam (TF ≥ 2.11): m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂);
 * w −= α·m / (√v + ε) with α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ). Masked entries get g = 0 and w = 0.
 */
export function adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, alpha: number, mask: Float32Array | null): void {
  const b1 = 1 - ADAM_BETA1;
  const b2 = 1 - ADAM_BETA2;
  if (mask) {
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] * mask[i];
      const mi = (m[i] += (gi - m[i]) * b1);
      const vi = (v[i] += (gi * gi - v[i]) * b2);
      w[i] = (w[i] - (alpha * mi) / (Math.sqrt(vi) + ADAM_EPSILON)) * mask[i];
    }
  } else {
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const mi = (m[i] += (gi - m[i]) * b1);
      const vi = (v[i] += (gi * gi - v[i]) * b2);
      w[i] -= (alpha * mi) / (Math.sqrt(vi) + ADAM_EPSILON);
    }
  }
}
