/**
 * The graph trainer against independent references, on the cpu backend (wasm has no conv
 * gradient kernels until cnn-kernels registers them): its gradients on a tiny CNN with
 * BatchNormalization equal TF.js autodiff through stock tfjs-layers (training mode); one
 * step equals Keras' Adam by its formula; masks keep pruned weights at 0; BN's moving
 * statistics move; a few steps fit a tiny batch.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../src/engine/backend';
import { GraphTrainer, weightKey } from '../../src/engine/train/graphTrainer';
import { ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON } from '../../src/engine/train/tfjsTrainer';
import { Rng } from '../../src/engine/util/random';
import { graphOf, maxAbsDiff, toTfjsLayers } from './layers-helpers';

before(async () => {
  await initBackend('cpu');
});

const INPUT = [6, 6, 2];

function tinyCnn(seed = 3) {
  const g = graphOf(
    INPUT,
    [
      { name: 'conv2d', className: 'Conv2D', config: { filters: 3, kernel_size: 3, padding: 'same', activation: 'relu' }, inbound: ['x'] },
      { name: 'bn', className: 'BatchNormalization', config: {}, inbound: ['conv2d'] },
      { name: 'dw', className: 'DepthwiseConv2D', config: { kernel_size: 3, activation: 'relu6' }, inbound: ['bn'] },
      { name: 'sep', className: 'SeparableConv2D', config: { filters: 4, kernel_size: 2, activation: 'relu' }, inbound: ['dw'] },
      { name: 'pool', className: 'MaxPooling2D', config: { pool_size: 2 }, inbound: ['sep'] },
      { name: 'flatten', className: 'Flatten', config: {}, inbound: ['pool'] },
      { name: 'dense', className: 'Dense', config: { units: 4, activation: 'softmax' }, inbound: ['flatten'] },
    ],
    seed,
  );
  return g;
}

function batch(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * 72 }, () => rng.uniform(0, 1)), y: Int32Array.from({ length: n }, () => rng.int(4)) };
}

function relErr(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(...Array.from(b, Math.abs));
  return maxAbsDiff(a, b) / (scale || 1);
}

void test('gradients of a tiny CNN (Conv2D, BN, DepthwiseConv2D, SeparableConv2D, pooling, Dense) = tfjs-layers autodiff', async () => {
  const g = tinyCnn();
  const { x, y } = batch(5, 1);
  const trainer = new GraphTrainer(g, 1e-3);
  const ours = trainer.lossAndGradients(x, y, 5);
  trainer.dispose();

  const model = await toTfjsLayers(g);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(tf.tensor(x, [5, ...INPUT]), { training: true }) as tf.Tensor;
    const p = tf.clipByValue(tf.div(out, tf.sum(out, -1, true)), 1e-7, 1 - 1e-7);
    return tf.mean(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), 4), tf.log(p)), -1)));
  }, vars);
  assert.ok(Math.abs(value.dataSync()[0] - ours.loss) < 1e-5, `loss ${ours.loss} vs ${value.dataSync()[0]}`);
  let checked = 0;
  for (const w of model.trainableWeights) {
    // tfjs-layers names weights '<layer>/<weight>' (with a uniquifying suffix on repeats).
    const key = w.originalName.replace(/_\d+$/, '');
    const mine = ours.grads.get(key);
    assert.ok(mine, `no gradient for ${key}`);
    const ref = grads[(w.read() as tf.Variable).name].dataSync() as Float32Array;
    const e = relErr(mine, ref);
    assert.ok(e < 1e-4, `${key}: relative error ${e}`);
    checked++;
  }
  assert.equal(checked, 11); // conv2d k,b; bn gamma,beta; dw k,b; sep dk,pk,b; dense k,b
  model.dispose();
});

void test("one step is Keras' Adam by its formula; masked weights stay 0; BN moving statistics move", () => {
  const g = tinyCnn(5);
  const { x, y } = batch(4, 2);
  const lr = 0.01;
  const trainer = new GraphTrainer(g, lr);
  const mask = Float32Array.from({ length: 54 }, (_v, i) => (i % 3 === 0 ? 0 : 1));
  trainer.setMasks(new Map([[weightKey('conv2d', 'kernel'), mask]]));
  const before = trainer.getModel('m');
  // Reference gradients at the masked weights (Dropout absent, so the step is deterministic).
  const ref = trainer.lossAndGradients(x, y, 4);
  trainer.trainBatch(x, y, 4);
  const after = trainer.getModel('m');
  trainer.dispose();
  const alpha = (lr * Math.sqrt(1 - ADAM_BETA2)) / (1 - ADAM_BETA1);
  const w0 = before.layers.find((l) => l.name === 'dense')!.weights[0].data;
  const w1 = after.layers.find((l) => l.name === 'dense')!.weights[0].data;
  const gk = ref.grads.get('dense/kernel')!;
  for (let i = 0; i < w0.length; i++) {
    const m = (1 - ADAM_BETA1) * gk[i];
    const v = (1 - ADAM_BETA2) * gk[i] * gk[i];
    const want = w0[i] - (alpha * m) / (Math.sqrt(v) + ADAM_EPSILON);
    assert.ok(Math.abs(w1[i] - want) < 1e-6, `dense kernel[${i}]: ${w1[i]} vs ${want}`);
  }
  const k = after.layers.find((l) => l.name === 'conv2d')!.weights[0].data;
  assert.equal(k.filter((v, i) => mask[i] === 0 && v !== 0).length, 0);
  assert.ok(k.filter((v, i) => mask[i] === 1 && v !== 0).length > 30);
  const bn0 = before.layers.find((l) => l.name === 'bn')!.weights;
  const bn1 = after.layers.find((l) => l.name === 'bn')!.weights;
  assert.deepEqual(Array.from(bn1[2].data), Array.from(ref.updates.get('bn/moving_mean')!));
  assert.ok(maxAbsDiff(bn0[2].data, bn1[2].data) > 0);
});

void test('a few steps fit a tiny batch (loss falls), predict gives probabilities', () => {
  const g = tinyCnn(7);
  const { x, y } = batch(8, 3);
  const trainer = new GraphTrainer(g, 0.01);
  const first = trainer.trainBatch(x, y, 8).loss;
  let last = first;
  for (let i = 0; i < 40; i++) {
    last = trainer.trainBatch(x, y, 8).loss;
  }
  assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  const p = trainer.predict(x, 8);
  for (let r = 0; r < 8; r++) {
    const s = p.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  trainer.dispose();
});
