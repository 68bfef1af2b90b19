/**
 * The trade-off view of a run's comparison rows: gzip size against test accuracy, one point
 * per model file, its Pareto front, the baseline accuracy and (sweeps) the file to deploy.
 * No DOM and no Chart.js here: the chart (tradeoffChart.ts) only draws what this computes.
 */
import type { ModelReport } from '../protocol/engine';
import { markPareto, recommendRow } from '../protocol/sweep';
import type { PanelRun } from './model';

export interface TradeoffPoint {
  /** Path relative to the output folder, as the engine reported it. */
  path: string;
  /** Short file name for labels and tooltips. */
  file: string;
  /** Colour / legend group: the variant, with the format when a run mixes formats. */
  group: string;
  /** Kernel sparsity of the file's model: the sweep target, else the largest measured per layer. */
  sparsity: number;
  /**
   * The label beside the point: its sparsity in a sweep (what tells the points apart there);
   * elsewhere its variant (all files of a pipeline share one sparsity, and '50 %' on every
   * point says nothing), with the sparsity added when the files' sparsities differ.
   */
  label: string;
  /** Gzip size in KiB (x). */
  kib: number;
  rawKib: number;
  /** Test accuracy (y), fraction. */
  accuracy: number;
  accuracyDelta: number | null;
  pareto: boolean;
  recommended: boolean;
}

export interface Tradeoff {
  points: TradeoffPoint[];
  /** Legend groups in first-seen order. */
  groups: string[];
  /** The Pareto-optimal points, by increasing size. */
  front: TradeoffPoint[];
  /** Accuracy of the float32 baseline, when the rows tell it. */
  baseline: number | null;
  recommended: TradeoffPoint | null;
  /** One sentence for a sweep (the engine's when the run record carries it); null otherwise. */
  recommendation: string | null;
}

const FORMAT_LABEL: Record<ModelReport['format'], string> = {
  tfjs: 'TF.js',
  'tfjs-quantized': 'TF.js',
  'keras-h5': 'Keras H5',
  tflite: 'TFLite',
};

export function fileName(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  const last = parts[parts.length - 1] ?? p;
  return last === 'model.json' && parts.length > 1 ? `${parts[parts.length - 2]}/` : last;
}

export function rowSparsity(r: ModelReport): number {
  if (r.targetSparsity !== undefined) {
    return r.targetSparsity;
  }
  return r.layers.reduce((m, l) => Math.max(m, l.sparsity), 0);
}

/** "50 %", "87.5 %". */
export function sparsityLabel(s: number): string {
  return `${+(s * 100).toFixed(1)} %`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

/** Baseline accuracy: every row's accuracy minus its Δ to the float32 baseline. */
function baselineOf(rows: ModelReport[]): number | null {
  const r = rows.find((x) => x.accuracy !== null && x.accuracyDelta !== null);
  return r && r.accuracy !== null && r.accuracyDelta !== null ? Math.round((r.accuracy - r.accuracyDelta) * 1e6) / 1e6 : null;
}

/** Null when the run has fewer than two evaluated files (nothing to trade off). */
export function buildTradeoff(run: Pick<PanelRun, 'job' | 'status' | 'report' | 'sweep' | 'maxAccuracyDrop'>): Tradeoff | null {
  const rows = run.report.filter((r): r is ModelReport & { accuracy: number } => r.accuracy !== null && r.gzipBytes > 0);
  if (rows.length < 2) {
    return null;
  }
  const mixed = new Set(rows.map((r) => FORMAT_LABEL[r.format] ?? r.format)).size > 1;
  const pareto = markPareto(rows);
  const baseline = run.sweep?.baselineAccuracy ?? baselineOf(rows);
  let recommendedPath: string | null = null;
  let recommendation: string | null = null;
  if (run.sweep) {
    recommendedPath = run.sweep.recommended;
    recommendation = run.sweep.recommendation;
  } else if (run.job === 'sweep' && run.maxAccuracyDrop !== null) {
    const best = recommendRow(rows, baseline, run.maxAccuracyDrop);
    const budget = `${+(run.maxAccuracyDrop * 100).toFixed(2)} point${run.maxAccuracyDrop === 0.01 ? '' : 's'}`;
    recommendedPath = best?.path ?? null;
    recommendation = best
      ? `${run.status === 'running' ? 'So far the' : 'The'} smallest file within ${budget} of the baseline is ${fileName(best.path)}: ${(best.gzipBytes / 1024).toFixed(1)} KiB gzip, ${pct(best.accuracy)} test accuracy.`
      : `No file is within ${budget} of the baseline${run.status === 'running' ? ' yet' : ''}.`;
  }
  const sweepRows = run.job === 'sweep' || rows.some((r) => r.targetSparsity !== undefined);
  const sparsities = new Set(rows.map((r) => sparsityLabel(rowSparsity(r))));
  const labelOf = (r: ModelReport, group: string): string => (sweepRows ? sparsityLabel(rowSparsity(r)) : sparsities.size > 1 ? `${group} · ${sparsityLabel(rowSparsity(r))}` : group);
  const points: TradeoffPoint[] = rows.map((r, i) => ({
    path: r.path,
    file: fileName(r.path),
    group: mixed ? `${FORMAT_LABEL[r.format] ?? r.format} ${r.variant}` : r.variant,
    label: labelOf(r, mixed ? `${FORMAT_LABEL[r.format] ?? r.format} ${r.variant}` : r.variant),
    sparsity: rowSparsity(r),
    kib: r.gzipBytes / 1024,
    rawKib: r.bytes / 1024,
    accuracy: r.accuracy,
    accuracyDelta: r.accuracyDelta,
    pareto: pareto[i],
    recommended: r.path === recommendedPath,
  }));
  return {
    points,
    groups: [...new Set(points.map((p) => p.group))],
    front: points.filter((p) => p.pareto).sort((a, b) => a.kib - b.kib),
    baseline,
    recommended: points.find((p) => p.recommended) ?? null,
    recommendation,
  };
}
