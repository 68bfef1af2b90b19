/**
 * Fine-tuning with shared centroids (tfmot's ClusterWeights wrapper): a clustered kernel is
 * `centroids[assignment]`, so its gradient reaches each centroid as the sum of the gradients
 * of the weights assigned to it (what tf.gather's gradient, an unsorted segment sum, does);
 * Keras' Adam then updates the centroids, and the kernel is rebuilt from them. Every other
 * weight trains as usual (Adam on its own gradient, pruning masks kept, BatchNormalization's
 * moving statistics updated). Assignments stay fixed, so the stripped kernel has exactly the
 * k centroid values (plus the kept zeros).
 *
 * Gradients come from the generic trainer's autodiff (GraphTrainer.lossAndGradients); this
 * class owns the optimizer step.
 */
import type { Features } from '../data/dataset';
import type { ModelGraph } from '../graph/types';
import { softmaxRows } from '../model/softmax';
import { GraphTrainer } from '../train/graphTrainer';
import { ADAM_BETA1, ADAM_BETA2, adamUpdate, lossAndCorrect } from '../train/tfjsTrainer';
import { weightKey, type BatchResult, type EvalResult, type Trainer, type WeightMasks } from '../train/trainer';
import { Rng } from '../util/random';
import { clusteredValues, type Clustering } from './kmeans';

interface Param {
  key: string;
  data: Float32Array;
  m: Float32Array;
  v: Float32Array;
  mask: Float32Array | null;
}

export class ClusterTrainer implements Trainer {
  readonly name = 'tfjs-graph';
  private readonly inner: GraphTrainer;
  private readonly params = new Map<string, Param>();
  private readonly centroids = new Map<string, { c: Clustering; m: Float32Array; v: Float32Array }>();
  private readonly rng: Rng;
  private step = 0;
  private lr: number;
  /** The model ends in softmax (else its outputs are logits). */
  private readonly softmaxOutput: boolean;

  constructor(graph: ModelGraph, learningRate: number, seed: number, clusters: ReadonlyMap<string, Clustering>) {
    this.inner = new GraphTrainer(graph, learningRate, seed);
    this.lr = learningRate;
    this.rng = new Rng((seed ^ 0x3c6ef372) >>> 0);
    const g = this.inner.graph;
    this.softmaxOutput = g.byName.get(g.graph.outputs[0])?.node.config.activation === 'softmax';
    for (const l of this.inner.graph.layers) {
      for (const w of l.node.weights) {
        const key = weightKey(l.node.name, w.name);
        const c = clusters.get(key);
        if (c) {
          if (c.assignment.length !== w.data.length) {
            throw new Error(`ClusterTrainer: clustering of '${key}' has ${c.assignment.length} entries, the weight ${w.data.length}`);
          }
          const copy = { assignment: c.assignment, centroids: c.centroids.slice() };
          this.centroids.set(key, { c: copy, m: new Float32Array(copy.centroids.length), v: new Float32Array(copy.centroids.length) });
          this.inner.writeWeight(key, clusteredValues(copy));
        } else if (w.trainable) {
          this.params.set(key, { key, data: w.data.slice(), m: new Float32Array(w.data.length), v: new Float32Array(w.data.length), mask: null });
        }
      }
    }
  }

  /** The shared values of each clustered kernel now. */
  clusterings(): Map<string, Clustering> {
    return new Map([...this.centroids].map(([k, s]) => [k, { assignment: s.c.assignment, centroids: s.c.centroids.slice() }]));
  }

  /** Each centroid's gradient: the sum of its weights' gradients (tf.gather's gradient, a segment sum). */
  centroidGradients(grads: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [key, s] of this.centroids) {
      const g = grads.get(key);
      if (!g) {
        continue;
      }
      const gc = new Float32Array(s.c.centroids.length);
      s.c.assignment.forEach((a, i) => {
        if (a >= 0) {
          gc[a] += g[i];
        }
      });
      out.set(key, gc);
    }
    return out;
  }

  /** Loss and per-weight gradients of the clustered model on a batch (for checks; no step taken). */
  lossAndGradients(samples: Features, labels: ArrayLike<number>, count: number): { loss: number; grads: Map<string, Float32Array> } {
    const r = this.inner.lossAndGradients(samples, labels, count);
    return { loss: r.loss, grads: r.grads };
  }

  setMasks(masks: WeightMasks): void {
    for (const [key, m] of masks) {
      const p = this.params.get(key);
      if (p) {
        p.mask = m;
      }
    }
    this.applyMasks();
  }

  applyMasks(): void {
    for (const p of this.params.values()) {
      if (p.mask) {
        for (let i = 0; i < p.data.length; i++) {
          p.data[i] *= p.mask[i];
        }
        this.inner.writeWeight(p.key, p.data);
      }
    }
  }

  trainBatch(samples: Features, labels: ArrayLike<number>, count: number): BatchResult {
    const r = this.inner.lossAndGradients(samples, labels, count, this.rng.int(2 ** 31));
    this.step++;
    const t = this.step;
    const alpha = (this.lr * Math.sqrt(1 - Math.pow(ADAM_BETA2, t))) / (1 - Math.pow(ADAM_BETA1, t));
    const cg = this.centroidGradients(r.grads);
    for (const [key, s] of this.centroids) {
      const gc = cg.get(key);
      if (!gc) {
        continue;
      }
      adamUpdate(s.c.centroids, gc, s.m, s.v, alpha, null);
      this.inner.writeWeight(key, clusteredValues(s.c));
    }
    for (const p of this.params.values()) {
      const g = r.grads.get(p.key);
      if (g) {
        adamUpdate(p.data, g, p.m, p.v, alpha, p.mask);
        this.inner.writeWeight(p.key, p.data);
      }
    }
    for (const [key, u] of r.updates) {
      this.inner.writeWeight(key, u);
    }
    const classes = r.outputs.length / count;
    const probs = this.softmaxOutput ? r.outputs : softmaxRows(r.outputs, count, classes);
    const { correct } = lossAndCorrect(probs, labels, count, classes);
    return { loss: r.loss, correct };
  }

  predict(samples: Features, count: number): Float32Array {
    return this.inner.predict(samples, count);
  }

  evaluate(samples: Features, labels: ArrayLike<number>, count: number): EvalResult {
    return this.inner.evaluate(samples, labels, count);
  }

  getModel(name: string): ModelGraph {
    return this.inner.getModel(name);
  }

  setModel(): void {
    throw new Error('ClusterTrainer: the model is fixed by its clustering; create a new trainer instead');
  }

  resetOptimizer(learningRate: number): void {
    this.lr = learningRate;
    this.step = 0;
    for (const s of this.centroids.values()) {
      s.m.fill(0);
      s.v.fill(0);
    }
    for (const p of this.params.values()) {
      p.m.fill(0);
      p.v.fill(0);
    }
  }

  dispose(): void {
    this.inner.dispose();
  }
}
