/**
 * tfjs-layers `model.fit` of a small CNN (Conv2D, MaxPooling2D, DepthwiseConv2D, Dense) on the
 * wasm backend with our gradient kernels follows the same loss trajectory as on the cpu backend
 * from the same weights; without the kernels the wasm backend cannot train it at all.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { registerWasmConvKernels, unregisterWasmConvKernels } from '../../src/engine/kernel/conv/register';
import { ensureKernelBuilt, rng } from './kernel-helpers';

const N = 48;
const SIDE = 12;
const CLASSES = 3;

function build(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 6, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
}

const r = rng(5);
const images = new Float32Array(N * SIDE * SIDE).map(() => r());
const labels = new Float32Array(N).map(() => Math.floor(r() * CLASSES));
let initial: { data: Float32Array; shape: number[] }[] = [];

/** Loss after each of 4 epochs (3 batches of 16, no shuffling) on a backend. */
async function lossTrajectory(backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  const model = build();
  model.setWeights(initial.map((w) => tf.tensor(w.data, w.shape)));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(images, [N, SIDE, SIDE, 1]);
  const y = tf.tensor1d(labels);
  const h = await model.fit(x, y, { epochs: 4, batchSize: 16, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  model.dispose();
  return h.history.loss as number[];
}

before(async () => {
  ensureKernelBuilt();
  tf.enableProdMode(); // no "install tfjs-node" banner from the cpu backend
  await tf.setBackend('cpu');
  const m = build();
  initial = m.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
  m.dispose();
  await initBackend('wasm');
});

void describe('tfjs-layers fit of a CNN on wasm', () => {
  void it('the loss trajectory on wasm matches cpu within 1e-3 relative, and the loss falls', async () => {
    const cpu = await lossTrajectory('cpu');
    const wasm = await lossTrajectory('wasm');
    assert.equal(wasm.length, 4);
    for (let e = 0; e < cpu.length; e++) {
      assert.ok(Math.abs(wasm[e] - cpu[e]) <= 1e-3 * Math.abs(cpu[e]), `epoch ${e + 1}: wasm ${wasm[e]} vs cpu ${cpu[e]}`);
    }
    assert.ok(wasm[3] < wasm[0], `loss did not fall: ${wasm.join(', ')}`);
  });

  void it('without our kernels the same fit throws on wasm (the gap they fill)', async () => {
    unregisterWasmConvKernels();
    try {
      await assert.rejects(lossTrajectory('wasm'), /Conv2DBackpropFilter|DepthwiseConv2dNativeBackprop/);
    } finally {
      assert.equal(registerWasmConvKernels(), '');
    }
  });
});
