/**
 * Every real Keras file in ../shared/fixtures/keras imports into a ModelGraph whose forward
 * pass equals stock tfjs-layers' (1e-5) on the same inputs: the reference model is built by
 * tfjs-layers itself from the file's own Keras JSON (tf.models.modelFromJSON) with the
 * weights Debian's h5py reads (layer.setWeights), on the cpu backend. The MNIST files then
 * classify the MNIST test images as a plain numpy forward pass of the h5py weights does
 * (test/unit/keras_reference.py): the accuracy is determined without any of our code.
 *
 * MODEL_OPTIMIZER_IMPORT_MNIST=10000 runs the whole test set (default: the first 2000).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../src/engine/backend';
import { mnistPackagePaths, readImageSet } from '../../src/engine/data/mnist';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { loadModelFile } from '../../src/engine/import/index';
import { FIXTURES, FIXTURES_DIR, pythonReference, referenceModel, requireH5py } from './import-helpers';

const MNIST_COUNT = Number(process.env.MODEL_OPTIMIZER_IMPORT_MNIST ?? 2000);

before(async () => {
  await tf.setBackend('cpu');
});
after(async () => {
  await tf.setBackend('cpu');
});

async function mnistTest(count: number): Promise<{ x: Float32Array; labels: number[] }> {
  const p = mnistPackagePaths();
  const set = await readImageSet(p.testImages, p.testLabels, 10);
  // Pixels / 255, as the fixtures were trained (the numpy reference does the same).
  const x = Float32Array.from(set.images.subarray(0, count * 784), (v) => v / 255);
  return { x, labels: Array.from(set.labels.subarray(0, count)) };
}

function argmax(probs: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < probs.length / classes; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[i * classes + c] > probs[i * classes + best]) {
        best = c;
      }
    }
    out.push(best);
  }
  return out;
}

for (const { file, mnist } of FIXTURES) {
  void test(`${file}: imports, and its forward pass equals stock tfjs-layers' (1e-5)`, async (t) => {
    if (!requireH5py(t)) {
      return;
    }
    await tf.setBackend('cpu');
    const full = path.join(FIXTURES_DIR, file);
    const [graph, ref] = await Promise.all([loadModelFile(full), pythonReference(full)]);
    const g = analyzeGraph(graph);
    const n = mnist ? 16 : 2;
    const size = g.inputShape.reduce((a, b) => a * b, 1);
    let x: Float32Array;
    if (mnist) {
      x = (await mnistTest(n)).x;
    } else {
      // MobileNetV2 inputs in [-1, 1], as Teachable Machine scales images.
      let s = 12345;
      x = Float32Array.from({ length: n * size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
    }
    const model = await referenceModel(ref);
    try {
      const expected = tf.tidy(() => (model.predict(tf.tensor(x, [n, ...g.inputShape])) as tf.Tensor).dataSync() as Float32Array);
      const got = predictGraph(g, x, n);
      assert.equal(got.length, expected.length);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
      }
      console.log(`${file}: ${graph.layers.length} layers, ${n} inputs, max |ours − tfjs-layers| = ${maxDiff.toExponential(2)}`);
      assert.ok(maxDiff <= 1e-5, `max difference ${maxDiff}`);
    } finally {
      model.dispose();
    }
  });

  if (mnist) {
    void test(`${file}: classifies the first ${MNIST_COUNT} MNIST test images as numpy does on h5py's weights`, async (t) => {
      if (!requireH5py(t)) {
        return;
      }
      const full = path.join(FIXTURES_DIR, file);
      const [graph, ref, data] = await Promise.all([loadModelFile(full), pythonReference(full, MNIST_COUNT), mnistTest(MNIST_COUNT)]);
      assert.equal(ref.count, MNIST_COUNT);
      assert.ok(ref.accuracy !== null && ref.accuracy >= 0.98, `numpy accuracy ${ref.accuracy}`);
      const backend = await initBackend('wasm');
      try {
        const g = analyzeGraph(graph);
        const preds: number[] = [];
        for (let s = 0; s < MNIST_COUNT; s += 500) {
          const k = Math.min(500, MNIST_COUNT - s);
          preds.push(...argmax(predictGraph(g, data.x.subarray(s * 784, (s + k) * 784), k), 10));
        }
        const correct = preds.filter((p, i) => p === data.labels[i]).length;
        const agree = preds.filter((p, i) => p === ref.predictions[i]).length;
        const accuracy = correct / MNIST_COUNT;
        console.log(`${file}: accuracy ${accuracy.toFixed(4)} (numpy on h5py weights: ${ref.accuracy.toFixed(4)}) on ${MNIST_COUNT} test images, ${agree} identical predictions, backend ${backend.detail}`);
        assert.ok(Math.abs(accuracy - ref.accuracy) <= 0.001, `ours ${accuracy} vs numpy ${ref.accuracy}`);
        assert.ok(agree >= MNIST_COUNT - 2, `${MNIST_COUNT - agree} predictions differ from numpy's`);
      } finally {
        await tf.setBackend('cpu');
      }
    });
  }
}
