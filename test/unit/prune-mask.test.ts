/**
 * Pruning masks on small tensors whose expected masks are worked out by hand from tfmot's
 * rules (k = max(round_half_to_even(size·(1 − s)), 1), threshold = k-th largest |w|,
 * keep |w| ≥ threshold; block pooling with TF 'SAME' padding; m-by-n along the inputs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockMask,
  computeMask,
  factorizedPool,
  keptCount,
  magnitudeMask,
  mByNMask,
  measuredSparsity,
  roundHalfToEven,
  validateMaskOptions,
  ELEMENTWISE,
} from '../../src/engine/prune/mask';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { selectPruneTargets } from '../../src/engine/prune/targets';
import { BadInputError } from '../../src/engine/errors';

const F = (a: number[]): Float32Array => Float32Array.from(a);
const zeros = (m: Float32Array): number => m.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

void test('round half to even, as tf.math.round', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 7.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfToEven), [0, 2, 2, 4, 8, 0, -2, 2, 3]);
});

void test('kept count k: round-half-to-even cases, never below 1', () => {
  assert.equal(keptCount(10, 0.25), 8, '10 · 0.75 = 7.5 → 8');
  assert.equal(keptCount(6, 0.75), 2, '6 · 0.25 = 1.5 → 2');
  assert.equal(keptCount(5, 0.5), 2, '2.5 → 2');
  assert.equal(keptCount(7, 0.5), 4, '3.5 → 4');
  assert.equal(keptCount(10, 0.45), 6, '5.5 → 6');
  assert.equal(keptCount(10, 0.35), 6, 'f32: 10 · 0.65 = 6.5 → 6');
  assert.equal(keptCount(4, 0.9), 1, '0.4 → 0 → at least 1');
  assert.equal(keptCount(1, 0.99), 1);
  assert.equal(keptCount(1280, 0.5), 640);
  assert.equal(keptCount(1280, Math.fround(0.4994298)), 641, '1280 · 0.5005702 = 640.73 → 641');
  assert.equal(keptCount(100352, 0.5), 50176);
});

void test('element-wise mask: exact zero counts and threshold on a known tensor', () => {
  const w = F([0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9, -1.0]);
  const a = magnitudeMask(w, 0.25);
  assert.deepEqual(Array.from(a.mask), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(a.threshold, Math.fround(0.3));
  const b = magnitudeMask(w, 0.5); // 5 kept
  assert.deepEqual(Array.from(b.mask), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  assert.equal(b.threshold, Math.fround(0.6));
  assert.equal(zeros(magnitudeMask(w, 0.35).mask), 4, '6 kept');
  assert.equal(zeros(magnitudeMask(w, 0).mask), 0, 'sparsity 0 keeps everything');
  const one = magnitudeMask(w, 0.95); // 0.5 → 0 → 1 kept
  assert.deepEqual(Array.from(one.mask), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(one.threshold, 1);
  // size 6, s = 0.75: 1.5 → 2 kept
  assert.deepEqual(Array.from(magnitudeMask(F([3, -1, 2, 6, -5, 4]), 0.75).mask), [0, 0, 0, 1, 1, 0]);
});

void test('ties at the threshold keep more weights than k (tfmot keeps |w| ≥ threshold)', () => {
  const r = magnitudeMask(F([0.5, -0.5, 0.5, 0.1, 0.2, 0.5]), 0.5); // k = 3, threshold 0.5
  assert.equal(r.threshold, 0.5);
  assert.deepEqual(Array.from(r.mask), [1, 1, 1, 0, 0, 1]);
  // All-zero tensor: threshold 0 and 0 ≥ 0 keeps everything, as in tfmot.
  assert.equal(zeros(magnitudeMask(new Float32Array(8), 0.5).mask), 0);
});

void test('block [2,2] AVG and MAX masks, element by element', () => {
  // prettier-ignore
  const w = F([
    1,   2,   0.1, 0.1,
    3,   4,   0.1, 0.1,
    0.2, 0.2, 5,   6,
    0.2, 0.2, 7,   -8,
  ]);
  // AVG blocks: [2.5, 0.1; 0.2, 6.5]; k = round(4 · 0.5) = 2 → keep 2.5 and 6.5.
  const avg = blockMask(w, 4, 4, 0.5, [2, 2], 'AVG');
  assert.equal(avg.threshold, 2.5);
  // prettier-ignore
  assert.deepEqual(Array.from(avg.mask), [
    1, 1, 0, 0,
    1, 1, 0, 0,
    0, 0, 1, 1,
    0, 0, 1, 1,
  ]);
  const max = blockMask(w, 4, 4, 0.5, [2, 2], 'MAX'); // blocks [4, 0.1; 0.2, 8]
  assert.equal(max.threshold, 4);
  assert.deepEqual(Array.from(max.mask), Array.from(avg.mask));
  // 75 %: one block kept, the largest.
  assert.deepEqual(Array.from(blockMask(w, 4, 4, 0.75, [2, 2], 'AVG').mask), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
});

void test("block sizes that do not divide the kernel: TF 'SAME' pooling windows, expansion from the corner", () => {
  // 2 × 6, block [1, 4]: 2 pooled columns, padding 2 → 1 before, 1 after. Pooling windows
  // are columns {0,1,2} and {3,4,5} (AVG over the 3 real values), expanded blocks are
  // columns 0–3 and 4–5 (tfmot's expand_tensor + slice).
  // prettier-ignore
  const w = F([
    9,   9,   9,   0.1, 0.1, 0.1,
    0.1, 0.1, 0.1, 1,   1,   1,
  ]);
  const p = factorizedPool(w.map(Math.abs), 2, 6, [1, 4], 'AVG');
  assert.equal(p.rows, 2);
  assert.equal(p.cols, 2);
  assert.deepEqual(Array.from(p.pooled), [9, 0.1, 0.1, 1].map(Math.fround));
  const r = blockMask(w, 2, 6, 0.5, [1, 4], 'AVG');
  assert.equal(r.threshold, 1);
  assert.deepEqual(Array.from(r.mask), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);

  // 3 × 2, block [2, 1], MAX: padding 1 → 0 before, windows rows {0,1} and {2}.
  const w2 = F([1, 0.1, 2, 0.2, 0.3, 3]);
  const q = factorizedPool(w2, 3, 2, [2, 1], 'MAX');
  assert.deepEqual(Array.from(q.pooled), [2, 0.2, 0.3, 3].map(Math.fround));
  assert.deepEqual(Array.from(blockMask(w2, 3, 2, 0.5, [2, 1], 'MAX').mask), [1, 0, 1, 0, 0, 1]);
});

void test('2:4 sparsity: 2 of every 4 consecutive inputs kept per unit, element by element', () => {
  // Kernel [8 inputs, 2 units], row-major; column o is unit o.
  // unit 0 inputs: 0.1 −0.9 0.5 0.2 | 0.3 0.3 0.3 −0.1  → keep 1,2 | 4,5 (ties → lower index)
  // unit 1 inputs: 1 2 3 4 | −4 3 −2 1                   → keep 2,3 | 4,5
  // prettier-ignore
  const w = F([
    0.1, 1,
    -0.9, 2,
    0.5, 3,
    0.2, 4,
    0.3, -4,
    0.3, 3,
    0.3, -2,
    -0.1, 1,
  ]);
  const r = mByNMask(w, 8, 2, [2, 4]);
  // prettier-ignore
  assert.deepEqual(Array.from(r.mask), [
    0, 0,
    1, 0,
    1, 1,
    0, 1,
    1, 1,
    1, 1,
    0, 0,
    0, 0,
  ]);
  assert.equal(r.threshold, 999, "tfmot's placeholder threshold");
  // Input dim 6 (not a multiple of 4): the second group is zero-padded, both real weights kept.
  assert.deepEqual(Array.from(mByNMask(F([0.5, 0.1, 0.2, 0.3, 0.05, 0.01]), 6, 1, [2, 4]).mask), [1, 0, 0, 1, 1, 1]);
  // 1:4 = keep 3 of 4.
  assert.deepEqual(Array.from(mByNMask(F([4, 1, 3, 2]), 4, 1, [1, 4]).mask), [1, 0, 1, 1]);
});

void test('2:4 on a larger kernel: every group of 4 along the inputs has exactly 2 kept, the larger ones', () => {
  const rows = 16;
  const cols = 8;
  const w = new Float32Array(rows * cols);
  let x = 12345;
  for (let i = 0; i < w.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    w[i] = x / 2147483648 - 0.5;
  }
  const { mask } = computeMask(w, rows, cols, 0.1, { ...ELEMENTWISE, sparsityMN: [2, 4] });
  assert.equal(measuredSparsity(mask), 0.5, 'm-by-n ignores the schedule value');
  for (let o = 0; o < cols; o++) {
    for (let g = 0; g < rows; g += 4) {
      const idx = [0, 1, 2, 3].map((t) => (g + t) * cols + o);
      const kept = idx.filter((i) => mask[i] === 1).map((i) => Math.abs(w[i]));
      const dropped = idx.filter((i) => mask[i] === 0).map((i) => Math.abs(w[i]));
      assert.equal(kept.length, 2);
      assert.ok(Math.min(...kept) >= Math.max(...dropped));
    }
  }
});

void test('options validation names the field', () => {
  assert.throws(() => validateMaskOptions({ ...ELEMENTWISE, blockSize: [0, 1] }), (e: unknown) => e instanceof BadInputError && e.where === 'prune.blockSize');
  assert.throws(() => validateMaskOptions({ ...ELEMENTWISE, sparsityMN: [4, 4] }), (e: unknown) => e instanceof BadInputError && e.where === 'prune.sparsityMN');
  validateMaskOptions({ blockSize: [1, 4], blockPooling: 'MAX', sparsityMN: null });
});

void test('layer selection: last, all, names, per-layer map; unknown names list the prunable layers', () => {
  const model = mlpToGraph({
    name: 'm',
    inputDim: 4,
    layers: [
      { name: 'dense', inputDim: 4, units: 3, activation: 'relu', kernel: new Float32Array(12), bias: new Float32Array(3) },
      { name: 'dense_1', inputDim: 3, units: 2, activation: 'softmax', kernel: new Float32Array(6), bias: new Float32Array(2) },
    ],
  });
  const keys = (sel: Parameters<typeof selectPruneTargets>[1]): string[] => selectPruneTargets(model, sel).map((t) => t.key);
  assert.deepEqual(keys('last'), ['dense_1/kernel']);
  assert.deepEqual(keys('all'), ['dense/kernel', 'dense_1/kernel']);
  assert.deepEqual(keys(['dense_1', 'dense', 'dense']), ['dense/kernel', 'dense_1/kernel']);
  assert.deepEqual(selectPruneTargets(model, { dense_1: 0.8 }).map((t) => [t.key, t.finalSparsity]), [['dense_1/kernel', 0.8]]);
  assert.throws(
    () => selectPruneTargets(model, ['dense_2']),
    (e: unknown) => e instanceof BadInputError && e.where === 'prune.layers' && /dense_2/.test(e.message) && /dense, dense_1/.test(e.message),
  );
  assert.throws(() => selectPruneTargets(model, []), BadInputError);
  assert.throws(() => selectPruneTargets(model, { dense: 1.5 }), BadInputError);
});
