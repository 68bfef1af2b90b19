/**
 * Structured pruning (issue 16): whole neurons of Dense layers and whole filters of Conv2D
 * layers are removed — the graph really gets smaller, in every format — instead of zeroed.
 * Each layer's output channels are ranked by the L1 or L2 norm of their kernel weights (Li et
 * al., "Pruning Filters for Efficient ConvNets") and the `fraction` with the smallest norms go,
 * at least one channel staying. What reads those channels follows:
 * - channel-wise layers pass the removal on: activations, Dropout, pooling, global pooling,
 *   ZeroPadding2D, scalar Rescaling, BatchNormalization (its four vectors sliced) and
 *   DepthwiseConv2D (its filters and bias for those channels sliced; each channel becomes
 *   `depth_multiplier` channels);
 * - Flatten maps channel c of every position (h, w) to its flat index ((h·W + w)·C + c);
 * - the next Dense, Conv2D or SeparableConv2D loses the matching kernel inputs, and stops it.
 * A layer whose channels reach the model's output, an Add, a Concatenate or a Reshape is not
 * eligible (the shapes there must stay). Norms are taken on the original weights of every
 * layer before anything is removed.
 */
import { BadInputError } from '../errors';
import { analyzeGraph } from '../graph/analyze';
import { cloneGraph } from '../graph/stats';
import { isTrainableLayer, type LayerNode, type ModelGraph, type WeightTensor } from '../graph/types';

export type ChannelNorm = 'l1' | 'l2';

export interface StructuredOptions {
  /** Fraction of each layer's output channels removed, in [0, 1). */
  fraction: number;
  norm: ChannelNorm;
  /** Producers to prune: 'all' eligible Dense/Conv2D layers, or names. */
  layers: 'all' | string[];
}

export interface StructuredLayerResult {
  layer: string;
  className: string;
  before: number;
  after: number;
  /** Removed channel indices (of the original layer), ascending. */
  removed: number[];
}

const PRODUCERS = new Set(['Dense', 'Conv2D']);
/** Layers that keep the channel axis and act on each channel on its own. */
const PASS = new Set(['Activation', 'ReLU', 'Dropout', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Rescaling']);

function consumers(graph: ModelGraph, name: string): LayerNode[] {
  return graph.layers.filter((l) => l.inbound.includes(name));
}

/** Why `name`'s output channels cannot be removed, or null when they can. */
export function ineligibleReason(graph: ModelGraph, name: string): string | null {
  const node = graph.layers.find((l) => l.name === name);
  if (!node) {
    return 'the model has no such layer';
  }
  if (!PRODUCERS.has(node.className)) {
    return `it is a ${node.className}; structured pruning removes Dense neurons and Conv2D filters`;
  }
  const walk = (n: string): string | null => {
    if (graph.outputs.includes(n)) {
      return n === name ? 'it is the output layer (its units are the classes)' : `its channels reach the model output through ${n}`;
    }
    const next = consumers(graph, n);
    for (const c of next) {
      if (c.className === 'Dense' || c.className === 'Conv2D' || c.className === 'SeparableConv2D') {
        continue;
      }
      if (PASS.has(c.className) || c.className === 'BatchNormalization' || c.className === 'DepthwiseConv2D' || c.className === 'Flatten') {
        const r = walk(c.name);
        if (r) {
          return r;
        }
        continue;
      }
      return `its channels feed ${c.name} (${c.className}), whose shape must stay`;
    }
    return null;
  };
  return walk(name);
}

/** L1 or L2 norm of every output channel (last axis) of a kernel. */
export function channelNorms(kernel: WeightTensor, norm: ChannelNorm): Float64Array {
  const out = kernel.shape[kernel.shape.length - 1];
  const n = new Float64Array(out);
  for (let i = 0; i < kernel.data.length; i++) {
    const v = kernel.data[i];
    n[i % out] += norm === 'l1' ? Math.abs(v) : v * v;
  }
  return norm === 'l2' ? n.map(Math.sqrt) : n;
}

/** The channels to keep: all but round(fraction·C) smallest norms (ties: the lower index goes first), at least one. */
export function keptChannels(norms: Float64Array, fraction: number): number[] {
  const c = norms.length;
  const drop = Math.min(c - 1, Math.round(fraction * c));
  const order = Array.from({ length: c }, (_, i) => i).sort((a, b) => norms[a] - norms[b] || a - b);
  const gone = new Set(order.slice(0, drop));
  return Array.from({ length: c }, (_, i) => i).filter((i) => !gone.has(i));
}

/** `w` restricted to `keep` indices along `axis`. */
function sliceAxis(w: WeightTensor, axis: number, keep: readonly number[]): WeightTensor {
  const shape = w.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = shape[axis];
  const data = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of keep) {
      data.set(w.data.subarray((a * dim + k) * inner, (a * dim + k + 1) * inner), o);
      o += inner;
    }
  }
  return { ...w, shape: shape.map((d, i) => (i === axis ? keep.length : d)), data };
}

function setWeight(node: LayerNode, name: string, fn: (w: WeightTensor) => WeightTensor): void {
  node.weights = node.weights.map((w) => (w.name === name ? fn(w) : w));
}

/** Shapes of every layer's output, per sample. */
function outputShapes(graph: ModelGraph): Map<string, number[]> {
  const a = analyzeGraph(graph);
  return new Map(a.layers.map((l) => [l.node.name, l.outputShape]));
}

/** Removes the input features `keep` (of `total`) leaves from every reader of `name`'s output, recursively through channel-wise layers. */
function propagate(graph: ModelGraph, shapes: Map<string, number[]>, name: string, keep: number[], total: number): void {
  for (const c of consumers(graph, name)) {
    switch (c.className) {
      case 'Dense':
        setWeight(c, 'kernel', (w) => sliceAxis(w, 0, keep));
        break;
      case 'Conv2D':
        setWeight(c, 'kernel', (w) => sliceAxis(w, 2, keep));
        break;
      case 'SeparableConv2D': {
        const m = Number(c.config.depthMultiplier ?? 1);
        setWeight(c, 'depthwise_kernel', (w) => sliceAxis(w, 2, keep));
        setWeight(c, 'pointwise_kernel', (w) => sliceAxis(w, 2, keep.flatMap((k) => Array.from({ length: m }, (_, j) => k * m + j))));
        break;
      }
      case 'BatchNormalization':
        for (const n of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
          setWeight(c, n, (w) => sliceAxis(w, 0, keep));
        }
        propagate(graph, shapes, c.name, keep, total);
        break;
      case 'DepthwiseConv2D': {
        const m = Number(c.config.depthMultiplier ?? 1);
        const out = keep.flatMap((k) => Array.from({ length: m }, (_, j) => k * m + j));
        setWeight(c, 'depthwise_kernel', (w) => sliceAxis(w, 2, keep));
        setWeight(c, 'bias', (w) => sliceAxis(w, 0, out));
        propagate(graph, shapes, c.name, out, total * m);
        break;
      }
      case 'Flatten': {
        const inShape = shapes.get(name) as number[];
        const positions = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
        const flat: number[] = [];
        for (let p = 0; p < positions; p++) {
          for (const k of keep) {
            flat.push(p * total + k);
          }
        }
        propagate(graph, shapes, c.name, flat, positions * total);
        break;
      }
      default:
        if (!PASS.has(c.className)) {
          throw new Error(`structured pruning: ${c.name} (${c.className}) cannot follow a channel removal`);
        }
        propagate(graph, shapes, c.name, keep, total);
    }
  }
}

/** Producer layers structured pruning may shrink, with the reason for the others. */
export function structuredTargets(graph: ModelGraph, layers: StructuredOptions['layers']): { eligible: string[]; skipped: { layer: string; reason: string }[] } {
  const producers = graph.layers.filter((l) => PRODUCERS.has(l.className)).map((l) => l.name);
  if (layers !== 'all') {
    for (const n of layers) {
      const r = ineligibleReason(graph, n);
      if (r) {
        const ok = producers.filter((p) => !ineligibleReason(graph, p));
        throw new BadInputError(`prune.structured.layers: "${n}" cannot lose channels: ${r}. Layers that can: ${ok.join(', ') || 'none'}.`, 'prune.structured.layers');
      }
    }
    return { eligible: [...layers], skipped: [] };
  }
  const eligible: string[] = [];
  const skipped: { layer: string; reason: string }[] = [];
  for (const p of producers) {
    // As magnitude pruning's "all": a frozen layer could not recover by fine-tuning, so it is kept whole unless named.
    const frozen = graph.layers.some((l) => l.name === p && !isTrainableLayer(l));
    const r = frozen ? 'frozen (trainable: false or train.freeze); name it in prune.structured.layers to shrink it anyway' : ineligibleReason(graph, p);
    if (r) {
      skipped.push({ layer: p, reason: r });
    } else {
      eligible.push(p);
    }
  }
  return { eligible, skipped };
}

/**
 * A new graph (named `name`) with the `fraction` lowest-norm output channels of every selected
 * layer removed, and the readers of those channels shrunk to match. The input graph is unchanged.
 */
export function removeChannels(graph: ModelGraph, opts: StructuredOptions, name = graph.name): { graph: ModelGraph; layers: StructuredLayerResult[]; skipped: { layer: string; reason: string }[] } {
  if (!(opts.fraction >= 0 && opts.fraction < 1)) {
    throw new BadInputError(`prune.structured.fraction must be in [0, 1), got ${opts.fraction}`, 'prune.structured.fraction');
  }
  const { eligible, skipped } = structuredTargets(graph, opts.layers);
  const g = cloneGraph(graph, name);
  const shapes = outputShapes(g);
  // Every layer's choice from its own original weights, before any slicing.
  const plans = eligible.map((layer) => {
    const node = g.layers.find((l) => l.name === layer) as LayerNode;
    const kernel = node.weights.find((w) => w.name === 'kernel') as WeightTensor;
    const norms = channelNorms(kernel, opts.norm);
    return { node, keep: keptChannels(norms, opts.fraction), total: norms.length };
  });
  const results: StructuredLayerResult[] = [];
  for (const { node, keep, total } of plans) {
    const last = (w: WeightTensor): WeightTensor => sliceAxis(w, w.shape.length - 1, keep);
    setWeight(node, 'kernel', last);
    setWeight(node, 'bias', last);
    node.config = { ...node.config, [node.className === 'Dense' ? 'units' : 'filters']: keep.length };
    propagate(g, shapes, node.name, keep, total);
    const kept = new Set(keep);
    results.push({ layer: node.name, className: node.className, before: total, after: keep.length, removed: Array.from({ length: total }, (_, i) => i).filter((i) => !kept.has(i)) });
  }
  analyzeGraph(g); // every shape and weight consistent again
  return { graph: g, layers: results, skipped };
}
