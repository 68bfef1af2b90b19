/**
 * Quantization-aware training's fake quantization against independent references:
 * - the straight-through gradient against central finite differences taken over a whole
 *   number of quantization steps (where both points lie inside the range the difference is
 *   exactly 1, outside exactly 0: the estimator's two cases);
 * - the QAT forward pass (frozen ranges) against our int8 reference kernels (int8Ref.ts for
 *   layer graphs, forwardInt8 for Dense stacks) on the exported model: within one output
 *   quantization step;
 * - the exported QAT file bit-exact in the tfjs-tflite runtime against the int8 reference;
 * - the moving-average range update against the hand formula; pruned zeros kept.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { ImageSet } from '../../src/engine/data/dataset';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { graphTfliteBytes } from '../../src/engine/export/tflite/graphExport';
import { forwardInt8Lowered, quantizeInputValues } from '../../src/engine/export/tflite/int8Ref';
import { INPUT_SITE } from '../../src/engine/export/tflite/lower';
import type { QuantizedLowered } from '../../src/engine/export/tflite/quantizeLowered';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import { fakeQuantActivation, fakeQuantWeightValues } from '../../src/engine/qat/fakeQuant';
import { createQatTrainer, observeRanges, zeroMasks } from '../../src/engine/qat/trainer';
import { forwardInt8, quantizeInput, type QuantizedMlp } from '../../src/engine/quantize/fullInt8';
import { asymmetricParams } from '../../src/engine/quantize/int8';
import { quantizeWeights } from '../../src/engine/export/tflite/emit';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { mnist, randomModel } from './export-helpers';
import { convnet, functional, pixelsOf } from './tflite-graph-helpers';

let train: ImageSet;
let test_: ImageSet;

before(async () => {
  await tf.setBackend('cpu');
  ({ train, test: test_ } = await mnist(600, 200));
});

void describe('fake quantization', () => {
  void test('straight-through gradient: 1 inside the representable range, 0 outside, equal to finite differences over whole steps', () => {
    const p = asymmetricParams(-1.3, 2.1);
    const lo = (-128 - p.zeroPoint) * p.scale;
    const hi = (127 - p.zeroPoint) * p.scale;
    // Points well inside, well outside on both sides, and away from rounding ties.
    const xs = Float32Array.from([-3, -2, -1.2, -0.51, 0.03, 0.77, 1.43, 2.05, 2.5, 4, 9]);
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(fakeQuantActivation(x, p), tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))))(tf.tensor1d(xs)).dataSync());
    const fq = (v: number): number => tf.tidy(() => fakeQuantActivation(tf.scalar(v), p).dataSync()[0]);
    const h = 3 * p.scale;
    let checked = 0;
    xs.forEach((x, i) => {
      const w = i + 1;
      const bothInside = x - h >= lo && x + h <= hi;
      const bothOutside = x + h < lo || x - h > hi;
      const expected = x >= lo && x <= hi ? w : 0;
      assert.ok(Math.abs(g[i] - expected) < 1e-6, `x=${x}: gradient ${g[i]}, expected ${expected}`);
      if (bothInside || bothOutside) {
        const fd = (w * (fq(x + h) - fq(x - h))) / (2 * h);
        assert.ok(Math.abs(fd - g[i]) < 1e-3 * w, `x=${x}: finite difference ${fd} vs straight-through ${g[i]}`);
        checked++;
      }
    });
    assert.ok(checked >= 8, `only ${checked} points had a defined finite difference`);
  });

  void test('forward: values on the int8 grid of the range, saturating outside it', () => {
    const p = asymmetricParams(0, 6);
    const y = tf.tidy(() => fakeQuantActivation(tf.tensor1d([-1, 0, 0.01, 3.333, 5.99, 6, 7]), p).dataSync());
    const expected = [-1, 0, 0.01, 3.333, 5.99, 6, 7].map((v) => (Math.max(-128, Math.min(127, Math.round(v / p.scale) + p.zeroPoint)) - p.zeroPoint) * p.scale);
    y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v} vs ${expected[i]}`));
    assert.equal(y[0], 0);
    assert.ok(Math.abs(y[6] - 6) < 1e-6);
  });

  void test('weights: per channel and per tensor exactly the values the exporter stores (emit.ts quantizeWeights, TFLite layout)', () => {
    const g = convnet(5);
    const k = g.layers.find((l) => l.name === 'conv2d_1')!.weights[0]; // [3, 3, 8, 16] HWIO
    for (const perChannel of [true, false]) {
      const { values } = fakeQuantWeightValues(k.data, perChannel ? 16 : null);
      // The exporter's OHWI filter of the same kernel.
      const [kh, kw, ci, co] = k.shape;
      const ohwi = new Float32Array(k.data.length);
      // Flat index of (o, y, x, i) in OHWI and in Keras' HWIO.
      const each = (fn: (ohwiAt: number, hwioAt: number, o: number) => void): void => {
        for (let o = 0; o < co; o++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              for (let i = 0; i < ci; i++) {
                fn(((o * kh + y) * kw + x) * ci + i, ((y * kw + x) * ci + i) * co + o, o);
              }
            }
          }
        }
      };
      each((a, b) => (ohwi[a] = k.data[b]));
      const { q, scales } = quantizeWeights(ohwi, [co, kh, kw, ci], perChannel ? 0 : null);
      let diffs = 0;
      each((a, b, o) => {
        diffs += values[b] === Math.fround(q[a] * scales[perChannel ? o : 0]) ? 0 : 1;
      });
      assert.equal(diffs, 0, `${perChannel ? 'per-channel' : 'per-tensor'}: ${diffs} values differ`);
    }
  });
});

/** Model input: pixels in [0, 1], or raw 0..255 for a model that starts with a Rescaling layer. */
let raw = false;
const input = (images: Uint8Array | Float32Array, s: number, n: number): Float32Array => (raw ? Float32Array.from(pixelsOf(images, s, n), (v) => Math.round(v * 255)) : pixelsOf(images, s, n));

/** QAT model with ranges observed on 100 training images. */
function qatSetup(g: ModelGraph, perChannel: boolean) {
  const { trainer, state } = createQatTrainer(g, 1e-3, 1, { perChannel, emaDecay: 0.999 });
  observeRanges(trainer, state, input(train.images, 0, 100), 100);
  return { trainer, state };
}

/** convnet(7) reading raw 0..255 pixels through Rescaling(1/255, −0.5) (whose output, half a step off any int8 grid, would change if fake-quantized): the export folds it into the first conv. */
function rescaled(): ModelGraph {
  const g = convnet(7);
  g.layers.splice(1, 0, { name: 'rescaling', className: 'Rescaling', config: { scale: 1 / 255, offset: -0.5 }, inbound: ['input_1'], weights: [] });
  g.layers[2].inbound = ['rescaling'];
  return g;
}

void describe('the QAT forward pass equals the int8 reference within one quantization step', () => {
  const cases: [string, () => ModelGraph, boolean][] = [
    ['convnet, per-channel', () => convnet(3), true],
    ['convnet, per-tensor', () => convnet(3), false],
    ['functional (Conv-BN-ReLU folded, depthwise, Add, GAP), per-channel', () => functional(2), true],
    ['Rescaling(1/255, −0.5) on raw pixels, folded into the first conv by the export, per-channel', rescaled, true],
  ];
  for (const [name, make, perChannel] of cases) {
    void test(name, async () => {
      const g = make();
      raw = g.layers.some((l) => l.className === 'Rescaling');
      const { trainer, state } = qatSetup(g, perChannel);
      const N = 40;
      const x = input(test_.images, 0, N);
      const probs = trainer.predict(x, N);
      const ranges = state.toRecord();
      const exp = graphTfliteBytes(g, 'full-int8', { calibration: { samples: input(train.images, 0, 100), count: 100 }, perChannel, ranges });
      assert.equal(exp.quantized?.foldedInput, raw ? 'rescaling' : undefined);
      // A folded transform's output is no int8 tensor in the file, so QAT does not quantize it either.
      assert.equal(state.plan.trained.includes('rescaling'), false);
      const q = exp.quantized as QuantizedLowered;
      assert.match(q.calibration, /quantization-aware training ranges for \d+ tensors/);
      const outP = q.params[exp.lowered.output];
      const tm = await TfliteModel.load(exp.data, name);
      let maxSteps = 0;
      let mismatches = 0;
      try {
        for (let n = 0; n < N; n++) {
          const xf = x.subarray(n * 784, (n + 1) * 784);
          const ref = forwardInt8Lowered(exp.lowered, q, quantizeInputValues(q, exp.lowered, xf));
          const run = tm.run(xf);
          for (let c = 0; c < 10; c++) {
            const deq = Math.fround(Math.fround(outP.scale) * (ref[c] - outP.zeroPoint));
            mismatches += run[c] === deq ? 0 : 1;
            maxSteps = Math.max(maxSteps, Math.abs(probs[n * 10 + c] - deq) / outP.scale);
          }
        }
      } finally {
        tm.dispose();
        trainer.dispose();
      }
      assert.equal(mismatches, 0, 'the exported QAT file differs from the int8 reference in tfjs-tflite');
      assert.ok(maxSteps <= 1 + 1e-6, `QAT forward vs int8 reference: ${maxSteps.toFixed(3)} output steps`);
    });
  }

  void test('Dense stack (the reference MLP path, quantizeFullInt8 + forwardInt8), per-channel and per-tensor', async () => {
    for (const perChannel of [true, false]) {
      const g = mlpToGraph(randomModel('mlp', [784, 32, 10], 4));
      const { trainer, state } = qatSetup(g, perChannel);
      const N = 40;
      const probs = trainer.predict(test_.images.subarray(0, N * 784), N);
      const rep = { images: train.images.subarray(0, 100 * 784), count: 100 };
      const { data, quantized } = tfliteBytes(g, 'full-int8', { representative: rep, perChannel, ranges: state.toRecord() });
      const qm = quantized as QuantizedMlp;
      // The trained ranges, not calibration's, are in the file: the input's range is the observed one.
      const r = state.ranges.get(INPUT_SITE)!;
      assert.deepEqual(qm.input, asymmetricParams(r.min, r.max));
      const ref = forwardInt8(qm, quantizeInput(qm, test_.images, 0, N), N);
      const tm = await TfliteModel.load(data, 'mlp');
      let maxSteps = 0;
      let mismatches = 0;
      try {
        for (let n = 0; n < N; n++) {
          const run = tm.run(pixelsOf(test_.images, n, 1));
          for (let c = 0; c < 10; c++) {
            const deq = Math.fround(Math.fround(qm.output.scale) * (ref[n * 10 + c] - qm.output.zeroPoint));
            mismatches += run[c] === deq ? 0 : 1;
            maxSteps = Math.max(maxSteps, Math.abs(probs[n * 10 + c] - deq) / qm.output.scale);
          }
        }
      } finally {
        tm.dispose();
        trainer.dispose();
      }
      assert.equal(mismatches, 0, `${perChannel}: the exported file differs from forwardInt8 in tfjs-tflite`);
      assert.ok(maxSteps <= 1 + 1e-6, `${perChannel}: QAT forward vs int8 reference: ${maxSteps.toFixed(3)} output steps`);
    }
  });
});

void describe('training', () => {
  void test('moving-average ranges follow ema − (ema − batch)·(1 − decay); pruned zeros stay zero after QAT steps', () => {
    const g = mlpToGraph(randomModel('mlp', [784, 24, 10], 6, 3));
    const zerosBefore = g.layers.map((l) => l.weights[0]?.data.filter((v) => v === 0).length ?? 0);
    assert.ok(zerosBefore[1] > 1000, 'the fixture kernel is sparse');
    const { trainer, state } = createQatTrainer(g, 5e-3, 1, { perChannel: true, emaDecay: 0.9 });
    trainer.setMasks(zeroMasks(g, state));
    observeRanges(trainer, state, train.images.subarray(0, 100 * 784), 100);
    const r0 = { ...state.ranges.get(INPUT_SITE)! };
    const batch = train.images.subarray(200 * 784, 232 * 784);
    let bmin = Infinity;
    let bmax = -Infinity;
    batch.forEach((v) => {
      bmin = Math.min(bmin, v / 255);
      bmax = Math.max(bmax, v / 255);
    });
    trainer.trainBatch(batch, train.labels.subarray(200, 232), 32);
    const r1 = state.ranges.get(INPUT_SITE)!;
    assert.ok(Math.abs(r1.min - (r0.min - (r0.min - Math.min(0, bmin)) * 0.1)) < 1e-9);
    assert.ok(Math.abs(r1.max - (r0.max - (r0.max - Math.max(0, bmax)) * 0.1)) < 1e-6);
    for (let s = 0; s < 5; s++) {
      trainer.trainBatch(train.images.subarray(s * 32 * 784, (s + 1) * 32 * 784), train.labels.subarray(s * 32, (s + 1) * 32), 32);
    }
    const after = trainer.getModel('qat');
    after.layers.forEach((l, i) => {
      if (zerosBefore[i] > 0) {
        const before = g.layers[i].weights[0].data;
        const now = l.weights[0].data;
        const kept = before.every((v, j) => v !== 0 || now[j] === 0);
        assert.ok(kept, `${l.name}: a pruned weight became non-zero`);
        assert.ok(now.some((v, j) => v !== before[j]), `${l.name}: the weights did not train`);
      }
    });
    trainer.dispose();
  });
});
