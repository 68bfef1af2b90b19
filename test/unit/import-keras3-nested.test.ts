/**
 * A Keras 3 `.keras` file with a nested model (a Sequential backbone with Conv2D,
 * BatchNormalization and DepthwiseConv2D inside a Sequential classifier, as transfer learning
 * writes it), made by this test with zipfile + h5py in Keras 3's layout: weights under
 * layers/sequential/layers/<class-rank key>/vars/<i>, configured names that differ from the
 * keys (conv2d_5 at key conv2d), DepthwiseConv2D's kernel stored as Keras 3's 'kernel'.
 * It imports and runs like stock tfjs-layers built from the same JSON with h5py's weights.
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
  dir = await tempDir('import-keras3');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const layer = (class_name: string, config: Record<string, unknown>) => ({ module: 'keras.layers', class_name, config: { trainable: true, dtype: policy, ...config }, registered_name: null });
const input = (name: string) => ({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, ragged: false, name, optional: false }, registered_name: null });

const CONFIG = {
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'classifier',
    trainable: true,
    dtype: policy,
    layers: [
      input('input_layer_3'),
      {
        module: 'keras',
        class_name: 'Sequential',
        config: {
          name: 'backbone',
          trainable: true,
          dtype: policy,
          layers: [
            input('input_layer_4'),
            layer('Conv2D', { name: 'conv2d_5', filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true }),
            layer('BatchNormalization', { name: 'batch_normalization_2', axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true }),
            layer('DepthwiseConv2D', { name: 'depthwise_conv2d_7', kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], depth_multiplier: 1, activation: 'linear', use_bias: true }),
            layer('Conv2D', { name: 'conv2d_6', filters: 4, kernel_size: [1, 1], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: true }),
          ],
        },
        registered_name: null,
      },
      layer('GlobalAveragePooling2D', { name: 'global_average_pooling2d_1', data_format: 'channels_last', keepdims: false }),
      layer('Dense', { name: 'dense_3', units: 3, activation: 'softmax', use_bias: true }),
    ],
  },
  registered_name: null,
};

const WRITE_KERAS = String.raw`
import io, json, sys, zipfile, h5py
import numpy as np
out, config = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
buf = io.BytesIO()
h = h5py.File(buf, 'w')
h.create_group('vars')
def put(key, shapes):
    g = h.create_group(key).create_group('vars')
    for i, s in enumerate(shapes):
        v = rng.uniform(0.5, 1.5, s) if (key.endswith('batch_normalization') and i == 3) else rng.normal(0, 0.5, s)
        g.create_dataset(str(i), data=v.astype('float32'))
put('layers/sequential/layers/conv2d', [(3, 3, 3, 4), (4,)])
put('layers/sequential/layers/batch_normalization', [(4,), (4,), (4,), (4,)])
put('layers/sequential/layers/depthwise_conv2d', [(3, 3, 4, 1), (4,)])
put('layers/sequential/layers/conv2d_1', [(1, 1, 4, 4), (4,)])
put('layers/global_average_pooling2d', [])
put('layers/dense', [(4, 3), (3,)])
h.close()
with zipfile.ZipFile(out, 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.13.2', 'date_saved': '2026-12-04@21:00:00'}))
    z.writestr('config.json', config)
    z.writestr('model.weights.h5', buf.getvalue())
`;

void test('a nested Keras 3 model (.keras) flattens, finds its weights by class-rank keys, and runs like tfjs-layers (1e-5)', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const file = path.join(dir, 'transfer.keras');
  python(WRITE_KERAS, [file, JSON.stringify(CONFIG)]);
  const [graph, ref] = await Promise.all([loadModelFile(file), pythonReference(file)]);
  assert.deepEqual(
    graph.layers.map((l) => [l.name, l.className, l.weights.map((w) => w.name).join(',')]),
    [
      ['input_layer_3', 'InputLayer', ''],
      ['conv2d_5', 'Conv2D', 'kernel,bias'],
      ['batch_normalization_2', 'BatchNormalization', 'gamma,beta,moving_mean,moving_variance'],
      ['depthwise_conv2d_7', 'DepthwiseConv2D', 'depthwise_kernel,bias'],
      ['conv2d_6', 'Conv2D', 'kernel,bias'],
      ['global_average_pooling2d_1', 'GlobalAveragePooling2D', ''],
      ['dense_3', 'Dense', 'kernel,bias'],
    ],
  );
  assert.equal(ref.weights.length, 12);
  const model = await referenceModel(ref);
  try {
    const g = analyzeGraph(graph);
    const n = 3;
    let s = 5;
    const x = Float32Array.from({ length: n * 8 * 8 * 3 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
    const expected = tf.tidy(() => (model.predict(tf.tensor(x, [n, 8, 8, 3])) as tf.Tensor).dataSync() as Float32Array);
    const got = predictGraph(g, x, n);
    let max = 0;
    got.forEach((v, i) => (max = Math.max(max, Math.abs(v - expected[i]))));
    console.log(`nested Keras 3 .keras: max |ours − tfjs-layers| = ${max.toExponential(2)}`);
    assert.ok(max <= 1e-5, `max difference ${max}`);
  } finally {
    model.dispose();
  }
});

void test('Keras 3 .keras: a backbone saved with trainable: false (model.trainable = False) imports with all its layers frozen, the head trainable', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const frozen = structuredClone(CONFIG);
  const backbone = frozen.config.layers[1] as { config: { trainable: boolean } };
  backbone.config.trainable = false;
  const file = path.join(dir, 'frozen.keras');
  python(WRITE_KERAS, [file, JSON.stringify(frozen)]);
  const graph = await loadModelFile(file);
  assert.deepEqual(
    graph.layers.filter((l) => l.className !== 'InputLayer').map((l) => [l.name, l.trainable !== false, l.modelPath ?? []]),
    [
      ['conv2d_5', false, ['backbone']],
      ['batch_normalization_2', false, ['backbone']],
      ['depthwise_conv2d_7', false, ['backbone']],
      ['conv2d_6', false, ['backbone']],
      ['global_average_pooling2d_1', true, []],
      ['dense_3', true, []],
    ],
  );
});
