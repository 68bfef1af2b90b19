/**
 * Keras .h5 export: the file read back by h5wasm (raw HDF5 structure, not our reader) and,
 * when available, by Debian's h5py through /usr/bin/python3; the importer reads it back to the
 * same Dense stack, and a forward pass from the file's weights reproduces the engine's predictions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { modelInputs } from '../../src/engine/data/dataset';
import { loadH5wasm } from '../../src/engine/export/kerasH5';
import { saveKerasH5 } from '../../src/engine/export/kerasH5Graph';
import { BadInputError } from '../../src/engine/errors';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { loadModelFile } from '../../src/engine/import/index';
import { argmaxRows, forwardMlp } from '../../src/engine/quantize/forward';
import { listDir, mnist, randomModel, tempDir } from './export-helpers';
import { loadMlpFile } from './mlp-files';

let dir: string;
const model = randomModel('pruned_mnist_model', [784, 32, 10], 3, 3);

before(async () => {
  dir = await tempDir('h5');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

void test('layout and weights read back with h5wasm are identical', async () => {
  const file = path.join(dir, 'pruned_mnist_model.h5');
  const bytes = await saveKerasH5(model, file);
  assert.equal((await fs.stat(file)).size, bytes);
  const h5 = await loadH5wasm();
  const f = new h5.File(file, 'r');
  try {
    assert.equal(f.attrs['backend'].value, 'tensorflow');
    assert.match((f.attrs['keras_version'].value as string), /^2\./);
    const cfg = JSON.parse((f.attrs['model_config'].value as string)) as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    assert.equal(cfg.class_name, 'Sequential');
    assert.deepEqual(
      cfg.config.layers.map((l) => l.class_name),
      ['InputLayer', 'Dense', 'Dense'],
    );
    assert.deepEqual(cfg.config.layers[0].config.batch_input_shape, [null, 784]);
    assert.equal(cfg.config.layers[1].config.units, 32);
    assert.equal(cfg.config.layers[1].config.activation, 'relu');
    assert.equal(cfg.config.layers[2].config.activation, 'softmax');
    assert.deepEqual(cfg.config.layers[1].config.kernel_initializer, { class_name: 'GlorotUniform', config: { seed: null } });
    assert.deepEqual(cfg.config.layers[1].config.bias_initializer, { class_name: 'Zeros', config: {} });
    const training = JSON.parse((f.attrs['training_config'].value as string)) as { loss: string; optimizer_config: { class_name: string } };
    assert.equal(training.loss, 'sparse_categorical_crossentropy');
    assert.equal(training.optimizer_config.class_name, 'Adam');
    const mw = f.get('model_weights') as InstanceType<typeof h5.Group>;
    assert.deepEqual(mw.attrs['layer_names'].value, ['dense', 'dense_1']);
    for (const l of model.layers) {
      const g = mw.get(l.name) as InstanceType<typeof h5.Group>;
      assert.deepEqual(g.attrs['weight_names'].value, [`${l.name}/kernel:0`, `${l.name}/bias:0`]);
      const k = mw.get(`${l.name}/${l.name}/kernel:0`) as InstanceType<typeof h5.Dataset>;
      const b = mw.get(`${l.name}/${l.name}/bias:0`) as InstanceType<typeof h5.Dataset>;
      assert.deepEqual(k.shape, [l.inputDim, l.units]);
      assert.equal(k.dtype, '<f');
      assert.deepEqual(k.value, l.kernel);
      assert.deepEqual(b.value, l.bias);
    }
  } finally {
    f.close();
  }
  // The importer (the one .h5 reader) gives the same Dense stack back.
  const back = await loadMlpFile(file);
  assert.equal(back.inputDim, 784);
  back.layers.forEach((l, i) => {
    assert.deepEqual(l.kernel, model.layers[i].kernel);
    assert.equal(l.activation, model.layers[i].activation);
  });
  assert.deepEqual(await listDir(dir), ['pruned_mnist_model.h5'], 'no temp files left');
});

void test('Debian h5py reads the same structure and weights', async (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import h5py'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const reason = '/usr/bin/python3 has no h5py (apt-get install -y python3-h5py)';
    console.log(`skipping h5py check: ${reason}`);
    t.skip(reason);
    return;
  }
  const file = path.join(dir, 'py.h5');
  await saveKerasH5(model, file);
  const script = [
    'import h5py, json, sys',
    'f = h5py.File(sys.argv[1], "r")',
    'cfg = json.loads(f.attrs["model_config"])',
    'mw = f["model_weights"]',
    'out = {"class": cfg["class_name"], "layers": [l["class_name"] for l in cfg["config"]["layers"]],',
    '  "layer_names": [n.decode() for n in mw.attrs["layer_names"]],',
    '  "weights": {n.decode(): {w.decode(): [list(mw[n.decode()][w.decode()].shape), str(mw[n.decode()][w.decode()].dtype), mw[n.decode()][w.decode()][()].ravel().tolist()] for w in mw[n.decode()].attrs["weight_names"]} for n in mw.attrs["layer_names"]},',
    '  "keras_version": f.attrs["keras_version"], "backend": f.attrs["backend"]}',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { class: string; layers: string[]; layer_names: string[]; weights: Record<string, Record<string, [number[], string, number[]]>>; backend: string };
  assert.equal(out.class, 'Sequential');
  assert.deepEqual(out.layers, ['InputLayer', 'Dense', 'Dense']);
  assert.deepEqual(out.layer_names, ['dense', 'dense_1']);
  assert.equal(out.backend, 'tensorflow');
  for (const l of model.layers) {
    const [kShape, kType, kVals] = out.weights[l.name][`${l.name}/kernel:0`];
    assert.deepEqual(kShape, [l.inputDim, l.units]);
    assert.equal(kType, 'float32');
    assert.deepEqual(Float32Array.from(kVals), l.kernel);
    assert.deepEqual(Float32Array.from(out.weights[l.name][`${l.name}/bias:0`][2]), l.bias);
  }
});

void test("a forward pass from the file's weights gives the engine's predictions", async () => {
  const { test: testSet } = await mnist(0, 500);
  const file = path.join(dir, 'fwd.h5');
  await saveKerasH5(model, file);
  const fromFile = await loadMlpFile(file);
  const mine = forwardMlp(fromFile, testSet.images, testSet.count);
  // The engine's tfjs forward pass of the in-memory model.
  const engine = predictGraph(analyzeGraph(mlpToGraph(model)), modelInputs(testSet, 0, testSet.count), testSet.count);
  for (let i = 0; i < mine.length; i++) {
    assert.ok(Math.abs(mine[i] - engine[i]) < 1e-5, `prob ${i}: ${mine[i]} vs ${engine[i]}`);
  }
  assert.deepEqual(argmaxRows(mine, testSet.count, 10), argmaxRows(engine, testSet.count, 10));
});

void test('bad models and bad files: clear errors, no partial file', async () => {
  const sub = path.join(dir, 'bad');
  await fs.mkdir(sub);
  const bad = randomModel('bad', [784, 8, 10]);
  (bad.layers[1] as { activation: string }).activation = 'sigmoid';
  await assert.rejects(saveKerasH5(bad, path.join(sub, 'bad.h5')), (e: Error) => e instanceof BadInputError && /activation 'sigmoid'/.test(e.message));
  const empty = { name: 'empty', inputDim: 784, layers: [] };
  await assert.rejects(saveKerasH5(empty, path.join(sub, 'empty.h5')), /no layers/);
  assert.deepEqual(await listDir(sub), []);
  const notH5 = path.join(sub, 'not.h5');
  await fs.writeFile(notH5, 'hello');
  await assert.rejects(loadModelFile(notH5), (e: Error) => e instanceof BadInputError && /not\.h5 is not a Keras \.h5, \.keras or TF\.js model\.json/.test(e.message));
  await assert.rejects(loadModelFile(path.join(sub, 'missing.h5')), (e: Error) => e instanceof BadInputError && /missing\.h5 does not exist/.test(e.message));
});
