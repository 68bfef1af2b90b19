/**
 * A Functional model with Add, Concatenate and BatchNormalization, written by this test in
 * tf.keras 2.x's .h5 layout with h5py (model_config with inbound_nodes, model_weights/<layer>/
 * <layer>/<weight>:0, weight_names), imports and runs like stock tfjs-layers built from the same
 * JSON with h5py's weights. The BatchNormalization's weight_names are deliberately not in
 * Keras' order: weights are matched by name, never by position.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { loadModelFile } from '../../src/engine/import/index';
import { python, pythonReference, referenceModel, requireH5py, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('import-functional');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const node = (from: string[]) => [from.map((f) => [f, 0, 0, {}])];
const init = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
const conv = (name: string, filters: number, k: number, from: string) => ({
  class_name: 'Conv2D',
  config: { name, trainable: true, dtype: 'float32', filters, kernel_size: [k, k], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true, kernel_initializer: init },
  name,
  inbound_nodes: node([from]),
});

/** tf.keras 2.15's model_config for: input → a, b → Add → BN → Concatenate(a, bn) → GAP → Dense. */
const MODEL_CONFIG = {
  class_name: 'Functional',
  config: {
    name: 'model',
    trainable: true,
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, ragged: false, name: 'image' }, name: 'image', inbound_nodes: [] },
      conv('a', 4, 1, 'image'),
      conv('b', 4, 3, 'image'),
      { class_name: 'Add', config: { name: 'add', trainable: true, dtype: 'float32' }, name: 'add', inbound_nodes: node(['a', 'b']) },
      {
        class_name: 'BatchNormalization',
        config: { name: 'bn', trainable: true, dtype: 'float32', axis: [3], momentum: 0.99, epsilon: 0.001, center: true, scale: true },
        name: 'bn',
        inbound_nodes: node(['add']),
      },
      { class_name: 'Concatenate', config: { name: 'concat', trainable: true, dtype: 'float32', axis: -1 }, name: 'concat', inbound_nodes: node(['a', 'bn']) },
      { class_name: 'GlobalAveragePooling2D', config: { name: 'gap', trainable: true, dtype: 'float32', data_format: 'channels_last', keepdims: false }, name: 'gap', inbound_nodes: node(['concat']) },
      { class_name: 'Dense', config: { name: 'out', trainable: true, dtype: 'float32', units: 5, activation: 'softmax', use_bias: true, kernel_initializer: init }, name: 'out', inbound_nodes: node(['gap']) },
    ],
    input_layers: [['image', 0, 0]],
    output_layers: [['out', 0, 0]],
  },
  keras_version: '2.15.0',
  backend: 'tensorflow',
};

const WRITE_H5 = String.raw`
import h5py, json, sys
import numpy as np
out, cfg = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
shapes = {
  'a': [('kernel', (1, 1, 3, 4)), ('bias', (4,))],
  'b': [('kernel', (3, 3, 3, 4)), ('bias', (4,))],
  # Not Keras' order (gamma, beta, moving_mean, moving_variance): readers must go by name.
  'bn': [('moving_mean', (4,)), ('gamma', (4,)), ('moving_variance', (4,)), ('beta', (4,))],
  'out': [('kernel', (8, 5)), ('bias', (5,))],
}
f = h5py.File(out, 'w')
f.attrs['keras_version'] = '2.15.0'
f.attrs['backend'] = 'tensorflow'
f.attrs['model_config'] = cfg
mw = f.create_group('model_weights')
names = ['image', 'a', 'b', 'add', 'bn', 'concat', 'gap', 'out']
mw.attrs['layer_names'] = [n.encode() for n in names]
mw.attrs['backend'] = 'tensorflow'
mw.attrs['keras_version'] = '2.15.0'
for n in names:
    g = mw.create_group(n)
    ws = shapes.get(n, [])
    g.attrs['weight_names'] = [f'{n}/{w}:0'.encode() for w, _ in ws] if ws else np.array([], dtype='S1')
    for w, s in ws:
        v = rng.uniform(0.5, 1.5, s) if w == 'moving_variance' else rng.normal(0, 0.5, s)
        g.create_dataset(f'{n}/{w}:0', data=v.astype('float32'))
f.close()
`;

void test('a Functional model with Add, Concatenate and BatchNormalization in the Keras 2 .h5 layout runs like tfjs-layers (1e-5)', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const file = path.join(dir, 'functional.h5');
  python(WRITE_H5, [file, JSON.stringify(MODEL_CONFIG)]);
  const [graph, ref] = await Promise.all([loadModelFile(file), pythonReference(file)]);
  assert.deepEqual(
    graph.layers.map((l) => [l.name, l.className, l.inbound]),
    [
      ['image', 'InputLayer', []],
      ['a', 'Conv2D', ['image']],
      ['b', 'Conv2D', ['image']],
      ['add', 'Add', ['a', 'b']],
      ['bn', 'BatchNormalization', ['add']],
      ['concat', 'Concatenate', ['a', 'bn']],
      ['gap', 'GlobalAveragePooling2D', ['concat']],
      ['out', 'Dense', ['gap']],
    ],
  );
  // Keras' order in the graph, whatever the file's order.
  const bn = graph.layers.find((l) => l.name === 'bn');
  assert.deepEqual(
    bn?.weights.map((w) => [w.name, w.trainable]),
    [
      ['gamma', true],
      ['beta', true],
      ['moving_mean', false],
      ['moving_variance', false],
    ],
  );
  for (const w of bn?.weights ?? []) {
    assert.deepEqual(w.data, ref.weights.find((r) => r.layer === 'bn' && r.name === w.name)?.data, `bn/${w.name} is the file's ${w.name}`);
  }
  const model = await referenceModel(ref);
  try {
    const g = analyzeGraph(graph);
    const n = 4;
    let s = 99;
    const x = Float32Array.from({ length: n * 8 * 8 * 3 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x, [n, 8, 8, 3])) as tf.Tensor).dataSync() as Float32Array);
    const got = predictGraph(g, x, n);
    let max = 0;
    got.forEach((v, i) => (max = Math.max(max, Math.abs(v - expected[i]))));
    console.log(`Functional Add/Concatenate/BatchNormalization .h5: max |ours − tfjs-layers| = ${max.toExponential(2)}`);
    assert.ok(max <= 1e-5, `max difference ${max}`);
  } finally {
    model.dispose();
  }
});
