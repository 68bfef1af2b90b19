/**
 * The Keras-style fit loop: batch/step semantics, shuffling, hooks, cancel, throttled
 * progress, and a short real MNIST training run that only learning can pass.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { sampleSet, splitData, type SplitData, type ImageSet } from '../../src/engine/data/dataset';
import { loadData } from '../../src/engine/data/load';
import { initBackend } from '../../src/engine/backend';
import { initMlp } from '../../src/engine/model/init';
import type { ModelGraph } from '../../src/engine/graph/types';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { MlpTrainerAdapter } from '../../src/engine/train/mlpAdapter';
import { fit } from '../../src/engine/train/fit';
import { TfjsTrainer } from '../../src/engine/train/tfjsTrainer';
import type { Trainer } from '../../src/engine/train/trainer';
import { CancelledError } from '../../src/engine/errors';
import { fakeContext } from './train-helpers';

before(async () => {
  await initBackend('wasm');
});

/** Records what fit feeds it; sample i has label i % 256 and every pixel = i % 256. */
class RecordingTrainer implements Trainer {
  readonly name = 'recording';
  batches: { labels: number[]; pixelsOk: boolean }[] = [];
  onBatch?: () => void;
  setMasks(): void {}
  applyMasks(): void {}
  trainBatch(images: Uint8Array, labels: Uint8Array, count: number) {
    let ok = true;
    for (let k = 0; k < count; k++) {
      for (let j = 0; j < 3; j++) {
        ok &&= images[k * 3 + j] === labels[k];
      }
    }
    this.batches.push({ labels: Array.from(labels.subarray(0, count)), pixelsOk: ok });
    this.onBatch?.();
    return { loss: 0.5, correct: count >> 1 };
  }
  predict(): Float32Array {
    return new Float32Array(0);
  }
  evaluate() {
    return { loss: 0.25, accuracy: 0.75 };
  }
  getModel(): ModelGraph {
    return { name: 'x', inputs: [], outputs: [], layers: [] };
  }
  setModel(): void {}
  resetOptimizer(): void {}
  dispose(): void {}
}

function syntheticData(n: number): SplitData {
  const set = (count: number, offset: number): ImageSet =>
    sampleSet(
      Uint8Array.from({ length: count * 3 }, (_, i) => (Math.floor(i / 3) + offset) % 256),
      Uint8Array.from({ length: count }, (_, i) => (i + offset) % 256),
      [3],
      256,
    );
  return splitData('synthetic', set(n, 0), set(4, n), set(4, n + 4));
}

void test('batches: last partial batch kept, global steps, hooks order, reshuffle per epoch', async () => {
  const ctx = fakeContext();
  const trainer = new RecordingTrainer();
  const calls: string[] = [];
  const res = await fit(ctx, trainer, syntheticData(10), {
    stage: 'train',
    model: 'm',
    epochs: 2,
    batchSize: 4,
    shuffle: true,
    seed: 1,
    hooks: {
      beforeBatch: (s) => calls.push(`b${s}`),
      afterEpoch: (e, s) => calls.push(`e${e}@${s}`),
      epochExtras: () => ({ sparsity: { dense_1: 0.5 } }),
    },
  });
  assert.equal(res.stepsPerEpoch, 3);
  assert.equal(res.steps, 6);
  assert.deepEqual(trainer.batches.map((b) => b.labels.length), [4, 4, 2, 4, 4, 2]);
  assert.ok(trainer.batches.every((b) => b.pixelsOk), 'images travel with their labels');
  assert.deepEqual(calls, ['b1', 'b2', 'b3', 'e1@3', 'b4', 'b5', 'b6', 'e2@6']);
  const epoch1 = trainer.batches.slice(0, 3).flatMap((b) => b.labels);
  const epoch2 = trainer.batches.slice(3).flatMap((b) => b.labels);
  assert.deepEqual([...epoch1].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...epoch2].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(epoch1, epoch2, 'reshuffled every epoch');
  assert.notDeepEqual(epoch1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Epoch metrics: sample-weighted means (correct = floor(count/2) per batch → (2+2+1)/10).
  assert.equal(res.epochs[0].accuracy, 0.5);
  assert.equal(res.epochs[0].loss, 0.5);
  assert.equal(res.epochs[1].valAccuracy, 0.75);
  assert.deepEqual(res.epochs[1].sparsity, { dense_1: 0.5 });
  const ends = ctx.events.filter((e) => e.type === 'epochEnd');
  assert.equal(ends.length, 2);
  assert.ok(ends[1].type === 'epochEnd' && ends[1].step === 6 && ends[1].sparsity?.dense_1 === 0.5);
  // The last batch of every epoch is reported.
  const progress = ctx.events.filter((e) => e.type === 'batchProgress');
  assert.ok(progress.some((e) => e.type === 'batchProgress' && e.epoch === 1 && e.batch === 3 && e.batches === 3));
  // Same seed → same order; shuffle off → file order.
  const again = new RecordingTrainer();
  await fit(fakeContext(), again, syntheticData(10), { stage: 'train', model: 'm', epochs: 1, batchSize: 4, shuffle: true, seed: 1 });
  assert.deepEqual(again.batches.flatMap((b) => b.labels), epoch1);
  const plain = new RecordingTrainer();
  await fit(fakeContext(), plain, syntheticData(10), { stage: 'train', model: 'm', epochs: 1, batchSize: 4, shuffle: false, seed: 1 });
  assert.deepEqual(plain.batches.flatMap((b) => b.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

void test('cancel stops within one batch; progress is throttled', async () => {
  const ctx = fakeContext();
  const trainer = new RecordingTrainer();
  trainer.onBatch = () => {
    if (trainer.batches.length === 5) {
      ctx.abort.abort();
    }
  };
  await assert.rejects(fit(ctx, trainer, syntheticData(100), { stage: 'train', model: 'm', epochs: 3, batchSize: 4, shuffle: true, seed: 2 }), CancelledError);
  assert.equal(trainer.batches.length, 5);
  assert.equal(ctx.events.filter((e) => e.type === 'epochEnd').length, 0);

  // 5000 fast batches in well under a second: only a handful of progress events.
  const ctx2 = fakeContext();
  const t0 = performance.now();
  await fit(ctx2, new RecordingTrainer(), syntheticData(5000), { stage: 'train', model: 'm', epochs: 1, batchSize: 1, shuffle: false, seed: 2 });
  const seconds = (performance.now() - t0) / 1000;
  const progress = ctx2.events.filter((e) => e.type === 'batchProgress');
  assert.ok(progress.length <= Math.ceil(seconds * 4) + 2, `${progress.length} progress events in ${seconds.toFixed(2)} s`);
  const last = progress[progress.length - 1];
  assert.ok(last.type === 'batchProgress' && last.batch === 5000);
});

void test('real MNIST: 5400 samples, 1 epoch, validation accuracy > 0.85 (chance is 0.1)', async () => {
  const config: RunConfig = { ...DEFAULT_CONFIG, data: { ...DEFAULT_CONFIG.data, trainLimit: 6000, testLimit: 1000 } };
  const data = await loadData(config);
  assert.equal(data.train.count, 5400);
  assert.equal(data.validation.count, 600);
  const model = initMlp(config.model, 784, 10, 42, 'mnist_model');
  const trainer = new MlpTrainerAdapter(new TfjsTrainer(model, 1e-3), mlpToGraph(model));
  const ctx = fakeContext(config);
  const res = await fit(ctx, trainer, data, { stage: 'train', model: 'mnist_model', epochs: 1, batchSize: 64, shuffle: true, seed: 42 });
  assert.equal(res.stepsPerEpoch, 85);
  const e = res.epochs[0];
  assert.ok(e.valAccuracy > 0.85, `validation accuracy ${e.valAccuracy}`);
  assert.ok(e.valLoss < 0.6, `validation loss ${e.valLoss}`);
  assert.ok(e.accuracy > 0.7 && e.loss < 1.0, `train ${e.accuracy} / ${e.loss}`);
  const test = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
  assert.ok(test.accuracy > 0.8, `test accuracy ${test.accuracy}`);
  console.log(`# 1 epoch on 5400 MNIST samples: val acc ${e.valAccuracy.toFixed(4)}, test acc ${test.accuracy.toFixed(4)}, ${(e.durationMs / 1000).toFixed(2)} s`);
  trainer.dispose();
});
