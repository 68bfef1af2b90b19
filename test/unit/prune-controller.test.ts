/**
 * The pruning controller against a scripted fake trainer: when masks update, what the
 * trainer receives, the pruningStep events, epoch-end re-masking, biases left alone, strip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PruningStepEvent } from '../../src/protocol/engine';
import type { MlpModel } from '../../src/engine/model/mlp';
import { cloneModel } from '../../src/engine/model/mlp';
import type { BatchResult, EvalResult, MlpTrainer } from '../../src/engine/train/trainer';
import { MlpTrainerAdapter } from '../../src/engine/train/mlpAdapter';
import { graphToMlp, mlpToGraph } from '../../src/engine/graph/mlp';
import { selectPruneTargets } from '../../src/engine/prune/targets';
import { PruningController } from '../../src/engine/prune/controller';
import { ConstantSparsity, PolynomialDecay } from '../../src/engine/prune/schedule';
import { ELEMENTWISE } from '../../src/engine/prune/mask';

/** Keeps weights in JS; each "batch" adds +0.001 to every kernel weight (regrowth) after masking. */
class FakeTrainer implements MlpTrainer {
  readonly name = 'fake';
  model: MlpModel;
  masks: (Float32Array | null)[] = [];
  setMasksCalls = 0;
  applyMasksCalls = 0;

  constructor(model: MlpModel) {
    this.model = cloneModel(model);
  }
  setMasks(masks: (Float32Array | null)[]): void {
    this.setMasksCalls++;
    this.masks = masks;
    this.mask();
  }
  private mask(): void {
    this.masks.forEach((m, i) => {
      if (m) {
        const k = this.model.layers[i].kernel;
        for (let j = 0; j < k.length; j++) {
          k[j] *= m[j];
        }
      }
    });
  }
  applyMasks(): void {
    this.applyMasksCalls++;
    this.mask();
  }
  trainBatch(_i: Uint8Array, _l: Uint8Array, count: number): BatchResult {
    this.mask();
    for (const l of this.model.layers) {
      for (let j = 0; j < l.kernel.length; j++) {
        l.kernel[j] += 0.001;
      }
    }
    return { loss: 0, correct: count };
  }
  predict(): Float32Array {
    return new Float32Array(0);
  }
  evaluate(): EvalResult {
    return { loss: 0, accuracy: 0 };
  }
  getModel(name: string): MlpModel {
    return cloneModel(this.model, name);
  }
  setModel(model: MlpModel): void {
    this.model = cloneModel(model);
  }
  resetOptimizer(): void {}
  dispose(): void {}
}

function model(): MlpModel {
  // dense: 4×2 kernel with distinct magnitudes 1..8; dense_1: 2×3 kernel 1..6; tiny biases.
  return {
    name: 'mnist_model',
    inputDim: 4,
    layers: [
      { name: 'dense', inputDim: 4, units: 2, activation: 'relu', kernel: Float32Array.from([1, -2, 3, -4, 5, -6, 7, -8]), bias: Float32Array.from([1e-6, -1e-6]) },
      { name: 'dense_1', inputDim: 2, units: 3, activation: 'softmax', kernel: Float32Array.from([-6, 5, -4, 3, -2, 1]), bias: Float32Array.from([1e-7, 0, -1e-7]) },
    ],
  };
}

void test('masks update only on scheduled steps, from the current weights; events carry measured sparsity and threshold', () => {
  const base = model();
  const trainer = new FakeTrainer(base);
  const events: PruningStepEvent[] = [];
  // PolynomialDecay 0 → 0.5 over steps 0..4, every 2 steps: updates at 2 (s = 0.4375) and 4 (0.5).
  const c = new PruningController({
    trainer: new MlpTrainerAdapter(trainer, mlpToGraph(base)),
    modelName: 'pruned_mnist_model',
    targets: selectPruneTargets(mlpToGraph(base), ['dense_1']),
    schedule: new PolynomialDecay(0, 0.5, 0, 4, 3, 2),
    mask: ELEMENTWISE,
    emit: (e) => events.push(e),
  });
  const imgs = new Uint8Array(0);
  for (let step = 1; step <= 6; step++) {
    c.beforeBatch(step);
    trainer.trainBatch(imgs, imgs, 1);
  }
  assert.equal(trainer.setMasksCalls, 2);
  assert.deepEqual(events.map((e) => e.step), [2, 4]);
  assert.deepEqual(events.map((e) => e.targetSparsity), [0.4375, 0.5]);
  // Step 2: dense_1 = [−6 5 −4 3 −2 1] + 0.001 (one batch) → |5.999 5.001 3.999 3.001 1.999 1.001|; 6 · 0.5625 = 3.375 → 3 kept → threshold 3.999
  assert.equal(events[0].layers.length, 1);
  assert.equal(events[0].layers[0].name, 'dense_1');
  assert.equal(events[0].layers[0].sparsity, 0.5);
  assert.equal(events[0].layers[0].threshold, Math.fround(-4 + 0.001) * -1);
  assert.equal(c.lastUpdateStep, 4);

  c.afterEpoch();
  assert.equal(trainer.applyMasksCalls, 1);
  const extras = c.epochExtras();
  assert.deepEqual(extras, { sparsity: { dense_1: 0.5 } }, 'only pruned layers are reported');

  const strippedGraph = c.strip();
  const stripped = graphToMlp(strippedGraph).model!;
  assert.equal(strippedGraph.name, 'pruned_mnist_model');
  // The three smallest |w| of dense_1 (indices 3, 4, 5) are zero; the others kept (with training drift).
  assert.deepEqual(Array.from(stripped.layers[1].kernel).map((v) => v === 0), [false, false, false, true, true, true]);
  // dense (not selected) was not pruned; biases of both layers are untouched by masking.
  assert.equal(stripped.layers[0].kernel.filter((v) => v === 0).length, 0);
  assert.deepEqual(stripped.layers[0].bias, base.layers[0].bias);
  assert.deepEqual(stripped.layers[1].bias, base.layers[1].bias);
});

void test("'all' layers: each kernel gets its own mask and threshold (layer-wise, not global)", () => {
  const trainer = new FakeTrainer(model());
  const events: PruningStepEvent[] = [];
  const c = new PruningController({
    trainer: new MlpTrainerAdapter(trainer, mlpToGraph(model())),
    modelName: 'p',
    targets: selectPruneTargets(mlpToGraph(model()), 'all'),
    schedule: new ConstantSparsity(0.5, 0, -1, 100),
    mask: ELEMENTWISE,
    emit: (e) => events.push(e),
  });
  c.beforeBatch(100);
  assert.equal(events.length, 1);
  // dense: |1..8| → 4 kept → threshold 5; dense_1: |6..1| → 3 kept → threshold 4.
  assert.deepEqual(events[0].layers, [
    { name: 'dense', sparsity: 0.5, threshold: 5 },
    { name: 'dense_1', sparsity: 0.5, threshold: 4 },
  ]);
  assert.deepEqual(Array.from(trainer.model.layers[0].kernel), [0, -0, 0, -0, 5, -6, 7, -8]);
  assert.deepEqual(c.measure(mlpToGraph(trainer.model)), { dense: 0.5, dense_1: 0.5 });
  // No update on a step that is not a multiple of the frequency.
  c.beforeBatch(150);
  assert.equal(events.length, 1);
});

void test('no mask update ever: afterEpoch does not touch the trainer, strip returns the weights as they are', () => {
  const trainer = new FakeTrainer(model());
  const c = new PruningController({ trainer: new MlpTrainerAdapter(trainer, mlpToGraph(model())), modelName: 'p', targets: selectPruneTargets(mlpToGraph(model()), 'last'), schedule: new ConstantSparsity(0.5, 1000), mask: ELEMENTWISE });
  c.beforeBatch(1);
  c.afterEpoch();
  assert.equal(trainer.setMasksCalls, 0);
  assert.equal(trainer.applyMasksCalls, 0);
  assert.equal(c.lastUpdateStep, null);
  assert.deepEqual(Array.from(graphToMlp(c.strip()).model!.layers[1].kernel), [-6, 5, -4, 3, -2, 1]);
});
