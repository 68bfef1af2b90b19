/**
 * Exact zero counts of pruning on Conv2D and DepthwiseConv2D kernels, through the real path
 * (selectPruneTargets 'all' → PruningController → GraphTrainer → strip). tfmot's rule per
 * tensor: keep k = round_half_to_even(size · (1 − s)) largest |w|, zero the others; every
 * kernel has its own threshold; biases, BatchNormalization and the depthwise bias are never
 * touched. Expected counts are worked out by hand below, not by the code under test.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import { buildSequential } from '../../src/engine/graph/build';
import type { ModelGraph } from '../../src/engine/graph/types';
import { PruningController } from '../../src/engine/prune/controller';
import { ELEMENTWISE } from '../../src/engine/prune/mask';
import { ConstantSparsity } from '../../src/engine/prune/schedule';
import { selectPruneTargets } from '../../src/engine/prune/targets';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';

before(async () => {
  await initBackend('cpu');
});

// Input 8×8×3 → Conv2D 5 filters 3×3 (valid) → 6×6×5 → BatchNormalization → DepthwiseConv2D 3×3
// (valid) → 4×4×5 → Flatten (80) → Dense 10.
// Kernel sizes: Conv2D 3·3·3·5 = 135, DepthwiseConv2D 3·3·5·1 = 45, Dense 80·10 = 800.
function model(): ModelGraph {
  const g = buildSequential(
    'p',
    [8, 8, 3],
    [
      { className: 'Conv2D', config: { filters: 5, kernel_size: [3, 3], use_bias: true } },
      { className: 'BatchNormalization', config: {} },
      { className: 'DepthwiseConv2D', config: { kernel_size: [3, 3], use_bias: true } },
      { className: 'Flatten', config: {} },
      { className: 'Dense', config: { units: 10, activation: 'softmax' } },
    ],
    1,
  );
  // Distinct magnitudes: element i of every tensor gets |w| = (perm(i) + 1) / 1000 with a sign
  // that alternates, where perm scatters the order (7 is coprime with every size here), so
  // the smallest magnitudes are not simply the first elements. Non-kernel weights get
  // non-zero values so an accidental zeroing would show.
  for (const l of g.layers) {
    for (const w of l.weights) {
      const n = w.data.length;
      for (let i = 0; i < n; i++) {
        const rank = (i * 7) % n;
        w.data[i] = ((rank + 1) / 1000) * (i % 2 === 0 ? 1 : -1) + (w.name === 'moving_variance' ? 1 : 0);
      }
    }
  }
  return g;
}

function pruneAll(sparsity: number): { before: ModelGraph; after: ModelGraph } {
  const g = model();
  const beforeCopy = model();
  const targets = selectPruneTargets(g, 'all');
  assert.deepEqual(targets.map((t) => t.key).sort(), ['conv2d/kernel', 'dense/kernel', 'depthwise_conv2d/depthwise_kernel']);
  const trainer = new GraphTrainer(g, 1e-3, 1);
  const c = new PruningController({ trainer, modelName: 'p', targets, schedule: new ConstantSparsity(sparsity, 0, -1, 1), mask: ELEMENTWISE });
  c.beforeBatch(0);
  c.afterEpoch();
  return { before: beforeCopy, after: c.strip('p') };
}

function weight(g: ModelGraph, layer: string, name: string): Float32Array {
  const w = g.layers.find((l) => l.name === layer)?.weights.find((x) => x.name === name);
  assert.ok(w, `${layer}/${name}`);
  return w.data;
}

const zeros = (a: Float32Array): number => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

/** The zeroed elements must be exactly the `count` smallest |w| of the original tensor. */
function assertSmallestZeroed(orig: Float32Array, pruned: Float32Array, count: number, what: string): void {
  const order = [...orig.keys()].sort((a, b) => Math.abs(orig[a]) - Math.abs(orig[b]));
  const zeroed = new Set(order.slice(0, count));
  for (let i = 0; i < orig.length; i++) {
    assert.equal(pruned[i], zeroed.has(i) ? 0 : orig[i], `${what}[${i}]`);
  }
}

// [sparsity, layer, weight, size, expected zeros] — by hand:
//   s = 0.6: keep 135·0.4 = 54 → 81 zeros; 45·0.4 = 18 → 27; 800·0.4 = 320 → 480.
//   s = 0.5 (ties at .5 round to even): 135·0.5 = 67.5 → keep 68 → 67 zeros;
//            45·0.5 = 22.5 → keep 22 → 23 zeros; 800·0.5 = 400 → 400 zeros.
const CASES: [number, string, string, number, number][] = [
  [0.6, 'conv2d', 'kernel', 135, 81],
  [0.6, 'depthwise_conv2d', 'depthwise_kernel', 45, 27],
  [0.6, 'dense', 'kernel', 800, 480],
  [0.5, 'conv2d', 'kernel', 135, 67],
  [0.5, 'depthwise_conv2d', 'depthwise_kernel', 45, 23],
  [0.5, 'dense', 'kernel', 800, 400],
];

for (const s of [0.6, 0.5]) {
  void test(`sparsity ${s}: exact zero counts per Conv2D / DepthwiseConv2D / Dense kernel; biases and BatchNormalization untouched`, () => {
    const { before: orig, after } = pruneAll(s);
    for (const [cs, layer, name, size, expected] of CASES.filter((c) => c[0] === s)) {
      const o = weight(orig, layer, name);
      const p = weight(after, layer, name);
      assert.equal(p.length, size, `${layer}/${name} size`);
      assert.equal(zeros(p), expected, `${layer}/${name} at ${cs}`);
      assertSmallestZeroed(o, p, expected, `${layer}/${name}`);
    }
    const untouched: [string, string][] = [
      ['conv2d', 'bias'],
      ['batch_normalization', 'gamma'],
      ['batch_normalization', 'beta'],
      ['batch_normalization', 'moving_mean'],
      ['batch_normalization', 'moving_variance'],
      ['depthwise_conv2d', 'bias'],
      ['dense', 'bias'],
    ];
    for (const [layer, name] of untouched) {
      assert.deepEqual(weight(after, layer, name), weight(orig, layer, name), `${layer}/${name} must not be pruned`);
      assert.equal(zeros(weight(after, layer, name)), 0);
    }
  });
}
