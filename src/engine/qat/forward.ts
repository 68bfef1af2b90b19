/**
 * The quantization-aware forward pass: the graph's own forward (each layer's kind), with
 * fake quantization inserted exactly where the full-int8 export quantizes:
 * - the int8 weights of every layer kind that declares them (LayerKind.int8Weights), per
 *   channel or per tensor as quantize.perChannel writes them, with the export's arithmetic;
 * - every activation tensor the lowered model keeps (Lowered.sites: the input, each layer
 *   output that survives BatchNormalization folding and ReLU fusion, a Dense's logits before
 *   an unfused SOFTMAX), with asymmetric int8 parameters from moving-average ranges;
 * - not the outputs of MAX_POOL / RESHAPE / PAD / CONCATENATION and friends, which share their
 *   input's parameters in the export (quantizing them again would be a no-op or a mismatch);
 * - outputs with fixed parameters (SOFTMAX / LOGISTIC 1/256, TANH 1/128) only when not
 *   training (as tfmot, which quantizes before those activations, never after them).
 *
 * Ranges (tfmot's MovingAverageQuantizer): in training each batch's min and max (widened to
 * include 0) update an exponential moving average, ema ← ema − (ema − batch)·(1 − decay),
 * and the batch is quantized with the updated range; in inference the ranges are frozen.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnalyzedGraph } from '../graph/analyze';
import { layerTraining, type GraphForwardOptions } from '../graph/forward';
import type { LayerNode, ModelGraph } from '../graph/types';
import { applyActivation, type ActivationName } from '../layers/common/activations';
import { kindOfNode } from '../layers/registry';
import { foldInputAffine } from '../export/tflite/foldInput';
import { INPUT_SITE, lowerGraph, preActivationSite } from '../export/tflite/lower';
import { activationParams, FIXED_OUTPUT } from '../export/tflite/quantizeLowered';
import { graphToMlp } from '../graph/mlp';
import { asymmetricParams, type AffineParams } from '../quantize/int8';
import { fakeQuantActivation, fakeQuantWeight, fakeQuantWeightValues, type WeightArithmetic } from './fakeQuant';

export interface Range {
  min: number;
  max: number;
}

/** Ops whose output shares its input's quantization parameters in the export. */
const SHARED = new Set(['maxPool', 'avgPool', 'reshape', 'pad', 'reduceMax', 'concat']);

/** Where a model is fake-quantized: which sites carry their own range, which have fixed parameters. */
export interface QatPlan {
  /** Sites with a trained range, in forward order (':input', 'conv2d', 'dense:pre', …). */
  trained: string[];
  /** Sites with the export's fixed parameters (a softmax output). */
  fixed: Map<string, AffineParams>;
  /** Per layer name: weight index → quantization channels (null = per tensor). */
  weights: Map<string, Map<number, number | null>>;
  /** Layers whose value before the activation is quantized (the activation is applied after it). */
  preActivation: Set<string>;
  perChannel: boolean;
  /** The writer that will export the model: the Dense-stack writer rounds weights and ranges slightly differently. */
  arithmetic: WeightArithmetic;
}

/** Works out the plan from the model's TFLite lowering, so training and export agree on every tensor. */
export function planQat(graph: ModelGraph, perChannel: boolean): QatPlan {
  // The full-int8 export folds a leading Rescaling / normalisation into the readers' weights
  // (foldInput.ts): its output is then no int8 tensor, so it is not fake-quantized either.
  const unfolded = lowerGraph(graph);
  const lowered = foldInputAffine(unfolded)?.lowered ?? unfolded;
  const producer = new Map(lowered.ops.map((o) => [o.output, o.type]));
  const sites = lowered.sites ?? {};
  const owned = new Set<number>();
  const trained: string[] = [];
  const fixed = new Map<string, AffineParams>();
  const preActivation = new Set<string>();
  const consider = (site: string): void => {
    const t = sites[site];
    if (t === undefined || owned.has(t)) {
      return;
    }
    owned.add(t);
    const type = producer.get(t);
    const f = type ? FIXED_OUTPUT[type] : undefined;
    if (f) {
      fixed.set(site, f);
    } else if (t === lowered.input || (type !== undefined && !SHARED.has(type))) {
      trained.push(site);
    }
  };
  consider(INPUT_SITE);
  const weights = new Map<string, Map<number, number | null>>();
  for (const node of graph.layers) {
    const pre = preActivationSite(node.name);
    if (sites[pre] !== undefined && !owned.has(sites[pre])) {
      preActivation.add(node.name);
      consider(pre);
    }
    consider(node.name);
    const specs = kindOfNode(node).int8Weights ?? [];
    const m = new Map<number, number | null>();
    for (const s of specs) {
      const i = node.weights.findIndex((w) => w.name === s.weight);
      if (i >= 0) {
        m.set(i, perChannel ? s.channels(node.weights[i].shape) : null);
      }
    }
    if (m.size) {
      weights.set(node.name, m);
    }
  }
  return { trained, fixed, weights, preActivation, perChannel, arithmetic: graphToMlp(graph).model ? 'dense-stack' : 'graph' };
}

export type QatMode = 'observe' | 'quantize';

/** The moving-average ranges and the switch between observing (initial calibration) and quantizing. */
export class QatState {
  readonly ranges = new Map<string, Range>();
  /** 'observe' records min/max without quantizing activations (weights are still quantized). */
  mode: QatMode = 'quantize';
  constructor(
    readonly plan: QatPlan,
    readonly decay: number,
  ) {}

  params(site: string): AffineParams {
    const r = this.ranges.get(site) ?? { min: 0, max: 0 };
    return this.plan.arithmetic === 'dense-stack' ? asymmetricParams(r.min, r.max) : activationParams(r.min, r.max);
  }

  /** The trained ranges, for the exporter (by site). */
  toRecord(): Record<string, Range> {
    return Object.fromEntries([...this.ranges].map(([k, r]) => [k, { ...r }]));
  }
}

function batchRange(x: tf.Tensor): Range {
  const lo = tf.min(x);
  const hi = tf.max(x);
  const r = { min: Math.min(0, lo.dataSync()[0]), max: Math.max(0, hi.dataSync()[0]) };
  tf.dispose([lo, hi]);
  return r;
}

/** A forward function with `forwardGraph`'s signature that fake-quantizes per `state`. */
export function qatForward(state: QatState): (g: AnalyzedGraph, weights: (node: LayerNode) => tf.Tensor[], x: tf.Tensor, opts?: GraphForwardOptions) => tf.Tensor {
  const plan = state.plan;
  const trained = new Set(plan.trained);
  return (g, weights, x, opts = {}) => {
    const training = opts.training ?? false;
    const quant = (site: string, y: tf.Tensor): tf.Tensor => {
      const f = plan.fixed.get(site);
      if (f) {
        return training || state.mode === 'observe' ? y : fakeQuantActivation(y, f);
      }
      if (!trained.has(site)) {
        return y;
      }
      if (state.mode === 'observe') {
        const b = batchRange(y);
        const r = state.ranges.get(site);
        state.ranges.set(site, r ? { min: Math.min(r.min, b.min), max: Math.max(r.max, b.max) } : b);
        return y;
      }
      if (training) {
        const b = batchRange(y);
        const r = state.ranges.get(site) ?? b;
        const k = 1 - state.decay;
        state.ranges.set(site, { min: r.min - (r.min - b.min) * k, max: r.max - (r.max - b.max) * k });
      }
      return fakeQuantActivation(y, state.params(site));
    };
    const outs = new Map<string, tf.Tensor>();
    const input = quant(INPUT_SITE, x);
    g.layers.forEach((l, i) => {
      const node = l.node;
      const inputs = node.inbound.length === 0 ? [input] : node.inbound.map((n) => outs.get(n) as tf.Tensor);
      const wq = plan.weights.get(node.name);
      const ws = weights(node).map((w, j) => {
        if (!wq?.has(j)) {
          return w;
        }
        const { values } = fakeQuantWeightValues(w.dataSync() as Float32Array, wq.get(j) ?? null, plan.arithmetic);
        return fakeQuantWeight(w, values);
      });
      const update = opts.update;
      const ctx = {
        seed: opts.seed === undefined ? undefined : opts.seed + i,
        update: update ? (name: string, value: tf.Tensor) => update(node, name, value) : undefined,
      };
      let y: tf.Tensor;
      if (plan.preActivation.has(node.name)) {
        const activation = node.config.activation as ActivationName;
        y = l.kind.forward({ ...node.config, activation: 'linear' }, ws, inputs, layerTraining(l, training), ctx);
        y = applyActivation(activation, quant(preActivationSite(node.name), y));
      } else {
        y = l.kind.forward(node.config, ws, inputs, layerTraining(l, training), ctx);
      }
      outs.set(node.name, quant(node.name, y));
    });
    return outs.get(g.graph.outputs[0]) as tf.Tensor;
  };
}
