/**
 * Issue 9: transfer learning on the Teachable Machine export with its MobileNetV2 base frozen
 * (`train.freeze: ["model1"]`), on wasm with our kernels, with a real 2-class image set:
 * Fashion-MNIST (Debian's dataset-fashion-mnist) classes A and B, upscaled 28×28 → 224×224
 * (bilinear) and grey → RGB, scaled x/127.5 − 1 as Teachable Machine feeds the model.
 *
 * Measures, by process CPU time (and wall, with `uptime` before and after):
 *   (a) a head step without the cache: the frozen base (BN in inference mode) runs every step;
 *   (b) the feature cache: the base once per sample, then a head step on cached features;
 * then fits the head for E epochs through `fit` (the cached path) and reports test accuracy.
 * The last line is the same as JSON (npm run bench records it as `tm_transfer`).
 *
 *   npx tsx bench/tm-transfer.ts [train=160] [test=200] [epochs=5] [batch=16] [classA=2] [classB=4]
 */
import { execSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend';
import { sampleSet, splitData } from '../src/engine/data/dataset';
import { readIdxImages, readIdxLabels } from '../src/engine/data/idx';
import { applyFreeze, describeFreeze } from '../src/engine/graph/freeze';
import { loadModelFile } from '../src/engine/import/index';
import { fit } from '../src/engine/train/fit';
import { GraphTrainer } from '../src/engine/train/graphTrainer';
import type { StageContext } from '../src/engine/jobs/types';

const [trainN, testN, epochs, batch, classA, classB] = [160, 200, 5, 16, 2, 4].map((d, i) => Number(process.argv[2 + i] ?? d));
const FASHION = '/usr/share/datasets/fashion-mnist';
const MODEL = '/work/shared/fixtures/keras/teachable_machine_keras_model.h5';
const S = 224;

const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1000;
};
const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const load = (): string => execSync('uptime').toString().trim().replace(/.*load/, 'load');

/** The first `n` samples of classes A and B (label 0 / 1), 224×224×3 in [-1, 1]. */
async function subset(split: 'train' | 't10k', n: number): Promise<{ x: Float32Array; y: Int32Array }> {
  const { images, rows, cols } = await readIdxImages(path.join(FASHION, `${split}-images-idx3-ubyte.gz`));
  const labels = await readIdxLabels(path.join(FASHION, `${split}-labels-idx1-ubyte.gz`));
  const x = new Float32Array(n * S * S * 3);
  const y = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < labels.length && k < n; i++) {
    if (labels[i] !== classA && labels[i] !== classB) {
      continue;
    }
    const src = images.subarray(i * rows * cols, (i + 1) * rows * cols);
    for (let r = 0; r < S; r++) {
      const fy = Math.max(0, ((r + 0.5) * rows) / S - 0.5);
      const y0 = Math.min(rows - 1, Math.floor(fy));
      const y1 = Math.min(rows - 1, y0 + 1);
      const wy = fy - y0;
      for (let c = 0; c < S; c++) {
        const fx = Math.max(0, ((c + 0.5) * cols) / S - 0.5);
        const x0 = Math.min(cols - 1, Math.floor(fx));
        const x1 = Math.min(cols - 1, x0 + 1);
        const wx = fx - x0;
        const v = (src[y0 * cols + x0] * (1 - wx) + src[y0 * cols + x1] * wx) * (1 - wy) + (src[y1 * cols + x0] * (1 - wx) + src[y1 * cols + x1] * wx) * wy;
        const o = ((k * S + r) * S + c) * 3;
        x[o] = x[o + 1] = x[o + 2] = v / 127.5 - 1;
      }
    }
    y[k++] = labels[i] === classA ? 0 : 1;
  }
  return { x: x.subarray(0, k * S * S * 3), y: y.subarray(0, k) };
}

async function main(): Promise<void> {
  console.log(`start: ${load()}`);
  const backend = await initBackend('wasm');
  console.log(`backend: ${backend.tfjs}; ${backend.detail ?? ''}`);
  const graph = applyFreeze(await loadModelFile(MODEL), ['model1']);
  console.log(`model: ${describeFreeze(graph)}`);
  const [train, test] = await Promise.all([subset('train', trainN), subset('t10k', testN)]);
  console.log(`data: Fashion-MNIST classes ${classA} vs ${classB}, ${train.y.length} train / ${test.y.length} test images at ${S}×${S}×3`);

  // (a) Without the cache: the frozen base runs every step.
  const plain = new GraphTrainer(graph, 1e-3, 1);
  const size = S * S * 3;
  const steps = 4;
  const plainCpu: number[] = [];
  const plainWall: number[] = [];
  for (let i = 0; i < steps + 1; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    plain.trainBatch(train.x.subarray(0, batch * size), train.y.subarray(0, batch), batch);
    if (i > 0) {
      plainCpu.push(cpuMs(c0));
      plainWall.push(performance.now() - t0);
    }
  }
  plain.dispose();
  console.log(`(a) head step, no cache (base every step): median ${median(plainCpu).toFixed(1)} ms CPU, ${median(plainWall).toFixed(1)} ms wall (batch ${batch}, ${steps} steps) — ${load()}`);

  // (b) The cache: the base once, then head steps.
  const cached = new GraphTrainer(graph, 1e-3, 1);
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const info = cached.cacheFeatures(train.x, train.y.length);
  const cacheCpu = cpuMs(c0);
  const cacheWall = performance.now() - t0;
  console.log(`(b) ${info?.detail ?? 'no cache'}: ${cacheCpu.toFixed(0)} ms CPU, ${cacheWall.toFixed(0)} ms wall = ${(cacheCpu / train.y.length).toFixed(1)} ms CPU per image`);
  const headCpu: number[] = [];
  const idx = Uint32Array.from({ length: batch }, (_v, i) => i);
  for (let i = 0; i < 50; i++) {
    c0 = process.cpuUsage();
    cached.trainBatchCached(train.x, idx, train.y.subarray(0, batch), batch);
    headCpu.push(cpuMs(c0));
  }
  cached.dispose();
  const perEpochSteps = Math.ceil(train.y.length / batch);
  const epochPlain = perEpochSteps * median(plainCpu);
  const epochCached = perEpochSteps * median(headCpu);
  console.log(`    cached head step: median ${median(headCpu).toFixed(2)} ms CPU (50 steps) → ${(median(plainCpu) / median(headCpu)).toFixed(0)}× per step`);
  console.log(
    `    ${epochs} epochs of ${perEpochSteps} steps: no cache ${((epochs * epochPlain) / 1000).toFixed(1)} s CPU; cache ${((cacheCpu + epochs * epochCached) / 1000).toFixed(1)} s CPU (features ${(cacheCpu / 1000).toFixed(1)} s + steps ${((epochs * epochCached) / 1000).toFixed(2)} s) → ${((epochs * epochPlain) / (cacheCpu + epochs * epochCached)).toFixed(1)}× — ${load()}`,
  );

  // The fit a user runs: the cached path, then test accuracy through the whole model.
  const trainSet = sampleSet(train.x, train.y, [S, S, 3], 2);
  const testSet = sampleSet(test.x, test.y, [S, S, 3], 2);
  const data = splitData('fashion-2class-224', trainSet, sampleSet(new Float32Array(0), [], [S, S, 3], 2), testSet);
  const logs: string[] = [];
  const ctx = { log: (m: string) => logs.push(m), emit: () => undefined, throwIfCancelled: () => undefined } as unknown as StageContext;
  const trainer = new GraphTrainer(graph, 1e-3, 42);
  const before = trainer.evaluate(test.x, test.y, test.y.length).accuracy;
  t0 = performance.now();
  c0 = process.cpuUsage();
  const res = await fit(ctx, trainer, data, { stage: 'train', model: 'teachable_machine', epochs, batchSize: batch, shuffle: true, seed: 42 });
  const fitCpu = cpuMs(c0);
  const fitWall = performance.now() - t0;
  const after = trainer.evaluate(test.x, test.y, test.y.length).accuracy;
  trainer.dispose();
  console.log(`fit: ${logs.join(' | ')}`);
  console.log(`fit ${epochs} epochs: ${(fitCpu / 1000).toFixed(1)} s CPU, ${(fitWall / 1000).toFixed(1)} s wall; train accuracy by epoch ${res.epochs.map((e) => e.accuracy.toFixed(3)).join(' ')}; test accuracy ${before.toFixed(3)} (the file's head) → ${after.toFixed(3)}`);
  console.log(`end: ${load()}`);
  // The last line, for npm run bench (bench/run.mjs → results.json tm_transfer).
  console.log(
    JSON.stringify({
      train_images: train.y.length,
      test_images: test.y.length,
      epochs,
      batch,
      head_step_cpu_ms: { no_cache: median(plainCpu), cached: median(headCpu) },
      step_speedup: median(plainCpu) / median(headCpu),
      features_cpu_ms_per_image: cacheCpu / train.y.length,
      epochs_cpu_s: { no_cache: (epochs * epochPlain) / 1000, cached: (cacheCpu + epochs * epochCached) / 1000 },
      speedup: (epochs * epochPlain) / (cacheCpu + epochs * epochCached),
      fit_cpu_s: fitCpu / 1000,
      feature_cache_used: res.featureCache?.used ?? false,
      test_accuracy: { before: before, after: after },
    }),
  );
}

void main();
