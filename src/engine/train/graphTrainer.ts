/**
 * The generic trainer: any ModelGraph, trained with TF.js autodiff (tf.variableGrads) of
 * Keras' sparse categorical cross-entropy, Keras' Adam (ε = 1e-7, the same fused JS update
 * as the Dense trainers), Dropout active in training only, BatchNormalization moving
 * statistics updated every step, and pruning masks on prunable weights (gradient and weight).
 *
 * It is the reference path every fast kernel is tested against. On the wasm backend it needs
 * gradient kernels for convolutions (Conv2DBackpropFilter & co.), which tfjs-backend-wasm
 * lacks until cnn-kernels registers them; on the cpu backend everything runs (slowly).
 */
import * as tf from '@tensorflow/tfjs-core';
// Autodiff needs every op's gradient registered (tfjs-core registers none by default).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { analyzeGraph, type AnalyzedGraph } from '../graph/analyze';
import { forwardGraph } from '../graph/forward';
import { toModelInput, type SampleValues } from '../graph/input';
import { cloneGraph } from '../graph/stats';
import { isTrainableLayer, type LayerNode, type ModelGraph } from '../graph/types';
import { softmaxRows } from '../model/softmax';
import { Rng } from '../util/random';
import { ADAM_BETA1, ADAM_BETA2, LOSS_EPSILON, adamUpdate, lossAndCorrect } from './tfjsTrainer';
import { weightKey, type BatchResult, type EvalResult, type FeatureCacheInfo, type Trainer, type WeightMasks } from './trainer';
import { planFeatureCache, type FeatureCachePlan } from './featureCache';
import { BadInputError } from '../errors';

export { weightKey, type WeightMasks };

interface Slot {
  node: LayerNode;
  index: number;
  key: string;
  trainable: boolean;
  variable: tf.Variable;
  /** Master copy (float32, Keras layout). */
  data: Float32Array;
  m: Float32Array;
  v: Float32Array;
  mask: Float32Array | null;
}

/** Values a forward pass may hold at once; predict chunks are sized so activations stay under it. */
const ACTIVATION_BUDGET = 1 << 24;
/** At most this many bytes of cached base features per data set (the train set's, the validation set's). */
export const FEATURE_CACHE_BYTES = 1 << 30;

interface GradStep {
  loss: number;
  outputs: Float32Array;
  grads: Map<string, Float32Array>;
  updates: Map<string, Float32Array>;
}

export class GraphTrainer implements Trainer {
  readonly name = 'tfjs-graph';
  private g!: AnalyzedGraph;
  private slots: Slot[] = [];
  private byNode = new Map<string, Slot[]>();
  private lr: number;
  private step = 0;
  private readonly rng: Rng;
  private outputIsSoftmax = true;
  private classes = 0;
  private inputSize = 0;
  private xBuf = new Float32Array(0);
  private forward: typeof forwardGraph = forwardGraph;
  /** The frozen-prefix plan (featureCache.ts): undefined = not worked out yet, null = none (`cacheReason` says why). */
  private cachePlan: FeatureCachePlan | null | undefined;
  private cacheReason: string | null = null;
  /** Weight keys of the cached prefix: a change to one of them drops the cached features. */
  private prefixKeys = new Set<string>();
  /** Cached base outputs per data set array (train, validation), valid while the prefix's weights are unchanged. */
  private featureSets = new WeakMap<object, { data: Float32Array; count: number }>();
  private featureBuf = new Float32Array(0);

  constructor(graph: ModelGraph, learningRate: number, seed = 0) {
    this.lr = learningRate;
    this.rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
    this.setModel(graph, false);
  }

  /** Replaces the forward pass used in training and inference (quantization-aware training's fake-quantizing one, src/engine/qat/forward.ts). */
  setForward(fn: typeof forwardGraph): void {
    this.forward = fn;
    this.dropFeatureCache(true);
  }

  /** Forgets cached features (and, with `replan`, the plan: the model or forward pass changed). */
  private dropFeatureCache(replan: boolean): void {
    this.featureSets = new WeakMap();
    if (replan) {
      this.cachePlan = undefined;
      this.prefixKeys = new Set();
    }
  }

  get graph(): AnalyzedGraph {
    return this.g;
  }

  setModel(graph: ModelGraph, keepOptimizer = false): void {
    const g = analyzeGraph(cloneGraph(graph));
    const out = g.byName.get(graph.outputs[0]);
    if (!out || out.outputShape.length !== 1) {
      throw new BadInputError(`The model's output has shape [${out?.outputShape.join(', ')}]; a classifier needs one score per class ([classes]). Add Flatten/GlobalAveragePooling2D and a Dense layer at the end.`);
    }
    const activation = out.node.config.activation;
    if (activation === 'relu' || activation === 'relu6' || activation === 'sigmoid' || activation === 'tanh' || activation === 'hard_sigmoid' || activation === 'hard_sigmoid_keras3' || activation === 'swish') {
      throw new BadInputError(`The output layer '${out.node.name}' ends in '${String(activation)}', which sparse categorical cross-entropy cannot train. Use 'softmax' (or 'linear' for logits).`);
    }
    const same = keepOptimizer && this.slots.length > 0 && this.sameLayout(g);
    const oldMasks = new Map(this.slots.map((s) => [s.key, s.mask]));
    const oldState = same ? new Map(this.slots.map((s) => [s.key, { m: s.m, v: s.v }])) : null;
    this.disposeVariables();
    this.dropFeatureCache(true);
    this.g = g;
    this.outputIsSoftmax = activation === 'softmax';
    this.classes = out.outputShape[0];
    this.inputSize = g.inputShape.reduce((a, b) => a * b, 1);
    this.slots = [];
    this.byNode = new Map();
    for (const l of g.layers) {
      const frozen = !isTrainableLayer(l.node);
      const slots = l.node.weights.map((w, index): Slot => {
        const key = weightKey(l.node.name, w.name);
        const mask = oldMasks.get(key) ?? null;
        const st = oldState?.get(key);
        // A frozen layer's weights are constants of the step: no gradient, no Adam state, never re-uploaded.
        const trainable = w.trainable && !frozen;
        const adamSize = trainable ? w.data.length : 0;
        return {
          node: l.node,
          index,
          key,
          trainable,
          data: w.data,
          variable: tf.variable(tf.tensor(w.data, w.shape, 'float32'), trainable, `${this.name}/${key}/${Math.random().toString(36).slice(2)}`),
          m: st && st.m.length === adamSize ? st.m : new Float32Array(adamSize),
          v: st && st.v.length === adamSize ? st.v : new Float32Array(adamSize),
          mask: mask && mask.length === w.data.length ? mask : null,
        };
      });
      this.byNode.set(l.node.name, slots);
      this.slots.push(...slots);
    }
    if (!same) {
      this.step = 0;
    }
    this.applyMasks();
  }

  private sameLayout(g: AnalyzedGraph): boolean {
    const keys = g.layers.flatMap((l) => l.node.weights.map((w) => `${weightKey(l.node.name, w.name)}:${w.data.length}`));
    return keys.length === this.slots.length && keys.every((k, i) => k === `${this.slots[i].key}:${this.slots[i].data.length}`);
  }

  /** The prunable weights of this graph, by weightKey, with their sizes. */
  prunableWeights(): { key: string; size: number }[] {
    return this.g.layers.flatMap((l) => l.node.weights.filter((w) => l.kind.prunable.includes(w.name)).map((w) => ({ key: weightKey(l.node.name, w.name), size: w.data.length })));
  }

  setMasks(masks: WeightMasks): void {
    const known = new Set(this.slots.map((s) => s.key));
    for (const [key, m] of masks) {
      const s = this.slots.find((x) => x.key === key);
      if (!s || !known.has(key)) {
        throw new Error(`setMasks: no weight '${key}' in the model`);
      }
      if (m.length !== s.data.length) {
        throw new Error(`setMasks: mask '${key}' has ${m.length} entries, the weight ${s.data.length}`);
      }
    }
    for (const s of this.slots) {
      s.mask = masks.get(s.key) ?? null;
    }
    if ([...masks.keys()].some((k) => this.prefixKeys.has(k))) {
      this.dropFeatureCache(false);
    }
    this.applyMasks();
  }

  applyMasks(): void {
    for (const s of this.slots) {
      if (s.mask) {
        const m = s.mask;
        for (let i = 0; i < s.data.length; i++) {
          s.data[i] *= m[i];
        }
        this.upload(s);
      }
    }
  }

  private upload(s: Slot): void {
    const t = tf.tensor(s.data, s.variable.shape, 'float32');
    s.variable.assign(t);
    t.dispose();
  }

  /** Overwrites one weight (by weightKey, Keras layout) in the model being trained; its optimizer state is kept. */
  writeWeight(key: string, data: ArrayLike<number>): void {
    const s = this.slots.find((x) => x.key === key);
    if (!s || data.length !== s.data.length) {
      throw new Error(`writeWeight: no weight '${key}' of ${data.length} values`);
    }
    s.data.set(data);
    this.upload(s);
    if (this.prefixKeys.has(key)) {
      this.dropFeatureCache(false);
    }
  }

  resetOptimizer(learningRate: number): void {
    this.lr = learningRate;
    this.step = 0;
    for (const s of this.slots) {
      s.m.fill(0);
      s.v.fill(0);
    }
  }

  private weightsOf = (node: LayerNode): tf.Tensor[] => (this.byNode.get(node.name) ?? []).map((s) => s.variable);

  private inputTensor(samples: SampleValues, count: number): tf.Tensor {
    const need = count * this.inputSize;
    if (this.xBuf.length < need) {
      this.xBuf = new Float32Array(need);
    }
    toModelInput(samples, this.xBuf, need);
    return tf.tensor(this.xBuf.subarray(0, need), [count, ...this.g.inputShape], 'float32');
  }

  /** Keras' loss for the batch (mean over samples) from the model's output. */
  private lossOf(out: tf.Tensor, labels: tf.Tensor): tf.Scalar {
    const y = tf.oneHot(labels, this.classes);
    if (this.outputIsSoftmax) {
      const p = tf.clipByValue(out, LOSS_EPSILON, 1 - LOSS_EPSILON);
      return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.log(p)), 1)));
    }
    return tf.mean(tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(out)), 1)));
  }

  /**
   * Loss, gradients of every trainable weight (by weightKey, Keras layout) and the outputs,
   * in training mode. BatchNormalization's new moving statistics are returned, not applied.
   */
  lossAndGradients(samples: SampleValues, labels: ArrayLike<number>, count: number, seed?: number): GradStep {
    return this.gradStep(this.g, () => this.inputTensor(samples, count), labels, count, seed);
  }

  /** One training-mode pass of `g` (the model, or the head of a cached base) on the input `x()` makes. */
  private gradStep(g: AnalyzedGraph, x: () => tf.Tensor, labels: ArrayLike<number>, count: number, seed?: number, layerIndex?: ReadonlyMap<string, number>): GradStep {
    const updates = new Map<string, Float32Array>();
    const trainable = this.slots.filter((s) => s.trainable);
    let outputs: Float32Array = new Float32Array(0);
    const res = tf.tidy(() => {
      const input = x();
      const yIdx = tf.tensor1d(Int32Array.from({ length: count }, (_v, i) => labels[i]), 'int32');
      return tf.variableGrads(() => {
        const out = this.forward(g, this.weightsOf, input, {
          training: true,
          seed,
          layerIndex,
          update: (node, name, value) => {
            updates.set(weightKey(node.name, name), value.dataSync() as Float32Array);
            value.dispose();
          },
        });
        outputs = out.dataSync() as Float32Array;
        return this.lossOf(out, yIdx);
      }, trainable.map((s) => s.variable));
    });
    const loss = res.value.dataSync()[0];
    const grads = new Map<string, Float32Array>();
    for (const s of trainable) {
      const gt = res.grads[s.variable.name];
      grads.set(s.key, gt ? (gt.dataSync() as Float32Array) : new Float32Array(s.data.length));
    }
    tf.dispose([res.value, ...Object.values(res.grads)]);
    return { loss, outputs: outputs.slice(0, count * this.classes), grads, updates };
  }

  trainBatch(samples: SampleValues, labels: ArrayLike<number>, count: number): BatchResult {
    return this.applyStep(this.lossAndGradients(samples, labels, count, this.rng.int(2 ** 31)), labels, count);
  }

  /** Adam on the trainable weights, BatchNormalization statistics; only weights that changed are uploaded. */
  private applyStep(r: GradStep, labels: ArrayLike<number>, count: number): BatchResult {
    this.step++;
    const t = this.step;
    const alpha = (this.lr * Math.sqrt(1 - Math.pow(ADAM_BETA2, t))) / (1 - Math.pow(ADAM_BETA1, t));
    for (const s of this.slots) {
      const g = r.grads.get(s.key);
      const u = r.updates.get(s.key);
      if (g) {
        adamUpdate(s.data, g, s.m, s.v, alpha, s.mask);
        this.upload(s);
      } else if (u) {
        s.data.set(u);
        this.upload(s);
      }
    }
    const probs = this.outputIsSoftmax ? r.outputs : softmaxRows(r.outputs, count, this.classes);
    const { correct } = lossAndCorrect(probs, labels, count, this.classes);
    return { loss: r.loss, correct };
  }

  /** The frozen-prefix plan, worked out once per model and forward pass. */
  private featurePlan(): FeatureCachePlan | null {
    if (this.cachePlan === undefined) {
      this.cachePlan = null;
      const r = planFeatureCache(this.g);
      if ('plan' in r && this.forward !== forwardGraph) {
        this.cacheReason = 'quantization-aware training fake-quantizes the whole model every step';
      } else if ('plan' in r) {
        this.cachePlan = r.plan;
        this.cacheReason = null;
        this.prefixKeys = new Set(r.plan.prefix.layers.flatMap((l) => l.node.weights.map((w) => weightKey(l.node.name, w.name))));
      } else {
        this.cacheReason = r.reason;
      }
    }
    return this.cachePlan;
  }

  /**
   * Computes the frozen base's output for `count` samples once (featureCache.ts), so that
   * trainBatchCached and predict on these samples run only the head. null when the model has
   * no frozen layers; `used: false` with the reason when it has some but no cacheable base.
   */
  cacheFeatures(samples: SampleValues, count: number): FeatureCacheInfo | null {
    const plan = this.featurePlan();
    if (!plan) {
      return this.cacheReason === null ? null : { used: false, detail: this.cacheReason };
    }
    const bytes = count * plan.featureSize * 4;
    const mib = (bytes / 2 ** 20).toFixed(1);
    if (bytes > FEATURE_CACHE_BYTES) {
      return { used: false, detail: `the frozen base's output '${plan.boundary}' (${plan.featureSize} values per sample) would take ${mib} MiB for ${count} samples, above the ${FEATURE_CACHE_BYTES / 2 ** 20} MiB cache limit` };
    }
    const headLayers = plan.head.layers.length - 1;
    const what = `frozen base up to '${plan.boundary}' (${plan.prefix.layers.length - 1} layers) computed once for ${count} samples (${plan.featureSize} values each, ${mib} MiB); each step trains only the ${headLayers} layer(s) after it`;
    const have = this.featureSets.get(samples);
    if (have && have.count === count) {
      return { used: true, detail: what, boundary: plan.boundary };
    }
    const data = new Float32Array(count * plan.featureSize);
    const chunk = this.chunkRows(plan.prefix);
    const d = this.inputSize;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const y = tf.tidy(() => forwardGraph(plan.prefix, this.weightsOf, this.inputTensor(samples.subarray(start * d, (start + n) * d), n)));
      data.set(y.dataSync(), start * plan.featureSize);
      y.dispose();
    }
    this.featureSets.set(samples, { data, count });
    return { used: true, detail: what, boundary: plan.boundary };
  }

  /**
   * trainBatch for the samples `indices` of a data set whose features cacheFeatures holds: the
   * same step (same Dropout seeds, same Adam update) on the head only. null when the cache is
   * gone (the base's weights changed): the caller then trains on the samples themselves.
   */
  trainBatchCached(samples: SampleValues, indices: ArrayLike<number>, labels: ArrayLike<number>, count: number): BatchResult | null {
    const plan = this.featurePlan();
    const set = plan ? this.featureSets.get(samples) : undefined;
    if (!plan || !set) {
      return null;
    }
    const size = plan.featureSize;
    const x = this.gatherFeatures(set.data, size, indices, count);
    const seed = this.rng.int(2 ** 31);
    return this.applyStep(this.gradStep(plan.head, () => tf.tensor(x, [count, ...plan.featureShape], 'float32'), labels, count, seed, plan.layerIndex), labels, count);
  }

  private gatherFeatures(data: Float32Array, size: number, indices: ArrayLike<number>, count: number): Float32Array {
    if (this.featureBuf.length < count * size) {
      this.featureBuf = new Float32Array(count * size);
    }
    for (let k = 0; k < count; k++) {
      const i = indices[k];
      this.featureBuf.set(data.subarray(i * size, (i + 1) * size), k * size);
    }
    return this.featureBuf.subarray(0, count * size);
  }

  /** Rows per inference chunk of `g` so its largest activation stays within ACTIVATION_BUDGET values. */
  private chunkRows(g: AnalyzedGraph = this.g): number {
    const largest = Math.max(1, ...g.layers.map((l) => l.outputShape.reduce((a, b) => a * b, 1)));
    return Math.max(1, Math.min(4096, Math.floor(ACTIVATION_BUDGET / largest)));
  }

  /** Class probabilities [count, classes] (softmax of logits for a 'linear' output). */
  predict(samples: SampleValues, count: number): Float32Array {
    const C = this.classes;
    const out = new Float32Array(count * C);
    // Samples whose base features are cached (the validation set of a head fine-tune): the head only.
    const plan = this.featurePlan();
    const cached = plan ? this.featureSets.get(samples) : undefined;
    const g = plan && cached && cached.count === count ? plan.head : this.g;
    const size = g === this.g ? this.inputSize : (plan as FeatureCachePlan).featureSize;
    const chunk = this.chunkRows(g);
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const x = (): tf.Tensor =>
        g === this.g ? this.inputTensor(samples.subarray(start * size, (start + n) * size), n) : tf.tensor((cached as { data: Float32Array }).data.subarray(start * size, (start + n) * size), [n, ...g.inputShape], 'float32');
      const y = tf.tidy(() => this.forward(g, this.weightsOf, x()));
      const z = y.dataSync() as Float32Array;
      y.dispose();
      out.set(this.outputIsSoftmax ? z : softmaxRows(z.slice(), n, C), start * C);
    }
    return out;
  }

  evaluate(samples: SampleValues, labels: ArrayLike<number>, count: number): EvalResult {
    if (count === 0) {
      return { loss: NaN, accuracy: NaN };
    }
    const p = this.predict(samples, count);
    const { lossSum, correct } = lossAndCorrect(p, labels, count, this.classes);
    return { loss: lossSum / count, accuracy: correct / count };
  }

  /** A copy of the current weights as a graph named `name`. */
  getModel(name: string): ModelGraph {
    const g = cloneGraph(this.g.graph, name);
    for (const l of g.layers) {
      const slots = this.byNode.get(l.name) ?? [];
      l.weights.forEach((w, i) => {
        w.data = slots[i].data.slice();
      });
    }
    return g;
  }

  private disposeVariables(): void {
    for (const s of this.slots) {
      s.variable.dispose();
    }
  }

  dispose(): void {
    this.disposeVariables();
    this.slots = [];
    this.byNode.clear();
    this.xBuf = new Float32Array(0);
  }
}
