/**
 * Evaluating a Keras file that is not a Dense stack (the real Keras 2.15 CNN .h5 and the
 * Keras 3.13 .keras fixtures): evaluateModelFile imports it as a graph and its accuracy on
 * the first MNIST test images equals an independent numpy forward pass over h5py's weights
 * (test/unit/keras_reference.py), with parameter counts equal to the stored weights'.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mnistPackagePaths, readImageSet } from '../../src/engine/data/mnist';
import { BadInputError } from '../../src/engine/errors';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { FIXTURES_DIR, pythonReference, requireH5py } from './import-helpers';

const COUNT = 300;

before(async () => {
  await tf.setBackend('cpu');
});

for (const file of ['mnist_cnn_keras2.15.h5', 'mnist_cnn_keras3.13.keras']) {
  void test(`evaluate ${file}: accuracy equals numpy's forward pass on h5py's weights; params = stored weights`, async (t) => {
    const full = path.join(FIXTURES_DIR, file);
    if (!existsSync(full)) {
      if (process.env.CI) {
        throw new Error(`${full} is missing: CI expects ../shared/fixtures/keras beside the clone`);
      }
      return t.skip(`${full} is missing`);
    }
    if (!requireH5py(t)) {
      return;
    }
    const p = mnistPackagePaths();
    const all = await readImageSet(p.testImages, p.testLabels, 10);
    const test10 = { ...all, images: all.images.subarray(0, COUNT * all.features), labels: all.labels.subarray(0, COUNT), count: COUNT };
    const row = await evaluateModelFile(full, { relPath: file, test: test10, latencyRuns: 2 });
    const ref = await pythonReference(full, COUNT);
    assert.equal(ref.count, COUNT);
    assert.ok(ref.accuracy !== null);
    assert.equal(row.accuracy, ref.accuracy, `our accuracy ${row.accuracy} vs numpy ${ref.accuracy} on ${COUNT} images`);
    assert.equal(row.params, ref.weights.reduce((n, w) => n + w.data.length, 0));
    assert.equal(row.format, 'keras-h5');
    assert.ok(row.layers.length >= 3, 'one sparsity entry per prunable layer (conv and dense kernels)');
    assert.ok(row.layers.every((l) => l.sparsity === 0), 'the fixtures are dense');
  });
}

void test('evaluate a Keras CNN on data of another input size: exit-2 error naming the shapes', async (t) => {
  const full = path.join(FIXTURES_DIR, 'mnist_cnn_keras2.15.h5');
  if (!existsSync(full)) {
    return t.skip(`${full} is missing`);
  }
  const n = 4;
  const images = new Uint8Array(n * 32 * 32);
  const wrong = { images, labels: new Int32Array(n), count: n, features: 32 * 32, shape: [32, 32, 1], numClasses: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
  await assert.rejects(evaluateModelFile(full, { relPath: 'x.h5', test: wrong, latencyRuns: 0 }), (e: unknown) => e instanceof BadInputError && /\[28, 28, 1\]/.test(e.message) && /\[32, 32, 1\]/.test(e.message));
});
