/**
 * Every layer kind's forward pass against stock tfjs-layers on the same weights (1e-5):
 * the graph is loaded into tfjs-layers from our own Keras topology (so kerasConfig is
 * checked too), predicted on the cpu backend; ours runs on wasm. MACs against closed forms.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { layerTable } from '../../src/engine/graph/stats';
import { supportedClassNames } from '../../src/engine/layers/registry';
import { graphOf, maxAbsDiff, randomInput, toTfjsLayers } from './layers-helpers';

before(async () => {
  await initBackend('wasm');
});

interface Case {
  title: string;
  input: number[];
  className: string;
  config: Record<string, unknown>;
  /** Extra nodes before the layer under test (its inbound is ['x'] unless given). */
  inbound?: string[];
  pre?: { name: string; className: string; config: Record<string, unknown>; inbound: string[] }[];
  /** The layer's MACs by the closed form. */
  macs: number;
  outShape: number[];
}

const CASES: Case[] = [
  { title: 'Dense relu (snake_case)', input: [12], className: 'Dense', config: { units: 7, activation: 'relu', use_bias: true }, macs: 12 * 7, outShape: [7] },
  { title: 'Dense no bias, camelCase, softmax', input: [12], className: 'Dense', config: { units: 5, activation: 'softmax', useBias: false }, macs: 60, outShape: [5] },
  { title: 'Dense on rank 3', input: [3, 4, 6], className: 'Dense', config: { units: 5, activation: 'tanh' }, macs: 3 * 4 * 6 * 5, outShape: [3, 4, 5] },
  { title: 'Conv2D valid 3×3', input: [9, 8, 3], className: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], activation: 'relu' }, macs: 7 * 6 * 4 * 9 * 3, outShape: [7, 6, 4] },
  { title: 'Conv2D same, strides 2, no bias', input: [9, 8, 3], className: 'Conv2D', config: { filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false }, macs: 5 * 4 * 5 * 9 * 3, outShape: [5, 4, 5] },
  { title: 'Conv2D dilation 2, 2×3 kernel', input: [10, 9, 2], className: 'Conv2D', config: { filters: 3, kernel_size: [2, 3], dilation_rate: 2, activation: 'sigmoid' }, macs: 8 * 5 * 3 * 6 * 2, outShape: [8, 5, 3] },
  { title: 'DepthwiseConv2D mult 2 same', input: [7, 7, 3], className: 'DepthwiseConv2D', config: { kernel_size: 3, depth_multiplier: 2, padding: 'same' }, macs: 7 * 7 * 6 * 9, outShape: [7, 7, 6] },
  { title: 'DepthwiseConv2D strides 2 relu6 no bias', input: [8, 8, 4], className: 'DepthwiseConv2D', config: { kernel_size: [3, 3], strides: [2, 2], activation: 'relu6', use_bias: false }, macs: 3 * 3 * 4 * 9, outShape: [3, 3, 4] },
  { title: 'SeparableConv2D', input: [8, 7, 3], className: 'SeparableConv2D', config: { filters: 5, kernel_size: 3, depth_multiplier: 2, activation: 'swish' }, macs: 6 * 5 * (6 * 9 + 6 * 5), outShape: [6, 5, 5] },
  { title: 'MaxPooling2D 2', input: [8, 7, 3], className: 'MaxPooling2D', config: { pool_size: [2, 2] }, macs: 0, outShape: [4, 3, 3] },
  { title: 'MaxPooling2D 3 stride 2 same', input: [8, 7, 3], className: 'MaxPooling2D', config: { poolSize: 3, strides: 2, padding: 'same' }, macs: 0, outShape: [4, 4, 3] },
  { title: 'AveragePooling2D 2', input: [8, 7, 3], className: 'AveragePooling2D', config: { pool_size: 2 }, macs: 0, outShape: [4, 3, 3] },
  { title: 'AveragePooling2D 3 stride 2 same', input: [8, 7, 3], className: 'AveragePooling2D', config: { pool_size: 3, strides: 2, padding: 'same' }, macs: 0, outShape: [4, 4, 3] },
  { title: 'GlobalAveragePooling2D', input: [5, 4, 3], className: 'GlobalAveragePooling2D', config: {}, macs: 0, outShape: [3] },
  { title: 'GlobalMaxPooling2D', input: [5, 4, 3], className: 'GlobalMaxPooling2D', config: {}, macs: 0, outShape: [3] },
  { title: 'Flatten', input: [3, 4, 2], className: 'Flatten', config: {}, macs: 0, outShape: [24] },
  { title: 'Reshape with -1', input: [24], className: 'Reshape', config: { target_shape: [4, -1, 2] }, macs: 0, outShape: [4, 3, 2] },
  { title: 'Dropout (inference: identity)', input: [10], className: 'Dropout', config: { rate: 0.5 }, macs: 0, outShape: [10] },
  { title: 'BatchNormalization (moving statistics)', input: [4, 3, 5], className: 'BatchNormalization', config: { axis: -1, momentum: 0.99, epsilon: 0.001 }, macs: 0, outShape: [4, 3, 5] },
  { title: 'BatchNormalization without center/scale, axis [3]', input: [4, 3, 5], className: 'BatchNormalization', config: { axis: [3], center: false, scale: false }, macs: 0, outShape: [4, 3, 5] },
  ...['relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'linear', 'swish', 'hard_sigmoid'].map((a) => ({
    title: `Activation ${a}`,
    input: [3, 7],
    className: 'Activation',
    config: { activation: a },
    macs: 0,
    outShape: [3, 7],
  })),
  { title: 'ReLU', input: [11], className: 'ReLU', config: {}, macs: 0, outShape: [11] },
  { title: 'ReLU max_value 6 (relu6)', input: [11], className: 'ReLU', config: { max_value: 6 }, macs: 0, outShape: [11] },
  { title: 'ReLU max_value 0.5', input: [11], className: 'ReLU', config: { maxValue: 0.5 }, macs: 0, outShape: [11] },
  {
    title: 'Add (residual)',
    input: [4, 4, 3],
    pre: [{ name: 'r', className: 'Activation', config: { activation: 'tanh' }, inbound: ['x'] }],
    className: 'Add',
    config: {},
    inbound: ['x', 'r'],
    macs: 0,
    outShape: [4, 4, 3],
  },
  {
    title: 'Concatenate channels',
    input: [4, 4, 3],
    pre: [{ name: 'r', className: 'Activation', config: { activation: 'sigmoid' }, inbound: ['x'] }],
    className: 'Concatenate',
    config: { axis: -1 },
    inbound: ['x', 'r'],
    macs: 0,
    outShape: [4, 4, 6],
  },
  {
    title: 'Concatenate axis 1',
    input: [4, 2, 3],
    pre: [{ name: 'r', className: 'Activation', config: { activation: 'sigmoid' }, inbound: ['x'] }],
    className: 'Concatenate',
    config: { axis: 1 },
    inbound: ['x', 'r'],
    macs: 0,
    outShape: [8, 2, 3],
  },
  { title: 'ZeroPadding2D ((1, 2), (0, 3))', input: [4, 5, 2], className: 'ZeroPadding2D', config: { padding: [[1, 2], [0, 3]] }, macs: 0, outShape: [7, 8, 2] },
  { title: 'ZeroPadding2D 1', input: [4, 5, 2], className: 'ZeroPadding2D', config: { padding: 1 }, macs: 0, outShape: [6, 7, 2] },
  { title: 'Rescaling', input: [3, 3, 2], className: 'Rescaling', config: { scale: 1 / 255, offset: -0.5 }, macs: 0, outShape: [3, 3, 2] },
];

void test('every registered kind has at least one forward case', () => {
  // Normalization has no tfjs-layers class to compare with: export-normalization.test.ts checks it against hand values and NumPy.
  const covered = new Set(['InputLayer', 'Normalization', ...CASES.map((c) => c.className)]);
  assert.deepEqual(supportedClassNames().filter((k) => !covered.has(k)), []);
});

for (const c of CASES) {
  void test(`forward = tfjs-layers: ${c.title}`, async () => {
    const g = graphOf(c.input, [...(c.pre ?? []), { name: 'under_test', className: c.className, config: c.config, inbound: c.inbound ?? ['x'] }], 7);
    const a = analyzeGraph(g);
    const row = layerTable(a).find((r) => r.name === 'under_test');
    assert.deepEqual(a.outputShape, c.outShape);
    assert.equal(row?.macs, c.macs);
    const batch = 3;
    const x = randomInput([batch, ...c.input], 11);
    const ours = predictGraph(a, x, batch);

    const prev = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const model = await toTfjsLayers(g);
      const ref = tf.tidy(() => (model.predict(tf.tensor(x, [batch, ...c.input])) as tf.Tensor).dataSync());
      // tfjs-layers leaves a Reshape's -1 unresolved (null) in its symbolic shape.
      assert.deepEqual(model.outputs[0].shape.slice(1).map((d, i) => d ?? c.outShape[i]), c.outShape);
      const d = maxAbsDiff(ours, ref);
      assert.ok(d <= 1e-5, `max |ours − tfjs-layers| = ${d}`);
      model.dispose();
    } finally {
      await tf.setBackend(prev);
    }
  });
}
