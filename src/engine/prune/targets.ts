/**
 * Which weights pruning masks (tfmot's prunable kernels): Dense and Conv2D 'kernel',
 * DepthwiseConv2D 'depthwise_kernel', SeparableConv2D 'depthwise_kernel' and
 * 'pointwise_kernel' — whatever each layer kind declares `prunable`. Biases, BatchNormalization
 * and every other weight are never masked.
 *
 * `prune.layers`: 'last' (the last layer with prunable weights, the reference's choice),
 * 'all', a list of layer names, or a map layer name → target sparsity (per-layer targets).
 * "last" and "all" count only layers that train; frozen layers are pruned only when named.
 */
import { BadInputError } from '../errors';
import { analyzeGraph } from '../graph/analyze';
import { isTrainableLayer, type ModelGraph } from '../graph/types';
import { weightKey } from '../train/trainer';
import type { MaskOptions } from './mask';

export interface PruneTarget {
  layer: string;
  weight: string;
  /** 'layer/weight'. */
  key: string;
  /** How reports name it: the layer name when the layer has one prunable weight, else the key. */
  label: string;
  shape: number[];
  /** The 2-D view masks are computed on (see maskView). */
  rows: number;
  cols: number;
  /** Per-layer target sparsity from a `prune.layers` map; undefined = the schedule's. */
  finalSparsity?: number;
}

export type LayerSelection = 'last' | 'all' | string[] | Record<string, number>;

/**
 * tfmot computes block masks on the squeezed kernel when it is 2-D (Dense [in, out], a 1×1
 * pointwise kernel) and falls back to element-wise masks otherwise; element-wise masks do
 * not depend on the view. The view here is [rows, cols] of the squeezed kernel, or
 * [values / last, last] with `blockOk` false for kernels that do not squeeze to 2-D.
 */
export function maskView(shape: number[]): { rows: number; cols: number; blockOk: boolean } {
  const squeezed = shape.filter((d) => d !== 1);
  if (squeezed.length === 2) {
    return { rows: squeezed[0], cols: squeezed[1], blockOk: true };
  }
  const cols = shape[shape.length - 1];
  return { rows: shape.reduce((a, b) => a * b, 1) / cols, cols, blockOk: false };
}

/** The mask options for one target: block / m-by-n only where tfmot applies them. */
export function maskOptionsFor(t: PruneTarget, opts: MaskOptions): MaskOptions {
  if (maskView(t.shape).blockOk) {
    return opts;
  }
  if (opts.sparsityMN) {
    throw new BadInputError(`prune.sparsityMN applies to 2-D kernels (Dense, 1×1 pointwise); '${t.key}' has shape [${t.shape.join(', ')}]. Leave ${t.layer} out of prune.layers or turn sparsityMN off.`, 'prune.sparsityMN');
  }
  return { ...opts, blockSize: [1, 1] };
}

export function selectPruneTargets(graph: ModelGraph, selection: LayerSelection): PruneTarget[] {
  const a = analyzeGraph(graph);
  const prunableLayers = a.layers.filter((l) => l.kind.prunable.length > 0);
  const names = prunableLayers.map((l) => l.node.name);
  if (names.length === 0) {
    throw new BadInputError(`The model has no prunable layers (Dense, Conv2D, DepthwiseConv2D, SeparableConv2D).`, 'prune.layers');
  }
  // "last" and "all" mean the layers that train: a frozen layer (trainable false, train.freeze)
  // is kept dense unless named, because a masked layer that cannot train cannot recover.
  const trainableNames = prunableLayers.filter((l) => isTrainableLayer(l.node)).map((l) => l.node.name);
  if ((selection === 'last' || selection === 'all') && trainableNames.length === 0) {
    throw new BadInputError(
      `prune.layers is "${selection}", but every prunable layer is frozen (trainable: false or train.freeze), so pruning would zero weights that can never recover. Name the frozen layers to prune in prune.layers (they are then fine-tuned while pruned), or freeze fewer layers. Prunable layers: ${names.join(', ')}`,
      'prune.layers',
    );
  }
  let chosen: { name: string; sparsity?: number }[];
  if (selection === 'last') {
    chosen = [{ name: trainableNames[trainableNames.length - 1] }];
  } else if (selection === 'all') {
    chosen = trainableNames.map((name) => ({ name }));
  } else if (Array.isArray(selection)) {
    if (selection.length === 0) {
      throw new BadInputError(`prune.layers must be "last", "all", a non-empty list of layer names or a map of layer names to sparsities (prunable layers: ${names.join(', ')})`, 'prune.layers');
    }
    chosen = [...new Set(selection)].map((name) => ({ name }));
  } else if (selection && typeof selection === 'object') {
    chosen = Object.entries(selection).map(([name, sparsity]) => {
      if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity < 1)) {
        throw new BadInputError(`prune.layers.${name}: the target sparsity must be a number in [0, 1), got ${JSON.stringify(sparsity)}`, `prune.layers.${name}`);
      }
      return { name, sparsity };
    });
    if (chosen.length === 0) {
      throw new BadInputError(`prune.layers is an empty map; name at least one layer (prunable layers: ${names.join(', ')})`, 'prune.layers');
    }
  } else {
    throw new BadInputError(`prune.layers must be "last", "all", a list of layer names or a map of layer names to sparsities`, 'prune.layers');
  }
  const out: PruneTarget[] = [];
  for (const c of chosen) {
    const l = a.byName.get(c.name);
    if (!l || l.kind.prunable.length === 0) {
      const why = l ? `it is a ${l.node.className}, which has no prunable weights` : 'the model has no such layer';
      throw new BadInputError(`Layer "${c.name}" in prune.layers cannot be pruned: ${why}. Prunable layers: ${names.join(', ')}`, 'prune.layers');
    }
  }
  // In model order, whatever order the selection named them in.
  for (const l of prunableLayers) {
    const c = chosen.find((x) => x.name === l.node.name);
    if (!c) {
      continue;
    }
    for (const w of l.node.weights.filter((x) => l.kind.prunable.includes(x.name))) {
      const v = maskView(w.shape);
      const key = weightKey(l.node.name, w.name);
      out.push({ layer: l.node.name, weight: w.name, key, label: l.kind.prunable.length === 1 ? l.node.name : key, shape: [...w.shape], rows: v.rows, cols: v.cols, ...(c.sparsity !== undefined ? { finalSparsity: c.sparsity } : {}) });
    }
  }
  return out;
}
