/**
 * The SIMD kernel against independent references: TF.js cpu-backend autodiff for forward,
 * loss and gradients; tf.train.adam and a float64 Keras-Adam formula for optimizer steps.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createKernelTrainer, kernelSupports, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON } from '../../src/engine/kernel/kernelTrainer';
import type { MlpModel } from '../../src/engine/model/mlp';
import {
  ensureKernelBuilt, randomImages, randomLabels, randomModel, relErr, tfGradients, tfPredict, useCpuBackend,
} from './kernel-helpers';

const TOL = 1e-5;

before(async () => {
  ensureKernelBuilt();
  await useCpuBackend();
});

// Shapes: the reference 784-128-10, and odd widths that exercise column padding and two hidden layers.
const cases: { label: string; input: number; hidden: number[]; classes: number; count: number }[] = [
  { label: '784-128-10', input: 784, hidden: [128], classes: 10, count: 64 },
  { label: '50-13-6-7 (padding, 2 hidden)', input: 50, hidden: [13, 6], classes: 7, count: 37 },
  { label: '20-3 (softmax regression)', input: 20, hidden: [], classes: 3, count: 9 },
];

void describe('kernel forward and gradients vs TF.js autodiff', () => {
  for (const c of cases) {
    void it(`${c.label}: probabilities, loss and every gradient within ${TOL} relative`, async () => {
      const model = randomModel(c.input, c.hidden, c.classes, 7);
      const images = randomImages(c.count, c.input, 11);
      const labels = randomLabels(c.count, c.classes, 13);
      assert.ok(kernelSupports(model));
      const k = await createKernelTrainer(model, 1e-3, 0);

      const probs = k.predict(images, c.count);
      const refProbs = tfPredict(model, images, c.count);
      assert.ok(relErr(probs, refProbs) < TOL, `probabilities rel err ${relErr(probs, refProbs)}`);

      const g = k.gradients(images, labels, c.count);
      const ref = tfGradients(model, images, labels, c.count);
      assert.ok(Math.abs(g.loss - ref.loss) / ref.loss < TOL, `loss ${g.loss} vs ${ref.loss}`);
      model.layers.forEach((l, i) => {
        const ek = relErr(g.kernels[i], ref.kernels[i]);
        const eb = relErr(g.biases[i], ref.biases[i]);
        assert.ok(ek < TOL, `${l.name} kernel gradient rel err ${ek}`);
        assert.ok(eb < TOL, `${l.name} bias gradient rel err ${eb}`);
      });
      // The gradient block is left clean: a second call gives the same gradients.
      const g2 = k.gradients(images, labels, c.count);
      assert.deepEqual(g2.kernels[0], g.kernels[0]);

      const ev = k.evaluate(images, labels, c.count);
      assert.ok(Math.abs(ev.loss - ref.loss) / ref.loss < TOL, `evaluate loss ${ev.loss} vs ${ref.loss}`);
      let correct = 0;
      for (let b = 0; b < c.count; b++) {
        const row = Array.from(refProbs.subarray(b * c.classes, (b + 1) * c.classes));
        correct += row.indexOf(Math.max(...row)) === labels[b] ? 1 : 0;
      }
      assert.equal(ev.accuracy, correct / c.count);
    });
  }

  void it('saturated softmax: clipped samples pass no gradient, like the Keras/tfjs loss', async () => {
    const model = randomModel(30, [16], 4, 21);
    // Huge output weights make most probabilities exactly 0 or 1 in float32.
    model.layers[1].kernel = model.layers[1].kernel.map((w) => w * 60);
    const images = randomImages(24, 30, 22, 0.3);
    const labels = randomLabels(24, 4, 23);
    const k = await createKernelTrainer(model, 1e-3, 0);
    const probs = k.predict(images, 24);
    let clipped = 0;
    for (let b = 0; b < 24; b++) {
      const p = probs[b * 4 + labels[b]];
      clipped += p < 1e-7 || p > 1 - 1e-7 ? 1 : 0;
    }
    assert.ok(clipped >= 6, `test needs clipped samples, got ${clipped}`);
    const g = k.gradients(images, labels, 24);
    const ref = tfGradients(model, images, labels, 24);
    assert.ok(Math.abs(g.loss - ref.loss) / ref.loss < TOL, `loss ${g.loss} vs ${ref.loss}`);
    for (let i = 0; i < 2; i++) {
      assert.ok(relErr(g.kernels[i], ref.kernels[i]) < TOL, `kernel ${i}: ${relErr(g.kernels[i], ref.kernels[i])}`);
      assert.ok(relErr(g.biases[i], ref.biases[i]) < TOL, `bias ${i}: ${relErr(g.biases[i], ref.biases[i])}`);
    }
  });

  void it('kernelSupports: only Dense relu… → softmax with consistent shapes', () => {
    const ok = randomModel(10, [5], 3, 1);
    assert.equal(kernelSupports(ok), true);
    assert.equal(kernelSupports({ ...ok, layers: ok.layers.map((l, i) => (i === 0 ? { ...l, activation: 'linear' as const } : l)) }), false);
    assert.equal(kernelSupports({ ...ok, layers: ok.layers.map((l, i) => (i === 1 ? { ...l, activation: 'relu' as const } : l)) }), false);
    assert.equal(kernelSupports({ ...ok, inputDim: 11 }), false);
    assert.equal(kernelSupports({ ...ok, layers: [] }), false);
  });
});

/** Keras Adam in float64: m, v moments; w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε). */
function kerasAdamStep(w: Float64Array, m: Float64Array, v: Float64Array, g: Float32Array, lr: number, t: number): void {
  const lrT = (lr * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
  for (let i = 0; i < w.length; i++) {
    m[i] = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * g[i];
    v[i] = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * g[i] * g[i];
    w[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + ADAM_EPSILON);
  }
}

function asModel(template: MlpModel, ws: Float64Array[], bs: Float64Array[]): MlpModel {
  return {
    ...template,
    layers: template.layers.map((l, i) => ({ ...l, kernel: Float32Array.from(ws[i]), bias: Float32Array.from(bs[i]) })),
  };
}

void describe('kernel Adam steps', () => {
  void it('one step equals tf.train.adam (Keras ε mapped to tfjs ε/√(1−β2)) within 1e-5 of the update', async () => {
    const lr = 1e-3;
    const model = randomModel(64, [32], 10, 31);
    const images = randomImages(48, 64, 32);
    const labels = randomLabels(48, 10, 33);
    const k = await createKernelTrainer(model, lr, 0);
    const res = k.trainBatch(images, labels, 48);
    const after = k.getModel('after');

    const ref = tfGradients(model, images, labels, 48);
    assert.ok(Math.abs(res.loss - ref.loss) / ref.loss < TOL);
    // Keras puts ε outside the bias correction of v; tfjs inside: at step 1 they agree when
    // ε_tfjs = ε_keras / √(1 − β2).
    const opt = tf.train.adam(lr, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON / Math.sqrt(1 - ADAM_BETA2));
    const vars = model.layers.flatMap((l, i) => [
      tf.variable(tf.tensor2d(l.kernel, [l.inputDim, l.units]), true, `w${i}`),
      tf.variable(tf.tensor1d(l.bias), true, `b${i}`),
    ]);
    opt.applyGradients(
      model.layers.flatMap((_l, i) => [
        { name: `w${i}`, tensor: tf.tensor(ref.kernels[i], vars[2 * i].shape) },
        { name: `b${i}`, tensor: tf.tensor(ref.biases[i], vars[2 * i + 1].shape) },
      ]),
    );
    model.layers.forEach((l, i) => {
      const refW = vars[2 * i].dataSync() as Float32Array;
      const refB = vars[2 * i + 1].dataSync() as Float32Array;
      // Compare the UPDATES (w_after − w_before): each is ±lr-sized at step 1.
      const du = after.layers[i].kernel.map((w, j) => w - l.kernel[j]);
      const dref = refW.map((w, j) => w - l.kernel[j]);
      assert.ok(relErr(du, dref) < 1e-3, `${l.name} kernel update rel err ${relErr(du, dref)}`);
      assert.ok(relErr(after.layers[i].kernel, refW) < TOL, `${l.name} kernel`);
      assert.ok(relErr(after.layers[i].bias, refB) < TOL, `${l.name} bias`);
    });
    vars.forEach((v) => v.dispose());
    opt.dispose();
  });

  void it('five steps follow float64 Keras Adam on autodiff gradients; resetOptimizer restarts at step 1', async () => {
    const lr = 2e-3;
    const model = randomModel(40, [24, 12], 5, 41);
    const k = await createKernelTrainer(model, lr, 0);
    const ws = model.layers.map((l) => Float64Array.from(l.kernel));
    const bs = model.layers.map((l) => Float64Array.from(l.bias));
    const mw = ws.map((w) => new Float64Array(w.length));
    const vw = ws.map((w) => new Float64Array(w.length));
    const mb = bs.map((b) => new Float64Array(b.length));
    const vb = bs.map((b) => new Float64Array(b.length));
    for (let t = 1; t <= 5; t++) {
      const images = randomImages(32, 40, 100 + t);
      const labels = randomLabels(32, 5, 200 + t);
      const ref = tfGradients(asModel(model, ws, bs), images, labels, 32);
      k.trainBatch(images, labels, 32);
      ws.forEach((w, i) => kerasAdamStep(w, mw[i], vw[i], ref.kernels[i], lr, t));
      bs.forEach((b, i) => kerasAdamStep(b, mb[i], vb[i], ref.biases[i], lr, t));
    }
    const got = k.getModel('m');
    got.layers.forEach((l, i) => {
      const e = relErr(l.kernel, Float32Array.from(ws[i]));
      assert.ok(e < 1e-4, `${l.name} kernel after 5 steps rel err ${e}`);
      assert.ok(relErr(l.bias, Float32Array.from(bs[i])) < 1e-4, `${l.name} bias`);
    });

    // After resetOptimizer the next step is a first Adam step again:
    // Δw = −lr·√(1−β2)/(1−β1) · (1−β1)g / (√(1−β2)|g| + ε) = −lr · g / (|g| + ε/√(1−β2)).
    k.resetOptimizer(lr);
    const before = k.getModel('b');
    const images = randomImages(32, 40, 999);
    const labels = randomLabels(32, 5, 998);
    const ref = tfGradients(before, images, labels, 32);
    k.trainBatch(images, labels, 32);
    const afterReset = k.getModel('a');
    const b0 = afterReset.layers[2].bias;
    for (let j = 0; j < b0.length; j++) {
      const g = ref.biases[2][j];
      const expected = (-lr * g) / (Math.abs(g) + ADAM_EPSILON / Math.sqrt(1 - ADAM_BETA2));
      assert.ok(Math.abs(b0[j] - before.layers[2].bias[j] - expected) < 1e-6, `bias ${j} step ${b0[j] - before.layers[2].bias[j]} vs ${expected}`);
    }
  });
});
