/**
 * The engine's own trainer (GraphTrainer: TF.js ops + autodiff) trains a MobileNet-style CNN on
 * the wasm backend through our gradient kernels exactly as on the cpu backend: same losses and
 * same weights after a few Adam steps from the same start (Conv2D with stride and same padding,
 * BatchNormalization, DepthwiseConv2D with relu6, SeparableConv2D, MaxPooling2D, Dense).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../src/engine/backend';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { ensureKernelBuilt, rng } from './kernel-helpers';
import { graphOf } from './layers-helpers';

const INPUT = [12, 12, 3];
const N = 16;

function cnn() {
  return graphOf(
    INPUT,
    [
      { name: 'conv', className: 'Conv2D', config: { filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' }, inbound: ['x'] },
      { name: 'bn', className: 'BatchNormalization', config: {}, inbound: ['conv'] },
      { name: 'dw', className: 'DepthwiseConv2D', config: { kernel_size: 3, padding: 'same', activation: 'relu6' }, inbound: ['bn'] },
      { name: 'sep', className: 'SeparableConv2D', config: { filters: 12, kernel_size: 3, depth_multiplier: 2, activation: 'relu' }, inbound: ['dw'] },
      { name: 'pool', className: 'MaxPooling2D', config: { pool_size: 2 }, inbound: ['sep'] },
      { name: 'flatten', className: 'Flatten', config: {}, inbound: ['pool'] },
      { name: 'dense', className: 'Dense', config: { units: 5, activation: 'softmax' }, inbound: ['flatten'] },
    ],
    11,
  );
}

const r = rng(21);
const images = new Uint8Array(N * INPUT.reduce((a, b) => a * b, 1)).map(() => Math.floor(r() * 256));
const labels = Int32Array.from({ length: N }, () => Math.floor(r() * 5));

async function train(backend: 'cpu' | 'wasm'): Promise<{ losses: number[]; weights: Float32Array[] }> {
  await initBackend(backend);
  assert.equal(tf.getBackend(), backend);
  const t = new GraphTrainer(cnn(), 0.01, 5);
  const losses: number[] = [];
  for (let s = 0; s < 4; s++) {
    losses.push(t.trainBatch(images, labels, N).loss);
  }
  const weights = t.getModel('m').layers.flatMap((l) => l.weights.map((w) => w.data));
  t.dispose();
  return { losses, weights };
}

before(() => {
  ensureKernelBuilt();
});

void describe('GraphTrainer on wasm (our kernels) = on cpu', () => {
  void it('four Adam steps: losses within 1e-4 relative, every weight within 1e-3 of its scale', async () => {
    const cpu = await train('cpu');
    const wasm = await train('wasm');
    cpu.losses.forEach((l, i) => assert.ok(Math.abs(wasm.losses[i] - l) <= 1e-4 * Math.abs(l), `step ${i + 1}: wasm ${wasm.losses[i]} vs cpu ${l}`));
    assert.equal(wasm.weights.length, cpu.weights.length);
    cpu.weights.forEach((w, i) => {
      let diff = 0;
      let scale = 0;
      for (let j = 0; j < w.length; j++) {
        diff = Math.max(diff, Math.abs(wasm.weights[i][j] - w[j]));
        scale = Math.max(scale, Math.abs(w[j]));
      }
      assert.ok(diff <= 1e-3 * Math.max(scale, 1e-6), `weight #${i}: max diff ${diff}, scale ${scale}`);
    });
    assert.ok(wasm.losses[3] < wasm.losses[0], `loss did not fall: ${wasm.losses.join(', ')}`);
  });
});
