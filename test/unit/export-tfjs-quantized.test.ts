/**
 * uint8 / float16 weight-quantized TF.js models: loadable by stock tf.loadLayersModel (the
 * independent reference), every pruned zero still zero after dequantization, predictions
 * close to the float model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { quantizeUint8, saveTfjsQuantized, uint8Params } from '../../src/engine/export/tfjsQuantized';
import { BadInputError } from '../../src/engine/errors';
import { readTfjsModelFiles } from '../../src/engine/import/tfjsModel';
import { argmaxRows, forwardMlp } from '../../src/engine/quantize/forward';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { listDir, mnist, randomModel, tempDir } from './export-helpers';

let dir: string;
const model = randomModel('pruned_mnist_model', [784, 32, 10], 5, 2);

before(async () => {
  dir = await tempDir('tfjsq');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Stock loader with a plain file-reading IOHandler (tfjs-core's own, no engine code). */
async function stockLoad(modelJson: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await fs.readFile(modelJson, 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const bins = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(path.dirname(modelJson), p))));
  const all = Buffer.concat(bins);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

for (const mode of ['uint8', 'float16'] as const) {
  void test(`${mode}: stock tf.loadLayersModel loads it, keeps every zero, predicts like the float model`, async () => {
    const out = path.join(dir, `m_${mode}`);
    const { bytes, modelJson } = await saveTfjsQuantized(model, out, mode);
    assert.deepEqual(await listDir(out), ['group1-shard1of1.bin', 'model.json']);
    const binSize = (await fs.stat(path.join(out, 'group1-shard1of1.bin'))).size;
    const params = model.layers.reduce((n, l) => n + l.kernel.length + l.bias.length, 0);
    assert.equal(binSize, mode === 'uint8' ? params : 2 * params);
    assert.equal(bytes, binSize + (await fs.stat(modelJson)).size);
    const json = JSON.parse(await fs.readFile(modelJson, 'utf8')) as { weightsManifest: { weights: { quantization?: { dtype: string } }[] }[] };
    assert.ok(json.weightsManifest[0].weights.every((w) => w.quantization?.dtype === mode));

    const lm = await stockLoad(modelJson);
    try {
      for (const l of model.layers) {
        const [k, b] = lm.getLayer(l.name).getWeights();
        const kv = k.dataSync();
        assert.deepEqual(k.shape, [l.inputDim, l.units]);
        let zeros = 0;
        for (let i = 0; i < l.kernel.length; i++) {
          if (l.kernel[i] === 0) {
            zeros++;
            assert.equal(kv[i], 0, `${l.name} kernel[${i}] was zero, is ${kv[i]}`);
          }
          const tol = mode === 'uint8' ? 0.5 * (uint8Params(l.kernel).scale + 1e-7) : Math.abs(l.kernel[i]) * 1e-3 + 1e-7;
          assert.ok(Math.abs(kv[i] - l.kernel[i]) <= tol, `${l.name}[${i}] ${kv[i]} vs ${l.kernel[i]}`);
        }
        assert.ok(zeros > l.kernel.length / 3);
        assert.equal(b.shape[0], l.units);
      }
      const { test: testSet } = await mnist(0, 300);
      const x = tf.tensor2d(Float32Array.from(testSet.images, (v) => v / 255), [testSet.count, 784]);
      const y = lm.predict(x) as tf.Tensor;
      const probs = y.dataSync();
      x.dispose();
      y.dispose();
      const ref = forwardMlp(model, testSet.images, testSet.count);
      const a = argmaxRows(probs, testSet.count, 10);
      const r = argmaxRows(ref, testSet.count, 10);
      const agree = a.reduce((n, p, i) => n + (p === r[i] ? 1 : 0), 0) / testSet.count;
      assert.ok(agree >= 0.98, `argmax agreement ${agree}`);
    } finally {
      lm.dispose();
    }
    // Our report reads the same sparsity back from the files (through the importer).
    const stats = await evaluateModelFile(modelJson, { test: null });
    assert.equal(stats.format, 'tfjs-quantized');
    assert.equal(stats.variant, mode);
    assert.equal(stats.params, params);
    stats.layers.forEach((l, i) => {
      const expected = model.layers[i].kernel.filter((v) => v === 0).length / model.layers[i].kernel.length;
      // uint8 may round tiny weights to 0 as well: never fewer zeros than the model had.
      assert.ok(l.sparsity >= expected && l.sparsity < expected + 0.02, `${l.name}: ${l.sparsity} vs ${expected}`);
    });
  });
}

void test('uint8 grid puts 0 exactly on a grid point, also for one-signed ranges', () => {
  for (const values of [Float32Array.of(-0.3, 0, 0.7), Float32Array.of(0.1, 0.2, 0), Float32Array.of(-2, -1, 0), Float32Array.of(0, 0)]) {
    const { q, scale, min } = quantizeUint8(values);
    values.forEach((v, i) => {
      if (v === 0) {
        assert.equal(q[i] * scale + min, 0);
      }
    });
  }
});

void test('bad models fail before writing; a missing weights file is a clear error', async () => {
  const sub = path.join(dir, 'bad');
  const bad = randomModel('bad', [784, 8, 10]);
  bad.layers[0].bias = new Float32Array(3);
  await assert.rejects(saveTfjsQuantized(bad, sub, 'uint8'), (e: Error) => e instanceof BadInputError && /bias has 3 values/.test(e.message));
  await assert.rejects(fs.stat(sub));
  const ok = path.join(dir, 'ok');
  await saveTfjsQuantized(model, ok, 'float16');
  await fs.rm(path.join(ok, 'group1-shard1of1.bin'));
  await assert.rejects(readTfjsModelFiles(ok), (e: Error) => e instanceof BadInputError && /weights file 'group1-shard1of1\.bin', which is missing/.test(e.message));
});
