/**
 * Shared by the kernel tests: building the wasm, seeded models and data, and the independent
 * reference — TF.js (cpu backend) autodiff of the same network and loss, written with tfjs ops
 * the way tfjs-layers computes sparse categorical cross-entropy.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The CJS bundle of tfjs-core leaves gradients out; autodiff needs them registered.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { MlpModel } from '../../src/engine/model/mlp';
import { mulberry32 } from '../../src/engine/util/random';

export const repoRoot = join(__dirname, '..', '..');

/** Builds dist/kernel.wasm when stale (a fresh clone's tests must not depend on `npm run build` order). */
export function ensureKernelBuilt(): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-kernel.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`kernel build failed:\n${r.stdout}\n${r.stderr}`);
  }
}

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** mulberry32: small seeded PRNG in [0, 1) (the seed is its state, unmixed). */
export const rng = mulberry32;

/** Glorot-uniform kernels, small random biases (so bias gradients and padding are exercised). */
export function randomModel(inputDim: number, hidden: number[], classes: number, seed: number, biasScale = 0.05): MlpModel {
  const r = rng(seed);
  const dims = [inputDim, ...hidden, classes];
  return {
    name: 'test_model',
    inputDim,
    layers: dims.slice(1).map((units, l) => {
      const inDim = dims[l];
      const limit = Math.sqrt(6 / (inDim + units));
      const kernel = new Float32Array(inDim * units).map(() => (r() * 2 - 1) * limit);
      const bias = new Float32Array(units).map(() => (r() * 2 - 1) * biasScale);
      return {
        name: l === 0 ? 'dense' : `dense_${l}`,
        inputDim: inDim,
        units,
        activation: l === hidden.length ? 'softmax' : 'relu',
        kernel,
        bias,
      };
    }),
  };
}

/** MNIST-like bytes: `zeroFraction` exact zeros, the rest uniform 1..255. */
export function randomImages(count: number, dim: number, seed: number, zeroFraction = 0.75): Uint8Array {
  const r = rng(seed);
  return new Uint8Array(count * dim).map(() => (r() < zeroFraction ? 0 : 1 + Math.floor(r() * 255)));
}

export function randomLabels(count: number, classes: number, seed: number): Uint8Array {
  const r = rng(seed);
  return new Uint8Array(count).map(() => Math.floor(r() * classes));
}

/** Reference forward pass: softmax probabilities [count, classes]. */
export function tfPredict(model: MlpModel, images: Uint8Array, count: number): Float32Array {
  return tf.tidy(() => tfForward(model, tf.div(tf.tensor2d(images, [count, model.inputDim], 'float32'), 255))).dataSync() as Float32Array;
}

function tfForward(model: MlpModel, x: tf.Tensor, ws?: tf.Tensor[], bs?: tf.Tensor[]): tf.Tensor {
  let h = x;
  model.layers.forEach((l, i) => {
    const w = ws ? ws[i] : tf.tensor2d(l.kernel, [l.inputDim, l.units]);
    const b = bs ? bs[i] : tf.tensor1d(l.bias);
    const z = tf.add(tf.matMul(h, w), b);
    h = l.activation === 'relu' ? tf.relu(z) : tf.softmax(z);
  });
  return h;
}

export interface RefGradients {
  loss: number;
  kernels: Float32Array[];
  biases: Float32Array[];
}

/**
 * Loss and gradients by TF.js autodiff. The loss is tfjs-layers' categoricalCrossentropy on
 * probabilities: p / Σp, clipped to [1e-7, 1 - 1e-7], −Σ onehot·log, mean over the batch.
 */
export function tfGradients(model: MlpModel, images: Uint8Array, labels: Uint8Array, count: number): RefGradients {
  tf.engine().startScope();
  try {
    const x = tf.div(tf.tensor2d(images, [count, model.inputDim], 'float32'), 255);
    const classes = model.layers[model.layers.length - 1].units;
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    const ws = model.layers.map((l) => tf.variable(tf.tensor2d(l.kernel, [l.inputDim, l.units])));
    const bs = model.layers.map((l) => tf.variable(tf.tensor1d(l.bias)));
    const { value, grads } = tf.variableGrads(() => {
      const h = tfForward(model, x, ws, bs);
      const p = tf.div(h, tf.sum(h, -1, true));
      const clipped = tf.clipByValue(p, 1e-7, 1 - 1e-7);
      return tf.mean(tf.neg(tf.sum(tf.mul(onehot, tf.log(clipped)), -1)));
    }, [...ws, ...bs]);
    const out: RefGradients = {
      loss: value.dataSync()[0],
      kernels: ws.map((w) => grads[w.name].dataSync() as Float32Array),
      biases: bs.map((b) => grads[b.name].dataSync() as Float32Array),
    };
    [...ws, ...bs].forEach((v) => v.dispose());
    return out;
  } finally {
    tf.engine().endScope();
  }
}

/** max |a − b| / max |b| (a scale-aware relative error for one tensor). */
export function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new Error(`length ${a.length} ≠ ${b.length}`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
