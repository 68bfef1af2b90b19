/**
 * Puts a Dense-stack loop (the SIMD kernel, the TF.js Dense trainer) behind the graph
 * `Trainer` interface: the graph's Dense weights go in and come out, everything else about
 * the graph (input layer name and shape, configs) is kept from the graph it was built with.
 */
import { graphToMlp } from '../graph/mlp';
import { cloneGraph } from '../graph/stats';
import type { ModelGraph } from '../graph/types';
import type { Features } from '../data/dataset';
import { weightKey, type BatchResult, type EvalResult, type MlpTrainer, type Trainer, type WeightMasks } from './trainer';

export class MlpTrainerAdapter implements Trainer {
  private template: ModelGraph;

  constructor(
    readonly inner: MlpTrainer,
    graph: ModelGraph,
  ) {
    this.template = cloneGraph(graph);
  }

  get name(): string {
    return this.inner.name;
  }

  /** The Dense layers in graph order, as the inner loop indexes them. */
  private denseNames(): string[] {
    return this.template.layers.filter((l) => l.className === 'Dense').map((l) => l.name);
  }

  setMasks(masks: WeightMasks): void {
    const names = this.denseNames();
    for (const key of masks.keys()) {
      if (!names.some((n) => weightKey(n, 'kernel') === key)) {
        throw new Error(`setMasks: no prunable weight '${key}' in the model`);
      }
    }
    this.inner.setMasks(names.map((n) => masks.get(weightKey(n, 'kernel')) ?? null));
  }

  applyMasks(): void {
    this.inner.applyMasks();
  }

  trainBatch(samples: Features, labels: ArrayLike<number>, count: number): BatchResult {
    return this.inner.trainBatch(samples, labels, count);
  }

  predict(samples: Features, count: number): Float32Array {
    return this.inner.predict(samples, count);
  }

  evaluate(samples: Features, labels: ArrayLike<number>, count: number): EvalResult {
    return this.inner.evaluate(samples, labels, count);
  }

  getModel(name: string): ModelGraph {
    const mlp = this.inner.getModel(name);
    const g = cloneGraph(this.template, name);
    const byName = new Map(mlp.layers.map((l) => [l.name, l]));
    for (const node of g.layers) {
      const l = byName.get(node.name);
      if (l) {
        node.weights[0].data = l.kernel;
        node.weights[1].data = l.bias;
      }
    }
    return g;
  }

  setModel(model: ModelGraph, keepOptimizer = false): void {
    const r = graphToMlp(model);
    if (!r.model) {
      throw new Error(`this training loop takes Dense stacks only: ${r.reason}`);
    }
    this.template = cloneGraph(model);
    this.inner.setModel(r.model, keepOptimizer);
  }

  resetOptimizer(learningRate: number): void {
    this.inner.resetOptimizer(learningRate);
  }

  dispose(): void {
    this.inner.dispose();
  }
}
