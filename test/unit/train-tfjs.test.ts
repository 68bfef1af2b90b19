/**
 * The TF.js trainer's hand-written gradients against TF.js autodiff (cpu backend, an
 * independent code path), one Adam step against Keras' formula, masks, and predict.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../src/engine/backend';
import { initMlp } from '../../src/engine/model/init';
import type { MlpModel } from '../../src/engine/model/mlp';
import { TfjsTrainer, LOSS_EPSILON, ADAM_EPSILON } from '../../src/engine/train/tfjsTrainer';
import { Rng } from '../../src/engine/util/random';
import type { Activation } from '../../src/protocol/config';

before(async () => {
  await initBackend('wasm');
});

function randomBatch(n: number, d: number, classes: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: n * d }, () => (rng.next() < 0.4 ? 0 : rng.int(256)));
  const labels = Uint8Array.from({ length: n }, () => rng.int(classes));
  return { images, labels };
}

/** Reference: Keras' loss written with TF.js ops, differentiated by TF.js autodiff on the cpu backend. */
async function autodiffGradients(model: MlpModel, images: Uint8Array, labels: Uint8Array, n: number): Promise<{ loss: number; grads: Float32Array[] }> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    const vars = model.layers.flatMap((l) => [tf.variable(tf.tensor2d(l.kernel, [l.inputDim, l.units])), tf.variable(tf.tensor1d(l.bias))]);
    const x = tf.div(tf.tensor2d(Float32Array.from(images), [n, model.inputDim]), 255);
    const y = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), model.layers[model.layers.length - 1].units);
    const act = (a: Activation, h: tf.Tensor): tf.Tensor => (a === 'relu' ? tf.relu(h) : a === 'softmax' ? tf.softmax(h) : h);
    const lossFn = (): tf.Scalar => {
      let a: tf.Tensor = x;
      model.layers.forEach((l, i) => {
        a = act(l.activation, tf.add(tf.matMul(a as tf.Tensor2D, vars[2 * i] as tf.Tensor2D), vars[2 * i + 1]));
      });
      const p = tf.clipByValue(a, LOSS_EPSILON, 1 - LOSS_EPSILON);
      return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(p)), 1)));
    };
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    const loss = value.dataSync()[0];
    tf.dispose([...vars, x, y, value, ...Object.values(grads)]);
    return { loss, grads: out };
  } finally {
    await tf.setBackend(prev);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

for (const [label, hidden, hiddenAct] of [
  ['one relu hidden layer (the reference shape, small)', [16], 'relu'],
  ['two hidden layers, relu then linear', [12, 9], 'relu'],
  ['softmax hidden layer', [7], 'softmax'],
] as const) {
  void test(`gradients match TF.js autodiff: ${label}`, async () => {
    const d = 40;
    const classes = 6;
    const n = 23; // not a multiple of anything: exercises odd shapes
    const model = initMlp({ hidden: [...hidden], hiddenActivation: hiddenAct, outputActivation: 'softmax' }, d, classes, 7, 'm');
    if (hidden.length === 2) {
      model.layers[1].activation = 'linear';
    }
    // Non-zero biases so the bias paths are exercised.
    const rng = new Rng(3);
    model.layers.forEach((l) => l.bias.forEach((_, i) => (l.bias[i] = rng.uniform(-0.3, 0.3))));
    const { images, labels } = randomBatch(n, d, classes, 11);
    const trainer = new TfjsTrainer(model, 1e-3);
    const ours = trainer.gradients(images, labels, n);
    const ref = await autodiffGradients(model, images, labels, n);
    assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5, `loss ${ours.loss} vs ${ref.loss}`);
    model.layers.forEach((_l, i) => {
      const dk = maxAbsDiff(ours.grads[i].k, ref.grads[2 * i]);
      const db = maxAbsDiff(ours.grads[i].b, ref.grads[2 * i + 1]);
      assert.ok(dk < 1e-5, `layer ${i} kernel grad max diff ${dk}`);
      assert.ok(db < 1e-5, `layer ${i} bias grad max diff ${db}`);
    });
    // The gradients are not trivially zero.
    assert.ok(ours.grads[0].k.some((g) => Math.abs(g) > 1e-4));
    trainer.dispose();
  });
}

void test('gradients match autodiff on the full 784-128-10 reference model', async () => {
  const model = initMlp({ hidden: [128], hiddenActivation: 'relu', outputActivation: 'softmax' }, 784, 10, 42, 'm');
  const n = 64;
  const { images, labels } = randomBatch(n, 784, 10, 5);
  const trainer = new TfjsTrainer(model, 1e-3);
  const ours = trainer.gradients(images, labels, n);
  const ref = await autodiffGradients(model, images, labels, n);
  assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5);
  for (let i = 0; i < 2; i++) {
    assert.ok(maxAbsDiff(ours.grads[i].k, ref.grads[2 * i]) < 1e-5);
    assert.ok(maxAbsDiff(ours.grads[i].b, ref.grads[2 * i + 1]) < 1e-5);
  }
  trainer.dispose();
});

void test('one Adam step follows the Keras formula; masks zero weights and stay applied', () => {
  const model = initMlp({ hidden: [5], hiddenActivation: 'relu', outputActivation: 'softmax' }, 8, 3, 1, 'm');
  const { images, labels } = randomBatch(10, 8, 3, 2);
  const lr = 0.01;
  const trainer = new TfjsTrainer(model, lr);
  const g = trainer.gradients(images, labels, 10).grads;
  trainer.trainBatch(images, labels, 10);
  const after = trainer.getModel('m');
  // Step 1: m = 0.1 g, v = 0.001 g², α = lr·√0.001/0.1 → Δw = −α·m/(√v + ε).
  const alpha = (lr * Math.sqrt(1 - 0.999)) / (1 - 0.9);
  model.layers.forEach((l, i) => {
    l.kernel.forEach((w, j) => {
      const gj = g[i].k[j];
      const expected = w - (alpha * 0.1 * gj) / (Math.sqrt(0.001 * gj * gj) + ADAM_EPSILON);
      assert.ok(Math.abs(after.layers[i].kernel[j] - expected) < 1e-6, `layer ${i} w[${j}]`);
    });
  });
  // Masks: half of layer 1's kernel pruned.
  const mask = Float32Array.from({ length: 15 }, (_, i) => (i % 2 === 0 ? 1 : 0));
  trainer.setMasks([null, mask]);
  assert.ok(trainer.getModel('m').layers[1].kernel.every((w, i) => (i % 2 === 1 ? w === 0 : w !== 0)));
  for (let s = 0; s < 3; s++) {
    trainer.trainBatch(images, labels, 10);
  }
  const k1 = trainer.getModel('m').layers[1].kernel;
  assert.ok(k1.every((w, i) => (i % 2 === 1 ? w === 0 : true)));
  assert.ok(trainer.getModel('m').layers[0].kernel.every((w) => w !== 0));
  trainer.dispose();
});

void test('predict returns softmax rows equal to a TF.js forward pass, in chunks', () => {
  const model = initMlp({ hidden: [32], hiddenActivation: 'relu', outputActivation: 'softmax' }, 20, 4, 9, 'm');
  const n = 5000; // > PREDICT_CHUNK: two chunks
  const { images, labels } = randomBatch(n, 20, 4, 4);
  const trainer = new TfjsTrainer(model, 1e-3);
  const p = trainer.predict(images, n);
  const ref = tf.tidy(() => {
    const x = tf.div(tf.tensor2d(Float32Array.from(images), [n, 20]), 255);
    const h = tf.relu(tf.add(tf.matMul(x, tf.tensor2d(model.layers[0].kernel, [20, 32])), tf.tensor1d(model.layers[0].bias)));
    return tf.softmax(tf.add(tf.matMul(h, tf.tensor2d(model.layers[1].kernel, [32, 4])), tf.tensor1d(model.layers[1].bias)));
  });
  assert.ok(maxAbsDiff(p, ref.dataSync() as Float32Array) < 1e-6);
  ref.dispose();
  const ev = trainer.evaluate(images, labels, n);
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const row = Array.from(p.subarray(r * 4, r * 4 + 4));
    correct += row.indexOf(Math.max(...row)) === labels[r] ? 1 : 0;
    loss -= Math.log(row[labels[r]]);
  }
  assert.equal(ev.accuracy, correct / n);
  assert.ok(Math.abs(ev.loss - loss / n) < 1e-5);
  trainer.dispose();
});
