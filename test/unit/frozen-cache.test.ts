/**
 * The frozen-prefix feature cache (src/engine/train/featureCache.ts), on the cpu backend:
 * - its plan: where the cached base ends (a weightless pooling after the frozen layers counts
 *   as base), and why there is none (a trainable first layer, an active Dropout in the base,
 *   two tensors into the head, everything frozen);
 * - head training from cached features gives the same weights (1e-5) as training the whole
 *   model on the same batches, Dropout in the head included (same seeds), and the same
 *   validation predictions;
 * - fit() takes the cached path, says so in the log, and ends where an uncached fit ends;
 * - a change to a base weight (writeWeight) drops the cache, and fit falls back.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import { sampleSet, splitData, type SplitData } from '../../src/engine/data/dataset';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { applyFreeze } from '../../src/engine/graph/freeze';
import type { ModelGraph } from '../../src/engine/graph/types';
import { fit } from '../../src/engine/train/fit';
import { planFeatureCache } from '../../src/engine/train/featureCache';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { Rng } from '../../src/engine/util/random';
import { graphOf, maxAbsDiff } from './layers-helpers';
import { fakeContext } from './train-helpers';

before(async () => {
  await initBackend('cpu');
});

const INPUT = [6, 6, 2];
const BASE = ['conv2d', 'bn', 'dw'];

/** conv → BN → depthwise (the base) → GAP → Dense → Dropout → Dense softmax (the head). */
function model(seed = 4, extra: { name: string; className: string; config: Record<string, unknown>; inbound: string[] }[] = []): ModelGraph {
  return graphOf(
    INPUT,
    [
      { name: 'conv2d', className: 'Conv2D', config: { filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' }, inbound: ['x'] },
      { name: 'bn', className: 'BatchNormalization', config: {}, inbound: ['conv2d'] },
      { name: 'dw', className: 'DepthwiseConv2D', config: { kernel_size: 3, activation: 'linear' }, inbound: ['bn'] },
      ...extra,
      { name: 'gap', className: 'GlobalAveragePooling2D', config: {}, inbound: [extra.length ? extra[extra.length - 1].name : 'dw'] },
      { name: 'dense', className: 'Dense', config: { units: 6, activation: 'relu' }, inbound: ['gap'] },
      { name: 'drop', className: 'Dropout', config: { rate: 0.3 }, inbound: ['dense'] },
      { name: 'out', className: 'Dense', config: { units: 3, activation: 'softmax' }, inbound: ['drop'] },
    ],
    seed,
  );
}

function samples(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * 72 }, () => rng.uniform(0, 1)), y: Int32Array.from({ length: n }, () => rng.int(3)) };
}

void test('the plan: the base ends after the weightless pooling; no plan, with the reason, where caching would change the result', () => {
  const plan = planFeatureCache(analyzeGraph(applyFreeze(model(), BASE)));
  assert.ok('plan' in plan);
  assert.equal(plan.plan.boundary, 'gap');
  assert.deepEqual(plan.plan.featureShape, [4]);
  assert.deepEqual(plan.plan.head.layers.map((l) => l.node.name), ['gap', 'dense', 'drop', 'out']);
  assert.deepEqual(plan.plan.prefix.layers.map((l) => l.node.name), ['x', 'conv2d', 'bn', 'dw', 'gap']);

  const reason = (g: ModelGraph): string | null => {
    const r = planFeatureCache(analyzeGraph(g));
    assert.ok('reason' in r, 'no plan expected');
    return r.reason;
  };
  assert.equal(reason(model()), null, 'nothing frozen: nothing to say');
  assert.match(reason(applyFreeze(model(), ['bn', 'dw'])) ?? '', /first layer 'conv2d' trains/);
  // A trainable BN uses batch statistics: the cached base stops before it (the frozen dw after it runs in the head).
  const beforeBn = planFeatureCache(analyzeGraph(applyFreeze(model(), ['conv2d', 'dw'])));
  assert.ok('plan' in beforeBn && beforeBn.plan.boundary === 'conv2d');
  assert.deepEqual(beforeBn.plan.head.layers.map((l) => l.node.name), ['conv2d', 'bn', 'dw', 'gap', 'dense', 'drop', 'out']);
  const withDropout = applyFreeze(model(4, [{ name: 'base_drop', className: 'Dropout', config: { rate: 0.2 }, inbound: ['dw'] }]), [...BASE, 'base_drop']);
  const r = planFeatureCache(analyzeGraph(withDropout));
  assert.ok('plan' in r && r.plan.boundary === 'dw', 'an active Dropout ends the cacheable base, frozen or not');
  assert.match(reason(applyFreeze(model(), [...BASE, 'dense', 'out'])) ?? '', /every layer is frozen/);
});

void test('head training from cached features = training the whole model on the same batches (1e-5), Dropout seeds included', () => {
  const g = applyFreeze(model(), BASE);
  const n = 24;
  const { x, y } = samples(n, 1);
  const val = samples(8, 2);
  const cached = new GraphTrainer(g, 5e-3, 9);
  const plain = new GraphTrainer(g, 5e-3, 9);
  const info = cached.cacheFeatures(x, n);
  assert.ok(info?.used, info?.detail);
  assert.match(info.detail, /up to 'gap'/);
  cached.cacheFeatures(val.x, 8);
  const rng = new Rng(5);
  const batchX = new Float32Array(6 * 72);
  const batchY = new Int32Array(6);
  let lossGap = 0;
  for (let step = 0; step < 8; step++) {
    const idx = Uint32Array.from({ length: 6 }, () => rng.int(n));
    idx.forEach((i, k) => {
      batchX.set(x.subarray(i * 72, (i + 1) * 72), k * 72);
      batchY[k] = y[i];
    });
    const a = cached.trainBatchCached(x, idx, batchY, 6);
    assert.ok(a, 'the cache is there');
    const b = plain.trainBatch(batchX, batchY, 6);
    lossGap = Math.max(lossGap, Math.abs(a.loss - b.loss));
    assert.equal(a.correct, b.correct);
  }
  assert.ok(lossGap < 1e-5, `loss gap ${lossGap}`);
  const ma = cached.getModel('a');
  const mb = plain.getModel('b');
  let moved = 0;
  ma.layers.forEach((l, i) =>
    l.weights.forEach((w, j) => {
      const d = maxAbsDiff(w.data, mb.layers[i].weights[j].data);
      assert.ok(d < 1e-5, `${l.name}/${w.name}: ${d}`);
      moved += BASE.includes(l.name) ? 0 : 1;
    }),
  );
  assert.equal(moved, 4);
  // Validation predictions through the cached head = the whole model's.
  assert.ok(maxAbsDiff(cached.predict(val.x, 8), plain.predict(val.x, 8)) < 1e-5);
  // A base weight written from outside drops the cache: no cached step any more.
  const k = ma.layers.find((l) => l.name === 'conv2d')?.weights[0].data as Float32Array;
  cached.writeWeight('conv2d/kernel', k.map((v) => v * 0.5));
  assert.equal(cached.trainBatchCached(x, [0, 1], [0, 1], 2), null);
  cached.dispose();
  plain.dispose();
});

function data(): SplitData {
  const set = (count: number, seed: number) => {
    const s = samples(count, seed);
    return sampleSet(s.x, s.y, INPUT, 3);
  };
  return splitData('synthetic', set(20, 3), set(6, 4), set(6, 5));
}

void test('fit takes the cached path, logs which path ran, and ends where an uncached fit ends', async () => {
  const d = data();
  const logs: string[] = [];
  const ctx = { ...fakeContext(), log: (m: string) => logs.push(m) };
  const opts = { stage: 'train' as const, model: 'm', epochs: 2, batchSize: 8, shuffle: true, seed: 3 };
  const g = applyFreeze(model(6), BASE);
  const cached = new GraphTrainer(g, 5e-3, 2);
  const res = await fit(ctx, cached, d, opts);
  assert.equal(res.featureCache?.used, true);
  assert.ok(logs.some((l) => /^m: feature cache: frozen base up to 'gap' \(4 layers\) computed once for 20 samples/.test(l)), logs.join('\n'));
  // The same fit without the cache (a trainer that has none: the whole model every step).
  const plain = new GraphTrainer(g, 5e-3, 2);
  Object.assign(plain, { cacheFeatures: undefined });
  const ref = await fit(fakeContext(), plain, d, opts);
  assert.equal(ref.featureCache, undefined);
  for (const [i, e] of res.epochs.entries()) {
    assert.ok(Math.abs(e.loss - ref.epochs[i].loss) < 1e-5 && Math.abs(e.valLoss - ref.epochs[i].valLoss) < 1e-5, `epoch ${i + 1}: ${e.loss}/${e.valLoss} vs ${ref.epochs[i].loss}/${ref.epochs[i].valLoss}`);
  }
  const a = cached.getModel('a');
  const b = plain.getModel('b');
  a.layers.forEach((l, i) => l.weights.forEach((w, j) => assert.ok(maxAbsDiff(w.data, b.layers[i].weights[j].data) < 1e-5, `${l.name}/${w.name}`)));
  cached.dispose();
  plain.dispose();
});

void test('fit without a cacheable base says why (a trainable first layer) and trains the whole model', async () => {
  const logs: string[] = [];
  const ctx = { ...fakeContext(), log: (m: string) => logs.push(m) };
  const t = new GraphTrainer(applyFreeze(model(6), ['dw']), 5e-3, 2);
  const res = await fit(ctx, t, data(), { stage: 'train', model: 'm', epochs: 1, batchSize: 8, shuffle: true, seed: 3 });
  assert.equal(res.featureCache?.used, false);
  assert.ok(logs.some((l) => /feature cache not used: the model's first layer 'conv2d' trains/.test(l)), logs.join('\n'));
  t.dispose();
});
