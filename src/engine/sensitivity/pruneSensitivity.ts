/**
 * Pruning sensitivity: for each prunable layer, the model's accuracy with only that layer's
 * kernel(s) magnitude-pruned to each sparsity (tfmot's element-wise mask rule, mask.ts), every
 * other layer dense, no fine-tuning — the one-shot sensitivity scan of Han et al. / Distiller.
 */
import type { PruneSensitivityRow } from '../../protocol/sensitivity';
import type { SampleSet } from '../data/dataset';
import type { ModelGraph, WeightTensor } from '../graph/types';
import { magnitudeMask } from '../prune/mask';
import { selectPruneTargets } from '../prune/targets';
import { graphAccuracy } from './accuracy';

/** `w` with its smallest-magnitude values zeroed to `sparsity` (a new tensor). */
export function prunedCopy(w: WeightTensor, sparsity: number): WeightTensor {
  if (sparsity <= 0) {
    return w;
  }
  const { mask } = magnitudeMask(w.data, sparsity);
  return { ...w, data: w.data.map((v, i) => (mask[i] === 0 ? 0 : v)) };
}

export interface PruneScanOptions {
  sparsities: readonly number[];
  baselineAccuracy: number;
  /** Called before each evaluation (cancel checks, progress). */
  onStep?: (done: number, total: number, what: string) => void;
}

export function pruneSensitivity(graph: ModelGraph, test: SampleSet, opts: PruneScanOptions): PruneSensitivityRow[] {
  const targets = selectPruneTargets(graph, 'all');
  const layers = [...new Set(targets.map((t) => t.layer))];
  const total = layers.length * opts.sparsities.length;
  let done = 0;
  return layers.map((name) => {
    const node = graph.layers.find((l) => l.name === name)!;
    const keys = new Set(targets.filter((t) => t.layer === name).map((t) => t.weight));
    const accuracy = opts.sparsities.map((s) => {
      opts.onStep?.(done++, total, `${name} at sparsity ${s}`);
      const weights = node.weights.map((w) => (keys.has(w.name) ? prunedCopy(w, s) : w));
      const probe: ModelGraph = { ...graph, layers: graph.layers.map((l) => (l === node ? { ...l, weights } : l)) };
      return graphAccuracy(probe, test);
    });
    return {
      layer: name,
      className: node.className,
      weights: node.weights.filter((w) => keys.has(w.name)).reduce((n, w) => n + w.data.length, 0),
      accuracy,
      drop: accuracy.map((a) => opts.baselineAccuracy - a),
    };
  });
}
