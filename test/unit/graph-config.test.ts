/**
 * Config-defined models: model.layers in model-optimizer.json is validated (structure by the
 * config validator, every layer by its kind when a run starts), data must fit the model's
 * input and classes, and a small CNN defined in the config trains through the train stage,
 * saves a TF.js model that stock tfjs-layers loads with the same accuracy, and exports a
 * Keras .h5 that h5py reads back with the same weights.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { resolveConfig } from '../../src/engine/config';
import { initBackend } from '../../src/engine/backend';
import { BadInputError } from '../../src/engine/errors';
import { checkModelConfig, initialModel } from '../../src/engine/graph/fromConfig';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { runTrainStage } from '../../src/engine/jobs/train';
import { loadLayersModelFromDisk, predictLayersModel } from '../../src/engine/report/tfjsRuntime';
import { fakeContext } from './train-helpers';

before(async () => {
  await initBackend('wasm');
});

const CNN = {
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

void test('model.layers: validated structure, checked layers, the reference MLP stays the default', () => {
  const ok = resolveConfig({ model: CNN });
  assert.equal(ok.model.layers?.length, 5);
  assert.deepEqual(resolveConfig({}).model.layers, undefined);
  assert.throws(() => resolveConfig({ model: { layers: [{ filters: 3 }], input: [4] } }), /model\.layers\[0\] must be a layer object with a "type"/);
  assert.throws(() => resolveConfig({ model: { layers: CNN.layers } }), /model\.layers needs model\.input/);
  const bad = (layers: unknown[], re: RegExp): void =>
    assert.throws(
      () => checkModelConfig(resolveConfig({ model: { input: [28, 28, 1], layers } })),
      (e: unknown) => e instanceof BadInputError && re.test(e.message),
    );
  bad([{ type: 'lstm', units: 3 }], /model\.layers\[0\]\.type "lstm" is not a supported layer type/);
  bad([{ type: 'flatten' }, { type: 'conv2d', filters: 2, kernelSize: 3 }], /model\.layers\[1\]: layer 'conv2d' \(Conv2D\).*image input/);
  bad([{ type: 'conv2d', filters: 2, kernelSize: 30 }], /model\.layers\[0\].*does not fit/);
  bad([{ type: 'dense', units: 0 }], /model\.layers\[0\].*'units'/);
  assert.throws(() => checkModelConfig(resolveConfig({ model: CNN, prune: { layers: ['max_pooling2d'] } })), /no prunable weights/);
  checkModelConfig(resolveConfig({ model: CNN, prune: { layers: { conv2d: 0.5, dense: 0.8 } } }));
});

void test('data must fit the model: input shape and classes, before anything runs', () => {
  const cfg = resolveConfig({ model: CNN }).model;
  assert.equal(initialModel(cfg, [28, 28, 1], 10, 1, 'm').layers.length, 6);
  assert.equal(initialModel(cfg, [784], 10, 1, 'm').layers.length, 6, 'flat MNIST rows reach a CNN as [28, 28, 1]');
  assert.throws(() => initialModel(cfg, [32, 32, 3], 10, 1, 'm'), (e: unknown) => e instanceof BadInputError && /\[28, 28, 1\].*\[32, 32, 3\]/.test(e.message));
  assert.throws(() => initialModel(cfg, [28, 28, 1], 5, 1, 'm'), (e: unknown) => e instanceof BadInputError && /5 classes/.test(e.message));
  // The reference MLP takes any sample shape, flattened.
  const mlp = initialModel(DEFAULT_CONFIG.model, [28, 28, 1], 10, 1, 'm');
  assert.deepEqual(mlp.layers.map((l) => l.name), ['dense_input', 'dense', 'dense_1']);
});

void test('a CNN defined in the config trains, its TF.js file predicts the same in tfjs-layers, its .h5 reads back in h5py', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-graph-config-'));
  try {
    const config: RunConfig = resolveConfig({ model: CNN, data: { trainLimit: 1200, testLimit: 300 }, train: { epochs: 1, batchSize: 32 } });
    const ctx = fakeContext(config, out);
    const model = await runTrainStage(ctx);
    const rec = ctx.records[0];
    console.log(`# config CNN, 1080 samples × 1 epoch: test accuracy ${rec.testAccuracy?.toFixed(4)}`);
    // 34 Adam steps of a 4-filter CNN: well above chance (0.1), far from converged (the bench trains the real one).
    assert.ok((rec.testAccuracy ?? 0) > 0.3, `test accuracy ${rec.testAccuracy}`);
    assert.deepEqual(model.layers.map((l) => l.className), ['InputLayer', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);

    const data = await ctx.data();
    const tfl = await loadLayersModelFromDisk(path.join(out, 'mnist_model'));
    const p = predictLayersModel(tfl, data.test.images, 0, data.test.count, data.test.features);
    let correct = 0;
    for (let i = 0; i < data.test.count; i++) {
      const row = Array.from(p.subarray(i * 10, i * 10 + 10));
      correct += row.indexOf(Math.max(...row)) === data.test.labels[i] ? 1 : 0;
    }
    assert.equal(correct / data.test.count, rec.testAccuracy, 'stock tfjs-layers on the saved files gives the recorded accuracy');

    const h5 = path.join(out, 'mnist_model.h5');
    await saveKerasH5Graph(model, h5);
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
cfg = json.loads(f.attrs['model_config'])
names = [n.decode() for n in f['model_weights'].attrs['layer_names']]
k = f['model_weights/conv2d/conv2d/kernel:0'][()]
print(json.dumps({'cls': cfg['class_name'], 'layers': [l['class_name'] for l in cfg['config']['layers']], 'names': names, 'kshape': list(k.shape), 'k0': float(k.flat[0]), 'ksum': float(abs(k).sum())}))`,
        h5,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    const r = JSON.parse(py.stdout) as { cls: string; layers: string[]; names: string[]; kshape: number[]; k0: number; ksum: number };
    assert.equal(r.cls, 'Sequential');
    assert.deepEqual(r.layers, ['InputLayer', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);
    // As tf.keras 2.x writes a Sequential: layer_names without the InputLayer (a Sequential's model.layers has none).
    assert.deepEqual(r.names, model.layers.slice(1).map((l) => l.name));
    const kernel = model.layers[1].weights[0];
    assert.deepEqual(r.kshape, kernel.shape);
    assert.equal(r.k0, kernel.data[0]);
    assert.ok(Math.abs(r.ksum - kernel.data.reduce((a, b) => a + Math.abs(b), 0)) < 1e-3);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});
