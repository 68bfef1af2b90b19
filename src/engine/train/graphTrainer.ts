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
import { weightKey, type BatchResult, type EvalResult, type Trainer, type WeightMasks } from './trainer';
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

  constructor(graph: ModelGraph, learningRate: number, seed = 0) {
    this.lr = learningRate;
    this.rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
    this.setModel(graph, false);
  }

  /** Replaces the forward pass used in training and inference (quantization-aware training's fake-quantizing one, src/engine/qat/forward.ts). */
  setForward(fn: typeof forwardGraph): void {
    this.forward = fn;
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
  lossAndGradients(samples: SampleValues, labels: ArrayLike<number>, count: number, seed?: number): { loss: number; outputs: Float32Array; grads: Map<string, Float32Array>; updates: Map<string, Float32Array> } {
    const updates = new Map<string, Float32Array>();
    const trainable = this.slots.filter((s) => s.trainable);
    let outputs: Float32Array = new Float32Array(0);
    const res = tf.tidy(() => {
      const x = this.inputTensor(samples, count);
      const yIdx = tf.tensor1d(Int32Array.from({ length: count }, (_v, i) => labels[i]), 'int32');
      return tf.variableGrads(() => {
        const out = this.forward(this.g, this.weightsOf, x, {
          training: true,
          seed,
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
    const r = this.lossAndGradients(samples, labels, count, this.rng.int(2 ** 31));
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

  /** Rows per inference chunk so the largest activation stays within ACTIVATION_BUDGET values. */
  private predictChunk(): number {
    const largest = Math.max(1, ...this.g.layers.map((l) => l.outputShape.reduce((a, b) => a * b, 1)));
    return Math.max(1, Math.min(4096, Math.floor(ACTIVATION_BUDGET / largest)));
  }

  /** Class probabilities [count, classes] (softmax of logits for a 'linear' output). */
  predict(samples: SampleValues, count: number): Float32Array {
    const C = this.classes;
    const out = new Float32Array(count * C);
    const chunk = this.predictChunk();
    const d = this.inputSize;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const y = tf.tidy(() => this.forward(this.g, this.weightsOf, this.inputTensor(samples.subarray(start * d, (start + n) * d), n)));
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
