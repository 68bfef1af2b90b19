/**
 * Frozen layers (Keras `trainable = False`) in the graph trainer, on the cpu backend, against
 * independent references:
 * - frozen weights and a frozen BatchNormalization's moving statistics are bit-equal after a fit
 *   while the trainable head changes;
 * - a frozen BatchNormalization's training-mode output is its inference output (Keras ≥ 2.0);
 * - gradients of the trainable rest equal stock tfjs-layers autodiff with those layers
 *   `trainable = false` (frozen BN called in inference mode, as Keras does);
 * - Dropout inside a frozen part still drops in training (trainable does not touch it);
 * - pruning's "all" / "last" leave frozen layers dense; a named frozen layer is pruned.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../src/engine/backend';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { applyFreeze } from '../../src/engine/graph/freeze';
import { forwardGraph, weightTensors } from '../../src/engine/graph/forward';
import type { ModelGraph } from '../../src/engine/graph/types';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { BadInputError } from '../../src/engine/errors';
import { selectPruneTargets } from '../../src/engine/prune/targets';
import { structuredTargets } from '../../src/engine/prune/structured';
import { Rng } from '../../src/engine/util/random';
import { graphOf, maxAbsDiff, toTfjsLayers } from './layers-helpers';

before(async () => {
  await initBackend('cpu');
});

const INPUT = [6, 6, 2];
const FROZEN = ['conv2d', 'bn', 'dw'];

function tinyCnn(seed = 3): ModelGraph {
  return graphOf(
    INPUT,
    [
      { name: 'conv2d', className: 'Conv2D', config: { filters: 3, kernel_size: 3, padding: 'same', activation: 'relu' }, inbound: ['x'] },
      { name: 'bn', className: 'BatchNormalization', config: {}, inbound: ['conv2d'] },
      { name: 'dw', className: 'DepthwiseConv2D', config: { kernel_size: 3, activation: 'linear' }, inbound: ['bn'] },
      { name: 'sep', className: 'SeparableConv2D', config: { filters: 4, kernel_size: 2, activation: 'relu' }, inbound: ['dw'] },
      { name: 'bn2', className: 'BatchNormalization', config: {}, inbound: ['sep'] },
      { name: 'pool', className: 'MaxPooling2D', config: { pool_size: 2 }, inbound: ['bn2'] },
      { name: 'flatten', className: 'Flatten', config: {}, inbound: ['pool'] },
      { name: 'dense', className: 'Dense', config: { units: 4, activation: 'softmax' }, inbound: ['flatten'] },
    ],
    seed,
  );
}

function batch(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * 72 }, () => rng.uniform(0, 1)), y: Int32Array.from({ length: n }, () => rng.int(4)) };
}

void test('a fit leaves frozen weights and a frozen BN\'s moving statistics bit-equal; the head and an unfrozen BN change', () => {
  const g = applyFreeze(tinyCnn(), FROZEN);
  const trainer = new GraphTrainer(g, 1e-2, 5);
  const before = trainer.getModel('m');
  for (let s = 0; s < 4; s++) {
    const { x, y } = batch(6, 10 + s);
    trainer.trainBatch(x, y, 6);
  }
  const after = trainer.getModel('m');
  trainer.dispose();
  let frozenChecked = 0;
  let changed = 0;
  after.layers.forEach((l, i) => {
    l.weights.forEach((w, j) => {
      const old = before.layers[i].weights[j].data;
      if (FROZEN.includes(l.name)) {
        assert.deepEqual(w.data, old, `${l.name}/${w.name} is frozen: bit-equal after the fit`);
        frozenChecked++;
      } else if (maxAbsDiff(w.data, old) > 0) {
        changed++;
      }
    });
  });
  assert.equal(frozenChecked, 2 + 4 + 2); // conv2d k,b; bn gamma,beta,mean,var; dw k,b
  // sep dk, pk, b; bn2 gamma, beta, moving_mean, moving_variance; dense k, b: all move.
  assert.equal(changed, 3 + 4 + 2);
  // The frozen layers keep their flag in the model the trainer gives back (writers keep it).
  assert.deepEqual(after.layers.filter((l) => l.trainable === false).map((l) => l.name), FROZEN);
});

void test("a frozen BatchNormalization's training-mode output equals its inference output; an unfrozen one's does not", () => {
  const base = tinyCnn();
  const x = tf.tensor(batch(5, 2).x, [5, ...INPUT]);
  const run = (g: ModelGraph, training: boolean): Float32Array => {
    const a = analyzeGraph(g);
    const ws = new Map(a.layers.map((l) => [l.node.name, weightTensors(l.node)]));
    const out = tf.tidy(() => forwardGraph(a, (n) => ws.get(n.name) as tf.Tensor[], x, { training, seed: 1 }).dataSync() as Float32Array);
    ws.forEach((t) => tf.dispose(t));
    return out;
  };
  const frozen = applyFreeze(base, ['bn', 'bn2']);
  assert.deepEqual(run(frozen, true), run(frozen, false), 'frozen BNs normalise with their moving statistics in training');
  assert.ok(maxAbsDiff(run(base, true), run(base, false)) > 1e-3, 'trainable BNs use batch statistics in training');
  x.dispose();
});

void test('gradients of the trainable rest = stock tfjs-layers autodiff with the frozen layers trainable = false (frozen BN in inference mode)', async () => {
  const g = applyFreeze(tinyCnn(7), FROZEN);
  const { x, y } = batch(5, 3);
  const trainer = new GraphTrainer(g, 1e-3);
  const ours = trainer.lossAndGradients(x, y, 5);
  trainer.dispose();
  assert.deepEqual([...ours.grads.keys()].sort(), ['bn2/beta', 'bn2/gamma', 'dense/bias', 'dense/kernel', 'sep/bias', 'sep/depthwise_kernel', 'sep/pointwise_kernel']);
  assert.deepEqual([...ours.updates.keys()].sort(), ['bn2/moving_mean', 'bn2/moving_variance'], 'only the trainable BN moves its statistics');

  const model = await toTfjsLayers(tinyCnn(7));
  for (const n of FROZEN) {
    model.getLayer(n).trainable = false;
  }
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  assert.equal(vars.length, 7, 'stock tfjs-layers: frozen layers have no trainable weights');
  const { value, grads } = tf.variableGrads(() => {
    // Layer by layer (a Sequential chain), each BN in the mode Keras gives it: inference when frozen.
    let h: tf.Tensor = tf.tensor(x, [5, ...INPUT]);
    for (const layer of model.layers.slice(1)) {
      const training = !(layer.getClassName() === 'BatchNormalization' && !layer.trainable);
      h = layer.apply(h, { training }) as tf.Tensor;
    }
    const p = tf.clipByValue(h, 1e-7, 1 - 1e-7);
    return tf.mean(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(y, 'int32'), 4), tf.log(p)), -1)));
  }, vars);
  assert.ok(Math.abs(value.dataSync()[0] - ours.loss) < 1e-5, `loss ${ours.loss} vs ${value.dataSync()[0]}`);
  for (const w of model.trainableWeights) {
    const key = w.originalName.replace(/_\d+$/, '');
    const mine = ours.grads.get(key);
    assert.ok(mine, `no gradient for ${key}`);
    const ref = grads[(w.read() as tf.Variable).name].dataSync() as Float32Array;
    const scale = Math.max(...Array.from(ref, Math.abs));
    assert.ok(scale > 1e-6, `${key}: the reference gradient is not trivially zero`);
    assert.ok(maxAbsDiff(mine, ref) / scale < 1e-4, `${key}: relative error ${maxAbsDiff(mine, ref) / scale}`);
  }
  model.dispose();
});

void test('Dropout inside a frozen part still drops in training (trainable does not change Dropout)', () => {
  const g = applyFreeze(
    graphOf([8], [
      { name: 'drop', className: 'Dropout', config: { rate: 0.5 }, inbound: ['x'] },
      { name: 'dense', className: 'Dense', config: { units: 3, activation: 'softmax' }, inbound: ['drop'] },
    ]),
    ['drop'],
  );
  const a = analyzeGraph(g);
  const x = tf.ones([4, 8]);
  // Through the graph's forward pass the frozen Dropout is still in training mode: some zeros, the rest 2.
  const out = tf.tidy(() => {
    const ws = a.layers.map((l) => weightTensors(l.node));
    const byName = new Map(a.layers.map((l, i) => [l.node.name, ws[i]]));
    const cut = { ...a, graph: { ...a.graph, outputs: ['drop'] } };
    return forwardGraph(cut, (n) => byName.get(n.name) as tf.Tensor[], x, { training: true, seed: 2 }).dataSync() as Float32Array;
  });
  assert.ok(out.some((v) => v === 0) && out.some((v) => v === 2), `dropout active: ${Array.from(out).join(',')}`);
  x.dispose();
});

void test('pruning: "all" and "last" leave frozen layers dense (magnitude and structured); a named frozen layer is pruned; all frozen → bad input', () => {
  const g = applyFreeze(tinyCnn(), ['conv2d', 'bn', 'dw']);
  assert.deepEqual(selectPruneTargets(g, 'all').map((t) => t.key), ['sep/depthwise_kernel', 'sep/pointwise_kernel', 'dense/kernel']);
  assert.deepEqual(selectPruneTargets(g, 'last').map((t) => t.key), ['dense/kernel']);
  assert.deepEqual(selectPruneTargets(g, ['conv2d']).map((t) => t.key), ['conv2d/kernel']);
  const s = structuredTargets(g, 'all');
  assert.ok(!s.eligible.includes('conv2d'));
  assert.match(s.skipped.find((x) => x.layer === 'conv2d')?.reason ?? '', /frozen/);
  assert.deepEqual(structuredTargets(g, ['conv2d']).eligible, ['conv2d']);
  const all = applyFreeze(tinyCnn(), ['conv2d', 'bn', 'dw', 'sep', 'bn2', 'dense']);
  assert.throws(() => selectPruneTargets(all, 'all'), (e: unknown) => e instanceof BadInputError && /every prunable layer is frozen/.test(e.message));
});
