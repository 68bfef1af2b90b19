/**
 * The sparsity sweep's trade-off table (`<out>/sweep/sweep.json`, the run record's `sweep`)
 * and the pure functions that mark its Pareto front and pick the file to deploy. No imports
 * besides types, so the engine, the CLI and the webview (a trade-off chart) share them.
 */
import type { ModelReport } from './engine';

/**
 * One measured file of a sweep: a (sparsity, format) point. The file's measurements are the
 * comparison table's (`variant` is the TFLite variant: 'float32', 'dynamic-int8', 'full-int8', …;
 * `path` is relative to the output folder, POSIX; `accuracyDelta` is a fraction, 0.01 = 1 point).
 */
export interface SweepRow
  extends Pick<ModelReport, 'model' | 'variant' | 'path' | 'bytes' | 'gzipBytes' | 'params' | 'nonzeros' | 'accuracy' | 'accuracyDelta' | 'latencyUs'> {
  /** Pruning target of the model (0 = the unpruned baseline). */
  targetSparsity: number;
  /** Kernel sparsity of the whole model measured from the saved file (zeros / kernel weights). */
  measuredSparsity: number;
  /** No other row is at most as large (gzip) and at least as accurate, and strictly better in one. */
  pareto: boolean;
}

export interface SweepSummary {
  version: 1;
  /** False while points are still running (a cancelled sweep keeps the points it finished). */
  complete: boolean;
  sparsities: number[];
  layers: 'last' | 'all' | string[];
  variants: string[];
  epochs: number;
  baselineAccuracy: number | null;
  /** The accuracy budget of the recommendation (fraction). */
  maxAccuracyDrop: number;
  rows: SweepRow[];
  /** Path of the smallest file (gzip) within the budget, or null when none is. */
  recommended: string | null;
  /** The recommendation in one sentence. */
  recommendation: string;
  /** deploy.target as a constraint: only files that fit it, meet its latency budget and run there were considered. */
  target?: { name: string; maxLatencyMs: number | null; excluded: { path: string; reason: string }[] };
}

/**
 * Marks the Pareto-optimal rows: smallest gzip size for a given accuracy. A row is dominated
 * when another row is no larger and no less accurate, and strictly better in one of the two.
 * Rows without an accuracy are never optimal.
 */
export function markPareto<T extends { gzipBytes: number; accuracy: number | null }>(rows: readonly T[]): boolean[] {
  return rows.map((r) => {
    if (r.accuracy === null) {
      return false;
    }
    const acc = r.accuracy;
    return !rows.some((o) => o !== r && o.accuracy !== null && o.gzipBytes <= r.gzipBytes && o.accuracy >= acc && (o.gzipBytes < r.gzipBytes || o.accuracy > acc));
  });
}

/**
 * The row to deploy under an accuracy budget: the smallest gzip size among rows whose accuracy
 * is at least `baseline − maxDrop` (ties: the more accurate, then the first). Always a Pareto row.
 */
export function recommendRow<T extends { gzipBytes: number; accuracy: number | null }>(rows: readonly T[], baselineAccuracy: number | null, maxDrop: number): T | null {
  if (baselineAccuracy === null) {
    return null;
  }
  // A tiny tolerance so "exactly 1 point lower" counts as within 1 point despite float rounding.
  const floor = baselineAccuracy - maxDrop - 1e-9;
  let best: T | null = null;
  for (const r of rows) {
    if (r.accuracy === null || r.accuracy < floor) {
      continue;
    }
    if (!best || r.gzipBytes < best.gzipBytes || (r.gzipBytes === best.gzipBytes && r.accuracy > (best.accuracy ?? -1))) {
      best = r;
    }
  }
  return best;
}

/** Kernel sparsity of a whole model from a report row (per-layer sparsities weighted by kernel size). */
export function overallKernelSparsity(row: Pick<ModelReport, 'layers'>, kernelSizes: number[]): number {
  let zeros = 0;
  let total = 0;
  row.layers.forEach((l, i) => {
    const n = kernelSizes[i] ?? 0;
    zeros += l.sparsity * n;
    total += n;
  });
  return total > 0 ? zeros / total : 0;
}
