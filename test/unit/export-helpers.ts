/**
 * Shared fixtures for the export tests: MNIST subsets, a small MLP trained with plain-JS
 * SGD (independent of the engine's trainers), random models, and temp folders.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../src/engine/data/dataset';
import { mnistPackagePaths, readImageSet, takeFirst } from '../../src/engine/data/mnist';
import type { MlpModel } from '../../src/engine/model/mlp';

/**
 * A file-system IOHandler for stock tf.loadLayersModel (tfjs-node's file:// is not installed):
 * a reader of our own for the tests, independent of the engine's TF.js reader.
 */
export function fileHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await fs.readFile(modelJson, 'utf8')) as { modelTopology: object; weightsManifest: tf.io.WeightsManifestConfig; format: string };
      const group = json.weightsManifest[0];
      const bin = await fs.readFile(path.join(path.dirname(modelJson), group.paths[0]));
      return { modelTopology: json.modelTopology, weightSpecs: group.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), format: json.format };
    },
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `mo-${prefix}-`));
}

export async function mnist(trainCount: number, testCount: number): Promise<{ train: ImageSet; test: ImageSet }> {
  const p = mnistPackagePaths();
  const train = await readImageSet(p.trainImages, p.trainLabels, 10);
  const test = await readImageSet(p.testImages, p.testLabels, 10);
  return { train: takeFirst(train, trainCount), test: takeFirst(test, testCount) };
}

/** Deterministic LCG in [-0.5, 0.5). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

export function randomModel(name: string, dims: number[], seed = 1, zeroEvery = 0): MlpModel {
  const r = rng(seed);
  const layers = dims.slice(1).map((units, i) => {
    const inputDim = dims[i];
    const scale = Math.sqrt(6 / (inputDim + units));
    const kernel = Float32Array.from({ length: inputDim * units }, (_, k) => (zeroEvery && k % zeroEvery === 0 ? 0 : 2 * scale * r()));
    const bias = Float32Array.from({ length: units }, () => 0.1 * r());
    return { name: i === 0 ? 'dense' : `dense_${i}`, inputDim, units, activation: i === dims.length - 2 ? ('softmax' as const) : ('relu' as const), kernel, bias };
  });
  return { name, inputDim: dims[0], layers };
}

/** Minibatch SGD on softmax cross-entropy for a 1-hidden-layer ReLU MLP; plain JS. */
export function trainMlp(train: ImageSet, hidden: number, epochs: number, seed = 7, lr = 0.1, batch = 32): MlpModel {
  const model = randomModel('mnist_model', [train.features, hidden, 10], seed);
  const [l1, l2] = model.layers;
  const D = train.features;
  const H = hidden;
  const C = 10;
  const x = new Float32Array(D);
  const h = new Float64Array(H);
  const p = new Float64Array(C);
  const dh = new Float64Array(H);
  const g1 = new Float64Array(D * H);
  const gb1 = new Float64Array(H);
  const g2 = new Float64Array(H * C);
  const gb2 = new Float64Array(C);
  const order = Array.from({ length: train.count }, (_, i) => i);
  const r = rng(seed + 1);
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor((r() + 0.5) * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let b0 = 0; b0 < order.length; b0 += batch) {
      g1.fill(0);
      gb1.fill(0);
      g2.fill(0);
      gb2.fill(0);
      const nb = Math.min(batch, order.length - b0);
      for (let s = 0; s < nb; s++) {
        const n = order[b0 + s];
        for (let i = 0; i < D; i++) {
          x[i] = train.images[n * D + i] / 255;
        }
        h.set(l1.bias);
        for (let i = 0; i < D; i++) {
          if (x[i] !== 0) {
            for (let j = 0; j < H; j++) {
              h[j] += x[i] * l1.kernel[i * H + j];
            }
          }
        }
        for (let j = 0; j < H; j++) {
          h[j] = Math.max(0, h[j]);
        }
        let max = -Infinity;
        for (let c = 0; c < C; c++) {
          let v = l2.bias[c];
          for (let j = 0; j < H; j++) {
            v += h[j] * l2.kernel[j * C + c];
          }
          p[c] = v;
          max = Math.max(max, v);
        }
        let sum = 0;
        for (let c = 0; c < C; c++) {
          p[c] = Math.exp(p[c] - max);
          sum += p[c];
        }
        for (let c = 0; c < C; c++) {
          p[c] = p[c] / sum - (c === train.labels[n] ? 1 : 0);
          gb2[c] += p[c];
        }
        dh.fill(0);
        for (let j = 0; j < H; j++) {
          if (h[j] > 0) {
            for (let c = 0; c < C; c++) {
              g2[j * C + c] += h[j] * p[c];
              dh[j] += p[c] * l2.kernel[j * C + c];
            }
          }
        }
        for (let j = 0; j < H; j++) {
          gb1[j] += dh[j];
        }
        for (let i = 0; i < D; i++) {
          if (x[i] !== 0) {
            for (let j = 0; j < H; j++) {
              g1[i * H + j] += x[i] * dh[j];
            }
          }
        }
      }
      const k = lr / nb;
      for (let i = 0; i < g1.length; i++) {
        l1.kernel[i] -= k * g1[i];
      }
      for (let i = 0; i < H; i++) {
        l1.bias[i] -= k * gb1[i];
      }
      for (let i = 0; i < g2.length; i++) {
        l2.kernel[i] -= k * g2[i];
      }
      for (let i = 0; i < C; i++) {
        l2.bias[i] -= k * gb2[i];
      }
    }
  }
  return model;
}

/** Zeroes the smallest-magnitude `fraction` of every kernel (a stand-in for pruning). */
export function pruneMagnitude(model: MlpModel, fraction: number, name = 'pruned_mnist_model'): MlpModel {
  return {
    name,
    inputDim: model.inputDim,
    layers: model.layers.map((l) => {
      const kernel = l.kernel.slice();
      const sorted = Float32Array.from(kernel, Math.abs).sort();
      const threshold = sorted[Math.floor(fraction * (sorted.length - 1))];
      for (let i = 0; i < kernel.length; i++) {
        if (Math.abs(kernel[i]) <= threshold) {
          kernel[i] = 0;
        }
      }
      return { ...l, kernel, bias: l.bias.slice() };
    }),
  };
}

export async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}
