/**
 * Keras 3 redefined `hard_sigmoid`: Keras 2 (and tfjs-layers) compute clip(0.2·x + 0.5, 0, 1),
 * Keras 3 relu6(x + 3) / 6. The importers choose by the file's keras_version; the writers put
 * the Keras 3 function in layers every reader computes alike; the TFLite file computes it too.
 * References: hand-computed values, NumPy over h5py's reading of the files (the model files are
 * made by h5py/zipfile here, in the layouts tf.keras 2.15 and Keras 3.13 write), stock
 * tfjs-layers on the cpu backend, and the real TFLite runtime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { tfliteBytes } from '../../src/engine/export/tflite/index';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { buildConfigModel } from '../../src/engine/graph/fromConfig';
import { predictGraph } from '../../src/engine/graph/forward';
import type { ModelGraph } from '../../src/engine/graph/types';
import { loadModelFile } from '../../src/engine/import/index';
import { applyActivation, kerasMajorVersion } from '../../src/engine/layers/common/activations';
import { loadLayersModelFromDisk } from '../../src/engine/report/tfjsRuntime';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { python, requireH5py, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('hard-sigmoid');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

void test('the two definitions, against hand-computed values', () => {
  const x = [-4, -3, -2.5, -1, 0, 1, 2.5, 3, 4];
  const keras2 = Array.from(tf.tidy(() => applyActivation('hard_sigmoid', tf.tensor1d(x)).dataSync()));
  const keras3 = Array.from(tf.tidy(() => applyActivation('hard_sigmoid_keras3', tf.tensor1d(x)).dataSync()));
  const close = (got: number[], want: number[]) => got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `x=${x[i]}: ${v} vs ${want[i]}`));
  close(keras2, [0, 0, 0, 0.3, 0.5, 0.7, 1, 1, 1]);
  close(keras3, [0, 0, 0.5 / 6, 2 / 6, 0.5, 4 / 6, 5.5 / 6, 1, 1]);
  // Stock tfjs-layers' hardSigmoid is the Keras 2 one.
  const stock = Array.from(tf.tidy(() => (tfl.layers.activation({ activation: 'hardSigmoid' }).apply(tf.tensor1d(x)) as tf.Tensor).dataSync()));
  close(keras2, stock);
  assert.deepEqual(['2.15.0', '3.13.2', 'keras v3.1.0', 'keras 2.14.0', 'TensorFlow.js tfjs-layers v4.22.0', 'tfjs-layers 4.22.0', undefined].map(kerasMajorVersion), [2, 3, 3, 2, null, null, null]);
});

void test("a config model declares which one it means: 'hardSigmoid' (tfjs-layers, Keras 2) or 'hard_sigmoid_keras3'", () => {
  const model = (activation: string) =>
    buildConfigModel({ input: [3], layers: [{ type: 'activation', activation }], hidden: [], hiddenActivation: 'relu', outputActivation: 'softmax' }, 'm', 1);
  const x = Float32Array.of(-2.8, 1, 2.7);
  const y2 = predictGraph(analyzeGraph(model('hardSigmoid')), x, 1);
  const y3 = predictGraph(analyzeGraph(model('hard_sigmoid_keras3')), x, 1);
  [0, 0.7, 1].forEach((v, i) => assert.ok(Math.abs(y2[i] - v) < 1e-6, `keras 2 at ${x[i]}: ${y2[i]}`));
  [0.2 / 6, 4 / 6, 5.7 / 6].forEach((v, i) => assert.ok(Math.abs(y3[i] - v) < 1e-6, `keras 3 at ${x[i]}: ${y3[i]}`));
});

/**
 * Writes the same model (Input [6] → Dense 5 hard_sigmoid → Dense 4 → Activation hard_sigmoid)
 * as tf.keras 2.15's .h5, as Keras 3's legacy .h5 and as a Keras 3 .keras, and prints NumPy's
 * output for X under each Keras' definition.
 */
const WRITE = String.raw`
import io, json, sys, zipfile, h5py
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
W1 = rng.normal(0, 1.5, (6, 5)).astype('float32'); b1 = rng.normal(0, 1, 5).astype('float32')
W2 = rng.normal(0, 1.5, (5, 4)).astype('float32'); b2 = rng.normal(0, 1, 4).astype('float32')
X = rng.normal(0, 1.5, (8, 6)).astype('float32')
k2 = lambda z: np.clip(z * np.float32(0.2) + np.float32(0.5), 0, 1)
k3 = lambda z: np.minimum(np.maximum(z + np.float32(3), 0), 6) / np.float32(6)
def run(f):
    return f(f(X @ W1 + b1) @ W2 + b2)
dense = lambda name, units, act: {'class_name': 'Dense', 'config': {'name': name, 'trainable': True, 'dtype': 'float32', 'units': units, 'activation': act, 'use_bias': True}}
layers = [{'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 6], 'dtype': 'float32', 'name': 'inp'}},
          dense('dense', 5, 'hard_sigmoid'), dense('dense_1', 4, 'linear'),
          {'class_name': 'Activation', 'config': {'name': 'act', 'trainable': True, 'dtype': 'float32', 'activation': 'hard_sigmoid'}}]
cfg = json.dumps({'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}})
def legacy(path, version):
    with h5py.File(path, 'w') as f:
        f.attrs['keras_version'] = version
        f.attrs['backend'] = 'tensorflow'
        f.attrs['model_config'] = cfg
        mw = f.create_group('model_weights')
        mw.attrs['layer_names'] = [b'dense', b'dense_1', b'act']
        for name, (w, b) in [('dense', (W1, b1)), ('dense_1', (W2, b2))]:
            g = mw.create_group(name)
            g.attrs['weight_names'] = [f'{name}/kernel:0'.encode(), f'{name}/bias:0'.encode()]
            g.create_dataset(f'{name}/kernel:0', data=w); g.create_dataset(f'{name}/bias:0', data=b)
        mw.create_group('act').attrs['weight_names'] = np.zeros(0)
legacy(out + '/k2.h5', '2.15.0')
legacy(out + '/k3.h5', '3.13.2')
buf = io.BytesIO()
with h5py.File(buf, 'w') as h:
    for key, vs in [('layers/dense', (W1, b1)), ('layers/dense_1', (W2, b2))]:
        g = h.create_group(key).create_group('vars')
        for i, v in enumerate(vs):
            g.create_dataset(str(i), data=v)
k3layers = [dict(l, config=dict(l['config'], batch_shape=l['config'].pop('batch_input_shape'))) if l['class_name'] == 'InputLayer' else l for l in json.loads(cfg)['config']['layers']]
with zipfile.ZipFile(out + '/k3.keras', 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.13.2'}))
    z.writestr('config.json', json.dumps({'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': k3layers}}))
    z.writestr('model.weights.h5', buf.getvalue())
print(json.dumps({'x': X.ravel().tolist(), 'keras2': run(k2).ravel().tolist(), 'keras3': run(k3).ravel().tolist()}))
`;

/** Reads a Sequential .h5 of Dense / Activation / Rescaling / ReLU layers with h5py and runs it in NumPy as the Keras its keras_version names would. */
const RUN_H5 = String.raw`
import json, sys, h5py
import numpy as np
path, x = sys.argv[1], np.array(json.loads(sys.argv[2]), dtype='float32').reshape(-1, 6)
with h5py.File(path, 'r') as f:
    version = f.attrs['keras_version']; version = version.decode() if isinstance(version, bytes) else str(version)
    cfg = json.loads(f.attrs['model_config'])
    mw = f['model_weights']
    def weights(name):
        g = mw[name]
        return [np.array(g[n.decode() if isinstance(n, bytes) else n]) for n in g.attrs['weight_names']]
    hs = (lambda z: np.minimum(np.maximum(z + np.float32(3), 0), 6) / np.float32(6)) if version.startswith('3') else (lambda z: np.clip(z * np.float32(0.2) + np.float32(0.5), 0, 1))
    acts = {'linear': lambda z: z, 'hard_sigmoid': hs}
    y = x
    for l in cfg['config']['layers']:
        c, k = l['config'], l['class_name']
        if k == 'Dense':
            w, b = weights(c['name']); y = acts[c['activation']](y @ w + b)
        elif k == 'Activation':
            y = acts[c['activation']](y)
        elif k == 'Rescaling':
            y = y * np.float32(c['scale']) + np.float32(c['offset'])
        elif k == 'ReLU':
            y = np.maximum(y, 0)
            if c.get('max_value') is not None: y = np.minimum(y, np.float32(c['max_value']))
        elif k != 'InputLayer':
            raise SystemExit('unexpected layer ' + k)
print(json.dumps({'version': version, 'classes': [l['class_name'] for l in cfg['config']['layers']], 'y': y.ravel().tolist()}))
`;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
  }
  return d;
}

void test('each file means what its Keras version means; the writers keep that meaning in tf.keras 2, tfjs-layers and TFLite', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const ref = JSON.parse(python(WRITE, [dir])) as { x: number[]; keras2: number[]; keras3: number[] };
  const x = Float32Array.from(ref.x);
  const n = x.length / 6;
  // The two definitions differ on this model: the test can tell them apart.
  assert.ok(maxDiff(ref.keras2, ref.keras3) > 0.05, `definitions differ by ${maxDiff(ref.keras2, ref.keras3)}`);
  const run = (g: ModelGraph) => predictGraph(analyzeGraph(g), x, n);
  const graphs: Record<string, ModelGraph> = {};
  for (const [file, want, act] of [
    ['k2.h5', ref.keras2, 'hard_sigmoid'],
    ['k3.h5', ref.keras3, 'hard_sigmoid_keras3'],
    ['k3.keras', ref.keras3, 'hard_sigmoid_keras3'],
  ] as const) {
    const g = await loadModelFile(path.join(dir, file));
    graphs[file] = g;
    assert.deepEqual(
      g.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.config.activation),
      [act, 'linear', act],
      file,
    );
    assert.ok(maxDiff(run(g), want) < 1e-6, `${file}: engine vs NumPy ${maxDiff(run(g), want)}`);
  }

  // Keras 2's meaning = stock tfjs-layers on the same weights.
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [6], units: 5, activation: 'hardSigmoid' }),
      tfl.layers.dense({ units: 4 }),
      tfl.layers.activation({ activation: 'hardSigmoid' }),
    ],
  });
  const k2 = graphs['k2.h5'];
  m.setWeights(k2.layers.filter((l) => l.weights.length).flatMap((l) => l.weights.map((w) => tf.tensor(w.data, w.shape))));
  const stock = tf.tidy(() => (m.predict(tf.tensor2d(x, [n, 6])) as tf.Tensor).dataSync() as Float32Array);
  assert.ok(maxDiff(run(k2), stock) < 1e-6, `Keras 2 file vs stock tfjs-layers ${maxDiff(run(k2), stock)}`);
  m.dispose();

  // Written back: the Keras 2 file unchanged in form; the Keras 3 one as Rescaling → ReLU(6) → Rescaling, meaning the same in tf.keras 2.15.
  const k3 = graphs['k3.keras'];
  for (const [g, want, classes] of [
    [k2, ref.keras2, ['InputLayer', 'Dense', 'Dense', 'Activation']],
    [k3, ref.keras3, ['InputLayer', 'Dense', 'Rescaling', 'ReLU', 'Rescaling', 'Dense', 'Rescaling', 'ReLU', 'Rescaling']],
  ] as const) {
    const file = path.join(dir, `out_${g.name}.h5`);
    await saveKerasH5Graph(g, file);
    const back = JSON.parse(python(RUN_H5, [file, JSON.stringify(ref.x)])) as { version: string; classes: string[]; y: number[] };
    assert.equal(back.version, '2.15.0');
    assert.deepEqual(back.classes, classes);
    assert.ok(maxDiff(back.y, want) < 1e-6, `${g.name}.h5 in NumPy as Keras 2 ${maxDiff(back.y, want)}`);
    // Our own importer reads it back to the same function.
    assert.ok(maxDiff(run(await loadModelFile(file)), want) < 1e-6);
    // TF.js: stock tfjs-layers loads the files and computes the same.
    const tfjsDir = path.join(dir, `tfjs_${g.name}`);
    await saveTfjsGraph(g, tfjsDir);
    const lm = await loadLayersModelFromDisk(tfjsDir);
    const y = tf.tidy(() => (lm.predict(tf.tensor2d(x, [n, 6])) as tf.Tensor).dataSync() as Float32Array);
    lm.dispose();
    assert.ok(maxDiff(y, want) < 1e-6, `${g.name} TF.js in stock tfjs-layers ${maxDiff(y, want)}`);
  }

  // TFLite: the float32 file in the real runtime computes Keras 3's function.
  const tm = await TfliteModel.load(tfliteBytes(k3, 'float32').data, 'k3');
  try {
    const y = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      y.set(tm.run(x.subarray(i * 6, (i + 1) * 6)), i * 4);
    }
    assert.ok(maxDiff(y, ref.keras3) < 1e-5, `TFLite float32 vs NumPy ${maxDiff(y, ref.keras3)}`);
  } finally {
    tm.dispose();
  }
});
