/**
 * Deploy analysis (issue 12): TFLite Micro's greedy arena planner on hand-worked graphs,
 * MACs against their closed forms, and TFLM compatibility findings on crafted files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alignUp, lifetimes, planArena, type PlanGraph } from '../../src/engine/deploy/arena';
import { estimateArena, modelCost } from '../../src/engine/deploy/analyze';
import { tflmCompatible, tflmFindings } from '../../src/engine/deploy/compat';
import { operatorMacs } from '../../src/engine/deploy/macs';
import { scratchRequests } from '../../src/engine/deploy/scratch';
import { tfliteBytes } from '../../src/engine/export/tflite';
import type { OpOptions, TfliteGraph } from '../../src/engine/export/tflite/graph';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { BuiltinOperator, TensorType, type BuiltinOperatorValue } from '../../src/engine/export/tflite/schema';
import { randomModel } from './export-helpers';

/** A graph whose tensors are all activations of the given byte sizes. */
function graph(bytes: number[], ops: [number[], number[]][], inputs: number[], outputs: number[]): PlanGraph {
  return { tensorBytes: bytes, constant: bytes.map(() => false), operators: ops.map(([i, o]) => ({ inputs: i, outputs: o })), inputs, outputs };
}

const offsets = (g: PlanGraph): Record<number, number> => Object.fromEntries(planArena(lifetimes(g)).buffers.map((b) => [b.id, b.offset]));

void describe('arena planner (TFLM GreedyMemoryPlanner semantics)', () => {
  void test('16-byte alignment', () => {
    assert.deepEqual([0, 1, 16, 17, 40, 100].map((n) => alignUp(n)), [0, 16, 16, 32, 48, 112]);
  });

  void test('a chain: the input dies when the second op has read it', () => {
    // in(100 B) -op0-> t1(200 B) -op1-> t2(50 B); aligned 112, 208, 64.
    const g = graph([100, 200, 50], [[[0], [1]], [[1], [2]]], [0], [2]);
    const life = lifetimes(g);
    assert.deepEqual(life.map((b) => [b.id, b.firstUsed, b.lastUsed]), [[0, 0, 1], [1, 1, 2], [2, 2, 2]]);
    // Largest first: t1 @0; in overlaps t1 → @208; t2 overlaps t1 only → @208 (in is dead by then).
    assert.deepEqual(offsets(g), { 0: 208, 1: 0, 2: 208 });
    const plan = planArena(life);
    assert.equal(plan.plannedBytes, 320);
    assert.equal(plan.lowerBoundBytes, 320); // scope 1: in + t1
    assert.equal(plan.peakScope, 1);
  });

  void test('a residual Add keeps its input alive across the branch', () => {
    // x → a → b; c = Add(x, b). All 64 B. x lives scopes 0..3.
    // Equal sizes: the buffer added last is placed first (c, b, a, x). c @0; b overlaps c → @64;
    // a overlaps b only → @0; x overlaps all three → @128.
    const g = graph([64, 64, 64, 64], [[[0], [1]], [[1], [2]], [[0, 2], [3]]], [0], [3]);
    assert.deepEqual(offsets(g), { 0: 128, 1: 0, 2: 64, 3: 0 });
    const plan = planArena(lifetimes(g));
    assert.equal(plan.plannedBytes, 192);
    assert.equal(plan.lowerBoundBytes, 192);
    // Without the skip connection the same chain needs two buffers only.
    const chain = graph([64, 64, 64, 64], [[[0], [1]], [[1], [2]], [[2], [3]]], [0], [3]);
    assert.equal(planArena(lifetimes(chain)).plannedBytes, 128);
  });

  void test('a concat keeps both branches alive; unaligned sizes round up', () => {
    // x(48) → a(32), x → b(40 → 48), concat(a, b) → c(72 → 80).
    const g = graph([48, 32, 40, 72], [[[0], [1]], [[0], [2]], [[1, 2], [3]]], [0], [3]);
    assert.deepEqual(offsets(g), { 0: 0, 1: 128, 2: 80, 3: 0 });
    const plan = planArena(lifetimes(g));
    assert.equal(plan.plannedBytes, 160);
    assert.equal(plan.lowerBoundBytes, 160); // scope 3: a + b + c
  });

  void test('greedy placement can exceed the lower bound (equal sizes: the last added goes first)', () => {
    // Four 48 B buffers, each overlapping the next by one scope; the last added lives last.
    const bufs = [
      { id: 0, bytes: 48, firstUsed: 2, lastUsed: 3 },
      { id: 1, bytes: 48, firstUsed: 1, lastUsed: 2 },
      { id: 2, bytes: 48, firstUsed: 0, lastUsed: 1 },
      { id: 3, bytes: 48, firstUsed: 3, lastUsed: 4 },
    ];
    const plan = planArena(bufs);
    // Placed 3, 2, 1, 0: 3 @0; 2 @0 (disjoint from 3); 1 overlaps 2 → @48; 0 overlaps 3 (@0) and 1 (@48) → @96.
    assert.deepEqual(plan.buffers.map((b) => b.offset), [96, 48, 0, 0]);
    assert.equal(plan.plannedBytes, 144);
    // Alternating 0 / 48 would do: never more than two alive at once.
    assert.equal(plan.lowerBoundBytes, 96);
  });

  void test('constant tensors (weights) are never planned', () => {
    const g = graph([64, 4000, 64], [[[0, 1], [2]]], [0], [2]);
    g.constant[1] = true;
    assert.deepEqual(planArena(lifetimes(g)).buffers.map((b) => b.id), [0, 2]);
  });

  void test('scratch buffers live only during their operator and are planned after the tensors', () => {
    // x(64) -op0-> y(64) -op1-> z(16); op1 asks for 40 B of scratch (→ 48), id 3 after the 3 tensors.
    const g = { ...graph([64, 64, 16], [[[0], [1]], [[1], [2]]], [0], [2]), scratch: [{ operator: 1, bytes: 40 }] };
    const life = lifetimes(g);
    assert.deepEqual(life.find((b) => b.id === 3), { id: 3, bytes: 40, firstUsed: 2, lastUsed: 2 });
    // Placed x, y (64, last added first: y then x), scratch (48), z: y @0; x overlaps y → @64;
    // scratch overlaps y and z but not x (dead after op0) → @64; z overlaps y and scratch → @112.
    assert.deepEqual(offsets(g), { 0: 64, 1: 0, 2: 112, 3: 64 });
    assert.equal(planArena(life).plannedBytes, 128);
  });
});

void describe('TFLM scratch requests (reduce_common.cc)', () => {
  void test('int8 MEAN: an int32 accumulator per output, then the input rank and the axis count as ints; float MEAN only the last two', () => {
    const mean = (type: number): TfliteGraph => tg([[[1, 14, 14, 8], type], [[2], TensorType.INT32], [[1, 8], type]], BuiltinOperator.MEAN, [0, 1]);
    assert.deepEqual(scratchRequests(mean(TensorType.INT8)), [
      { operator: 0, bytes: 4 * 8 },
      { operator: 0, bytes: 4 * 4 },
      { operator: 0, bytes: 4 * 2 },
    ]);
    assert.deepEqual(scratchRequests(mean(TensorType.FLOAT32)), [
      { operator: 0, bytes: 16 },
      { operator: 0, bytes: 8 },
    ]);
    assert.deepEqual(scratchRequests(tg([[[1, 8], TensorType.INT8], [[8, 8], TensorType.INT8], [[1, 8], TensorType.INT8]], BuiltinOperator.FULLY_CONNECTED, [0, 1])), []);
  });
});

function tg(tensors: [number[], number][], op: BuiltinOperatorValue, inputs: number[], options: OpOptions = { kind: 'none' }): TfliteGraph {
  return {
    description: '',
    name: 'main',
    tensors: tensors.map(([shape, type], i) => ({ name: `t${i}`, shape, type: type as 0 })),
    operators: [{ op, version: 1, inputs, outputs: [tensors.length - 1], options }],
    inputs: [0],
    outputs: [tensors.length - 1],
  };
}

void describe('MACs against closed forms', () => {
  const f32 = TensorType.FLOAT32;
  void test('FULLY_CONNECTED: units × depth', () => {
    const g = tg([[[1, 784], f32], [[128, 784], f32], [[128], f32], [[1, 128], f32]], BuiltinOperator.FULLY_CONNECTED, [0, 1, 2]);
    assert.equal(operatorMacs(g, g.operators[0]), 128 * 784);
  });
  void test('CONV_2D: out H × W × C × kh × kw × in', () => {
    // 28×28×1 → 3×3, 8 filters, stride 2 SAME → 14×14×8.
    const g = tg([[[1, 28, 28, 1], f32], [[8, 3, 3, 1], f32], [[8], f32], [[1, 14, 14, 8], f32]], BuiltinOperator.CONV_2D, [0, 1, 2]);
    assert.equal(operatorMacs(g, g.operators[0]), 14 * 14 * 8 * 3 * 3 * 1);
  });
  void test('DEPTHWISE_CONV_2D: out H × W × C × kh × kw', () => {
    const g = tg([[[1, 14, 14, 8], f32], [[1, 5, 5, 16], f32], [[16], f32], [[1, 14, 14, 16], f32]], BuiltinOperator.DEPTHWISE_CONV_2D, [0, 1, 2]);
    assert.equal(operatorMacs(g, g.operators[0]), 14 * 14 * 16 * 5 * 5);
  });
  void test('pooling: out elements × window', () => {
    const opts: OpOptions = { kind: 'pool2d', fusedActivation: 'NONE', padding: 'VALID', strides: [2, 2], filter: [2, 3] };
    for (const op of [BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D]) {
      const g = tg([[[1, 14, 14, 8], f32], [[1, 7, 6, 8], f32]], op, [0], opts);
      assert.equal(operatorMacs(g, g.operators[0]), 7 * 6 * 8 * 2 * 3);
    }
  });
  void test('the reference MLP (784 → 128 → 10) is 101 632 MACs in every TFLite variant', () => {
    for (const mode of ['float32', 'float16', 'dynamic-int8'] as const) {
      const g = readTflite(tfliteBytes(randomModel('ref', [784, 128, 10]), mode).data);
      assert.equal(modelCost(g).macs, 101_632, mode);
    }
  });
});

void describe('TFLM compatibility findings on crafted files', () => {
  const model = randomModel('ref', [784, 128, 10]);
  void test('float32 runs; nothing to report', () => {
    const g = readTflite(tfliteBytes(model, 'float32').data);
    assert.deepEqual(tflmFindings(g), []);
    // float32 arena: input 784×4 + hidden 128×4 + logits + softmax output, planned.
    assert.ok(estimateArena(g).plannedBytes >= 784 * 4 + 128 * 4);
  });
  void test('float16: TFLM refuses DEQUANTIZE of float16', () => {
    const f = tflmFindings(readTflite(tfliteBytes(model, 'float16').data));
    assert.ok(f.some((x) => x.code === 'dequantize-input-type' && x.severity === 'error' && /float32 or the full-int8/.test(x.fix)));
    assert.equal(tflmCompatible(f), false);
  });
  void test('dynamic-int8 in its DEQUANTIZE form runs, but its weights land in RAM', () => {
    const g = readTflite(tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'dequantize' }).data);
    const f = tflmFindings(g);
    assert.equal(tflmCompatible(f), true);
    assert.ok(f.some((x) => x.code === 'dequantized-weights-in-ram' && x.message.includes(`${128 * 784 * 4} bytes`)), JSON.stringify(f));
    assert.ok(estimateArena(g).plannedBytes >= 128 * 784 * 4);
  });
  void test('a hybrid FULLY_CONNECTED (float input, int8 weights) is refused', () => {
    const g = readTflite(tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'hybrid' }).data);
    const f = tflmFindings(g);
    assert.ok(f.some((x) => x.code === 'hybrid-kernel' && x.severity === 'error'), JSON.stringify(f));
    assert.equal(tflmCompatible(f), false);
  });
});
