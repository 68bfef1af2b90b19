/**
 * Weight clustering: the 1-D k-means against a hand-worked example, the centroid gradient
 * (sum of its weights' gradients) against finite differences of the loss, exactly k values
 * per clustered kernel after fine-tuning (zeros kept as their own value), and the stripped
 * model's .tflite holding exactly those values.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { ImageSet } from '../../src/engine/data/dataset';
import { clusteredValues, kmeans1d, type Clustering } from '../../src/engine/cluster/kmeans';
import { ClusterTrainer } from '../../src/engine/cluster/trainer';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { TensorType } from '../../src/engine/export/tflite/schema';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { clusterTargets } from '../../src/engine/jobs/cluster';
import { convnet } from './tflite-graph-helpers';
import { mnist, randomModel } from './export-helpers';

let train: ImageSet;

before(async () => {
  await tf.setBackend('cpu');
  ({ train } = await mnist(300, 10));
});

void describe('k-means with linear init', () => {
  void test('a hand-worked example: linear init [0, 2.5, 5], the empty middle cluster re-seeded at the farthest weight, converged to [0.1, 1.05, 5]', () => {
    const w = Float32Array.from([0, 0.1, 0.2, 1.0, 1.1, 5.0]);
    const c = kmeans1d(w, 3, false);
    assert.deepEqual([...c.centroids], [0.1, 1.05, 5].map(Math.fround));
    assert.deepEqual([...c.assignment], [0, 0, 0, 1, 1, 2]);
  });

  void test('keepZeros: zeros are not clustered and stay exactly 0; the rest has exactly k values', () => {
    const w = Float32Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? 0 : Math.sin(i * 12.9898) * 0.7));
    const c = kmeans1d(w, 8, true);
    const v = clusteredValues(c);
    assert.ok(w.every((x, i) => (x === 0) === (v[i] === 0)));
    assert.equal(new Set(v.filter((x) => x !== 0)).size, 8);
    // Lloyd's fixed point: every centroid is the mean of its weights, every weight at its nearest centroid.
    for (let j = 0; j < 8; j++) {
      const mine = [...w].filter((_, i) => c.assignment[i] === j);
      assert.ok(Math.abs(c.centroids[j] - mine.reduce((a, b) => a + b, 0) / mine.length) < 1e-6);
    }
    w.forEach((x, i) => {
      if (x !== 0) {
        const d = Math.abs(x - c.centroids[c.assignment[i]]);
        assert.ok(c.centroids.every((cc) => Math.abs(x - cc) >= d - 1e-7));
      }
    });
  });
});

function clusterAll(g: ReturnType<typeof mlpToGraph>, k: number): Map<string, Clustering> {
  return new Map(
    clusterTargets(g, 'all').map((t) => [t.key, kmeans1d(g.layers.find((l) => l.name === t.layer)!.weights[t.weight].data, k, true)]),
  );
}

void describe('fine-tuning with shared centroids', () => {
  void test("a centroid's gradient (the sum of its weights' gradients) matches central finite differences of the loss", () => {
    const g = mlpToGraph(randomModel('mlp', [784, 16, 10], 3));
    // A smooth hidden activation: shifting a centroid moves hundreds of weights at once, and ReLU
    // kinks crossed on the way would dominate the difference quotient.
    g.layers[1].config.activation = 'tanh';
    const clusters = clusterAll(g, 4);
    const x = train.images.subarray(0, 64 * 784);
    const y = train.labels.subarray(0, 64);
    const t = new ClusterTrainer(g, 1e-3, 1, clusters);
    const gc = t.centroidGradients(t.lossAndGradients(x, y, 64).grads).get('dense/kernel')!;
    t.dispose();
    const k = [...gc.keys()].sort((a, b) => Math.abs(gc[b]) - Math.abs(gc[a]))[0];
    const lossWith = (delta: number): number => {
      const c = clusters.get('dense/kernel')!;
      const shifted = new Map(clusters);
      shifted.set('dense/kernel', { assignment: c.assignment, centroids: Float32Array.from(c.centroids, (v, j) => (j === k ? v + delta : v)) });
      const tt = new ClusterTrainer(g, 1e-3, 1, shifted);
      const l = tt.lossAndGradients(x, y, 64).loss;
      tt.dispose();
      return l;
    };
    const eps = 1e-3;
    const fd = (lossWith(eps) - lossWith(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - gc[k]) <= 0.01 * Math.abs(gc[k]) + 1e-4, `finite difference ${fd} vs centroid gradient ${gc[k]}`);
  });

  void test('after fine-tuning every clustered kernel holds exactly k values plus its zeros; the .tflite stores exactly those', () => {
    const k = 16;
    const g = mlpToGraph(randomModel('mlp', [784, 32, 10], 5, 4));
    const zeros = g.layers.map((l) => l.weights[0]?.data.filter((v) => v === 0).length ?? 0);
    const t = new ClusterTrainer(g, 5e-3, 1, clusterAll(g, k));
    const before = t.getModel('before').layers[1].weights[0].data.slice();
    for (let b = 0; b < 6; b++) {
      t.trainBatch(train.images.subarray(b * 32 * 784, (b + 1) * 32 * 784), train.labels.subarray(b * 32, (b + 1) * 32), 32);
    }
    const m = t.getModel('mlp_clustered');
    t.dispose();
    assert.notDeepEqual([...m.layers[1].weights[0].data], [...before], 'the centroids did not train');
    m.layers.forEach((l, i) => {
      const kernel = l.weights[0]?.data;
      if (!kernel) {
        return;
      }
      assert.equal(new Set(kernel.filter((v) => v !== 0)).size, k, `${l.name}: distinct non-zero values`);
      assert.equal(kernel.filter((v) => v === 0).length, zeros[i], `${l.name}: zeros kept`);
    });
    // float32 .tflite: the FULLY_CONNECTED weights hold the same k values (+ 0).
    const file = readTflite(tfliteBytes(m, 'float32').data);
    const kernels = file.tensors.filter((tt) => tt.data && tt.type === TensorType.FLOAT32 && tt.shape.length === 2);
    assert.equal(kernels.length, 2);
    for (const tt of kernels) {
      const v = new Float32Array(tt.data!.buffer.slice(tt.data!.byteOffset, tt.data!.byteOffset + tt.data!.byteLength));
      assert.equal(new Set(v.filter((x) => x !== 0)).size, k);
    }
  });

  void test('a convnet: conv and dense kernels clustered (k = 8); biases are not', () => {
    const g = convnet(4);
    const targets = clusterTargets(g, 'all').map((x) => x.key);
    assert.deepEqual(targets, ['conv2d/kernel', 'conv2d_1/kernel', 'dense/kernel']);
    const t = new ClusterTrainer(g, 1e-3, 1, new Map(targets.map((key) => [key, kmeans1d(g.layers.find((l) => l.name === key.split('/')[0])!.weights[0].data, 8, true)])));
    const m = t.getModel('c');
    t.dispose();
    for (const key of targets) {
      assert.equal(new Set(m.layers.find((l) => l.name === key.split('/')[0])!.weights[0].data).size, 8, key);
    }
    assert.ok(new Set(m.layers.find((l) => l.name === 'dense')!.weights[1].data).size > 8);
  });
});
