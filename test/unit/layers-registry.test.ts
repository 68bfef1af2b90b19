/**
 * The registry and config parsing: unknown classes refused naming layer, class and the
 * supported list; aliases; snake_case and camelCase read alike; bad values named; training
 * behaviour of Dropout, BatchNormalization and ReLU's options by their formulas.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { BadInputError } from '../../src/engine/errors';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { buildSequential, kerasSnakeCase } from '../../src/engine/graph/build';
import { kindOf, supportedClassNames, canonicalClassName } from '../../src/engine/layers/registry';
import { graphOf, randomInput } from './layers-helpers';

before(async () => {
  await initBackend('wasm');
});

void test('an unknown class is one BadInputError naming the layer, its class and the supported list', () => {
  assert.throws(
    () => kindOf('LSTM', 'lstm_3'),
    (e: unknown) => e instanceof BadInputError && /'lstm_3'/.test(e.message) && /LSTM/.test(e.message) && supportedClassNames().every((k) => e.message.includes(k)),
  );
  assert.throws(() => buildSequential('m', [4], [{ className: 'Lambda', config: {} }], 1), (e: unknown) => e instanceof BadInputError && /'lambda' is a Lambda/.test(e.message));
});

void test('aliases map to the same kinds', () => {
  assert.equal(canonicalClassName('Convolution2D'), 'Conv2D');
  assert.equal(canonicalClassName('MaxPool2D'), 'MaxPooling2D');
  assert.equal(kindOf('GlobalAvgPool2D').className, 'GlobalAveragePooling2D');
  assert.equal(canonicalClassName('Conv3D'), null);
});

void test('snake_case and camelCase configs parse to the same config', () => {
  const a = kindOf('Conv2D').parseConfig({ filters: 8, kernel_size: 3, dilation_rate: [2, 1], use_bias: false, padding: 'same' }, 'c');
  const b = kindOf('Conv2D').parseConfig({ filters: 8, kernelSize: [3, 3], dilationRate: [2, 1], useBias: false, padding: 'same' }, 'c');
  assert.deepEqual(a, b);
  assert.deepEqual(a.kernelSize, [3, 3]);
});

void test('bad configs are BadInputErrors naming the layer and the key', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['Conv2D', { filters: 0, kernel_size: 3 }, /'filters'/],
    ['Conv2D', { filters: 4, kernel_size: 3, data_format: 'channels_first' }, /channels_last/],
    ['Conv2D', { filters: 4, kernel_size: 3, strides: 2, dilation_rate: 2 }, /dilation/],
    ['Dense', { units: 4, activation: 'gelu' }, /'gelu' is not supported/],
    ['Dropout', { rate: 1.5 }, /'rate'/],
    ['Reshape', { target_shape: [-1, -1] }, /target_shape/],
    ['MaxPooling2D', { padding: 'causal' }, /'padding'/],
  ];
  for (const [cls, cfg, re] of bad) {
    assert.throws(() => kindOf(cls).parseConfig(cfg, "layer 'l' (X)"), (e: unknown) => e instanceof BadInputError && re.test(e.message) && e.message.startsWith("layer 'l'"), `${cls} ${JSON.stringify(cfg)}`);
  }
});

void test('shape mismatches name the layer', () => {
  assert.throws(() => buildSequential('m', [784], [{ className: 'Conv2D', config: { filters: 4, kernelSize: 3 } }], 1), (e: unknown) => e instanceof BadInputError && /layer 'conv2d' \(Conv2D\)/.test(e.message) && /Reshape/.test(e.message));
  assert.throws(() => buildSequential('m', [2, 2, 1], [{ className: 'Conv2D', config: { filters: 4, kernelSize: 3 } }], 1), /does not fit/);
});

void test("Keras' auto-names", () => {
  assert.equal(kerasSnakeCase('Conv2D'), 'conv2d');
  assert.equal(kerasSnakeCase('MaxPooling2D'), 'max_pooling2d');
  assert.equal(kerasSnakeCase('ReLU'), 're_lu');
  assert.equal(kerasSnakeCase('BatchNormalization'), 'batch_normalization');
  assert.equal(kerasSnakeCase('GlobalAveragePooling2D'), 'global_average_pooling2d');
  const g = buildSequential('m', [8, 8, 1], [
    { className: 'Conv2D', config: { filters: 2, kernelSize: 3 } },
    { className: 'Conv2D', config: { filters: 2, kernelSize: 3 } },
    { className: 'MaxPooling2D', config: {} },
    { className: 'Flatten', config: {} },
    { className: 'Dense', config: { units: 3 } },
  ], 1);
  assert.deepEqual(g.layers.map((l) => l.name), ['conv2d_input', 'conv2d', 'conv2d_1', 'max_pooling2d', 'flatten', 'dense']);
});

void test('Dropout in training zeroes about `rate` of the values and scales the rest by 1/(1−rate); identity at inference', () => {
  const kind = kindOf('Dropout');
  const cfg = kind.parseConfig({ rate: 0.25 }, 'd');
  const x = tf.fill([100, 100], 2);
  const y = kind.forward(cfg, [], [x], true, { seed: 5 }).dataSync();
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / y.length - 0.25) < 0.02, `zero fraction ${zeros / y.length}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 2 / 0.75) < 1e-6));
  assert.equal(kind.forward(cfg, [], [x], false), x);
  x.dispose();
});

void test('BatchNormalization in training: batch statistics, and moving stats updated by the momentum formula', () => {
  const g = graphOf([2, 2, 3], [{ name: 'bn', className: 'BatchNormalization', config: { momentum: 0.9, epsilon: 0.001 }, inbound: ['x'] }], 3);
  const node = g.layers[1];
  const [gamma, beta, mm, mv] = node.weights.map((w) => w.data);
  const batch = 4;
  const xs = randomInput([batch, 2, 2, 3], 9);
  const kind = kindOf('BatchNormalization');
  const updates: Record<string, Float32Array> = {};
  const y = tf.tidy(() =>
    kind.forward(node.config, node.weights.map((w) => tf.tensor(w.data, w.shape)), [tf.tensor(xs, [batch, 2, 2, 3])], true, {
      update: (name, v) => {
        updates[name] = v.dataSync() as Float32Array;
        v.dispose();
      },
    }),
  ).dataSync();
  // By hand, per channel.
  const n = batch * 4;
  for (let c = 0; c < 3; c++) {
    const vals = Array.from({ length: n }, (_v, i) => xs[i * 3 + c]);
    const mean = vals.reduce((a, b) => a + b, 0) / n;
    const varB = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    for (let i = 0; i < n; i++) {
      const want = ((vals[i] - mean) / Math.sqrt(varB + 0.001)) * gamma[c] + beta[c];
      assert.ok(Math.abs(y[i * 3 + c] - want) < 1e-4);
    }
    assert.ok(Math.abs(updates.moving_mean[c] - (mm[c] * 0.9 + mean * 0.1)) < 1e-5);
    assert.ok(Math.abs(updates.moving_variance[c] - (mv[c] * 0.9 + ((varB * n) / (n - 1)) * 0.1)) < 1e-5);
  }
});

void test('ReLU negative_slope and threshold follow Keras’ formula', () => {
  const kind = kindOf('ReLU');
  const cfg = kind.parseConfig({ max_value: 2, negative_slope: 0.1, threshold: 0.5 }, 'r');
  const xs = [-3, 0, 0.4, 0.5, 1, 2, 5];
  const y = Array.from(tf.tidy(() => kind.forward(cfg, [], [tf.tensor1d(xs)], false).dataSync()));
  const want = xs.map((x) => (x >= 2 ? 2 : x >= 0.5 ? x : 0.1 * (x - 0.5)));
  y.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `${xs[i]} → ${v}, want ${want[i]}`));
});

void test('analyzeGraph refuses wrong weights and dangling inbound layers', () => {
  const g = graphOf([4], [{ name: 'd', className: 'Dense', config: { units: 2 }, inbound: ['x'] }]);
  g.layers[1].weights[0].shape = [2, 4];
  assert.throws(() => analyzeGraph(g), /layer 'd' \(Dense\): weight 0 is 'kernel' \[2, 4\]/);
  const h = graphOf([4], [{ name: 'd', className: 'Dense', config: { units: 2 }, inbound: ['x'] }]);
  h.layers[1].inbound = ['nope'];
  assert.throws(() => analyzeGraph(h), /'nope', which is not an earlier layer/);
});
