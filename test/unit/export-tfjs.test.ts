/**
 * TF.js layers export of a Dense stack (the graph writer every run uses): the saved files
 * load with stock tfjs-layers and predict the same as the trainer; a model saved by
 * tfjs-layers itself loads with the importer (the one TF.js reader).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { loadData } from '../../src/engine/data/load';
import { loadModelFile } from '../../src/engine/import/index';
import { loadMlpFile, saveMlpTfjs } from './mlp-files';
import { initMlp } from '../../src/engine/model/init';
import { BadInputError } from '../../src/engine/errors';
import { TfjsTrainer } from '../../src/engine/train/tfjsTrainer';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import { fileHandler } from './export-helpers';

before(async () => {
  await initBackend('wasm');
});

void test('saved model loads with tf.loadLayersModel and predicts like the trainer', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-tfjs-'));
  try {
    const data = await loadData({ ...DEFAULT_CONFIG, data: { ...DEFAULT_CONFIG.data, trainLimit: 640, testLimit: 500 } });
    const trainer = new TfjsTrainer(initMlp(DEFAULT_CONFIG.model, 784, 10, 3, 'mnist_model'), 1e-3);
    for (let b = 0; b < 5; b++) {
      trainer.trainBatch(data.train.images.subarray(b * 64 * 784), data.train.labels.subarray(b * 64), 64);
    }
    const model = trainer.getModel('mnist_model');
    const out = path.join(dir, 'mnist_model');
    const { bytes, modelJson } = await saveMlpTfjs(model, out);
    assert.equal(modelJson, path.join(out, 'model.json'));
    const files = (await fs.readdir(out)).sort();
    assert.deepEqual(files, ['group1-shard1of1.bin', 'model.json']);
    assert.ok(!files.some((f) => f.includes(TEMP_MARK)));
    const sizes = await Promise.all(files.map(async (f) => (await fs.stat(path.join(out, f))).size));
    assert.equal(bytes, sizes[0] + sizes[1]);
    assert.equal(sizes[0], (784 * 128 + 128 + 128 * 10 + 10) * 4);

    const keras = await tfl.loadLayersModel(fileHandler(modelJson));
    // The InputLayer is written as tf.keras 2.x writes a Sequential's (tfjs-layers then lists it).
    assert.deepEqual(keras.layers.map((l) => l.name), ['dense_input', 'dense', 'dense_1']);
    assert.deepEqual(keras.inputs[0].shape, [null, 784]);
    const n = data.test.count;
    const x = tf.div(tf.tensor2d(Float32Array.from(data.test.images), [n, 784]), 255);
    const y = keras.predict(x, { batchSize: 500 }) as tf.Tensor;
    const ref = y.dataSync();
    const ours = trainer.predict(data.test.images, n);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    }
    assert.ok(maxDiff < 1e-5, `max |Δp| = ${maxDiff}`);
    tf.dispose([x, y]);
    keras.dispose();

    // Round trip through our reader is exact.
    const back = await loadMlpFile(out);
    assert.equal(back.name, 'mnist_model');
    assert.equal(back.inputDim, 784);
    back.layers.forEach((l, i) => {
      assert.equal(l.name, model.layers[i].name);
      assert.equal(l.activation, model.layers[i].activation);
      assert.deepEqual(l.kernel, model.layers[i].kernel);
      assert.deepEqual(l.bias, model.layers[i].bias);
    });
    trainer.dispose();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

void test('a model saved by tfjs-layers itself loads with the importer', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-tfjs-'));
  try {
    const m = tfl.sequential({ name: 'their_model' });
    m.add(tfl.layers.dense({ units: 5, activation: 'relu', inputShape: [7], name: 'hidden' }));
    m.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
    await m.save(
      tf.io.withSaveHandler(async (art) => {
        await fs.writeFile(path.join(dir, 'w.bin'), new Uint8Array(art.weightData as ArrayBuffer));
        await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: art.modelTopology, format: art.format, weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await loadMlpFile(path.join(dir, 'model.json'));
    assert.deepEqual(loaded.layers.map((l) => [l.name, l.inputDim, l.units, l.activation]), [
      ['hidden', 7, 5, 'relu'],
      ['out', 5, 3, 'softmax'],
    ]);
    const w = m.getWeights().map((t) => t.dataSync());
    assert.deepEqual(loaded.layers[0].kernel, w[0]);
    assert.deepEqual(loaded.layers[1].bias, w[3]);
    m.dispose();

    await fs.rm(path.join(dir, 'w.bin'));
    await assert.rejects(loadModelFile(dir), (err: unknown) => err instanceof BadInputError && /'w\.bin', which is missing/.test(err.message));
    await assert.rejects(loadModelFile(path.join(dir, 'nope.json')), BadInputError);
    await fs.writeFile(path.join(dir, 'model.json'), '{"modelTopology": {"class_name": "Model"}, "weightsManifest": [{"paths": [], "weights": []}]}');
    await assert.rejects(loadModelFile(dir), (err: unknown) => err instanceof BadInputError && /subclassed Keras model of class 'Model'/.test(err.message));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

