/**
 * The sweep's trade-off table: rows from the measured report rows, Pareto marks, the
 * recommendation under the accuracy budget, and `<out>/sweep/sweep.md` + `sweep.json`.
 */
import * as path from 'node:path';
import type { ModelReport } from '../../protocol/engine';
import { markPareto, overallKernelSparsity, recommendRow } from '../../protocol/sweep';
import type { SweepRow, SweepSummary } from '../../protocol/sweep';
import { writeFilesAtomic } from '../util/atomic';
import { formatBytes } from '../../protocol/format';

export interface SweepTableInput {
  complete: boolean;
  sparsities: number[];
  layers: SweepSummary['layers'];
  variants: string[];
  epochs: number;
  maxAccuracyDrop: number;
  /** Kernel sizes of the model's layers, in order (to weigh per-layer sparsity). */
  kernelSizes: number[];
  /** Report rows with targetSparsity set; the first is the float32 baseline. */
  rows: ModelReport[];
  /** deploy.target as a constraint on the recommendation (engine/deploy/constraint.ts), or absent. */
  deploy?: { target: string; maxLatencyMs: number | null; check: (path: string) => { ok: boolean; reason: string } };
}

export function buildSweepSummary(input: SweepTableInput): SweepSummary {
  const baselineAccuracy = input.rows[0]?.accuracy ?? null;
  const pareto = markPareto(input.rows);
  const rows: SweepRow[] = input.rows.map((r, i) => ({
    targetSparsity: r.targetSparsity ?? 0,
    measuredSparsity: Math.round(overallKernelSparsity(r, input.kernelSizes) * 1e6) / 1e6,
    model: r.model,
    variant: r.variant,
    path: r.path,
    bytes: r.bytes,
    gzipBytes: r.gzipBytes,
    params: r.params,
    nonzeros: r.nonzeros,
    accuracy: r.accuracy,
    accuracyDelta: r.accuracyDelta,
    latencyUs: r.latencyUs,
    pareto: pareto[i],
  }));
  const verdicts = input.deploy ? rows.map((r) => input.deploy!.check(r.path)) : null;
  const eligible = verdicts ? rows.filter((_, i) => verdicts[i].ok) : rows;
  const best = recommendRow(eligible, baselineAccuracy, input.maxAccuracyDrop);
  const target = input.deploy
    ? { name: input.deploy.target, maxLatencyMs: input.deploy.maxLatencyMs, excluded: rows.flatMap((r, i) => (verdicts![i].ok ? [] : [{ path: r.path, reason: verdicts![i].reason }])) }
    : undefined;
  return {
    version: 1,
    complete: input.complete,
    sparsities: input.sparsities,
    layers: input.layers,
    variants: input.variants,
    epochs: input.epochs,
    baselineAccuracy,
    maxAccuracyDrop: input.maxAccuracyDrop,
    rows,
    recommended: best?.path ?? null,
    recommendation: recommendationText(rows, best, baselineAccuracy, input.maxAccuracyDrop, target),
    ...(target ? { target } : {}),
  };
}

function pct(x: number | null, digits = 2): string {
  return x === null ? '—' : `${(x * 100).toFixed(digits)} %`;
}

function points(x: number): string {
  const p = Math.round(x * 10000) / 100;
  return `${p} point${p === 1 ? '' : 's'}`;
}

function signedPt(x: number | null): string {
  if (x === null) {
    return '—';
  }
  const p = x * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(2)} pt`;
}

function recommendationText(rows: SweepRow[], best: SweepRow | null, baselineAccuracy: number | null, maxDrop: number, target?: SweepSummary['target']): string {
  const base = rows[0];
  if (!base || baselineAccuracy === null) {
    return 'No recommendation: the baseline was not evaluated.';
  }
  const on = target ? ` for ${target.name} (deploy.target${target.maxLatencyMs !== null ? `, ${target.maxLatencyMs} ms budget` : ''}; ${target.excluded.length} of ${rows.length} files do not fit or run there)` : '';
  if (!best && target) {
    return `No file both fits ${target.name} (flash, RAM${target.maxLatencyMs !== null ? ', latency' : ''}, TFLite Micro) and stays within ${points(maxDrop)} of the baseline accuracy (${pct(baselineAccuracy)}); see the deploy report of the full-int8 files, or change deploy.target or sweep.maxAccuracyDrop.`;
  }
  if (!best) {
    return `No file stays within ${points(maxDrop)} of the baseline accuracy (${pct(baselineAccuracy)}); deploy the float32 baseline ${base.path} or raise sweep.maxAccuracyDrop.`;
  }
  const ratio = base.gzipBytes / best.gzipBytes;
  return (
    `Deploy ${best.path}${on}: the smallest file (gzip ${formatBytes(best.gzipBytes)}, ${ratio.toFixed(1)}× smaller than the float32 baseline's ${formatBytes(base.gzipBytes)}) ` +
    `within ${points(maxDrop)} of the baseline accuracy: ${pct(best.accuracy)} vs ${pct(baselineAccuracy)} (${signedPt(best.accuracyDelta)}).`
  );
}

export function renderSweepMarkdown(s: SweepSummary): string {
  const lines = ['# Sparsity sweep: size vs accuracy', ''];
  if (!s.complete) {
    lines.push('**Incomplete**: the sweep stopped before every point ran; the table shows the points that finished.', '');
  }
  lines.push(
    `Each point prunes the baseline's ${Array.isArray(s.layers) ? s.layers.join(', ') : s.layers === 'all' ? 'kernels (all layers)' : 'last kernel'} to the target sparsity ` +
      `(${s.epochs} fine-tuning epoch${s.epochs === 1 ? '' : 's'}), then exports it as TFLite ${s.variants.join(', ')}. ` +
      'Sizes and sparsity are measured from the saved files, accuracy on the test set in the TFLite runtime; Δ is against the float32 baseline (first row).',
    '',
    '| Target sparsity | Measured sparsity | File | Variant | gzip | Raw | Non-zeros | Accuracy | Δ accuracy | Latency (µs) | Pareto |',
    '|---:|---:|---|---|---:|---:|---:|---:|---:|---:|:---:|',
  );
  for (const r of s.rows) {
    lines.push(
      `| ${pct(r.targetSparsity, 0)} | ${pct(r.measuredSparsity, 1)} | ${r.path} | ${r.variant} | ${formatBytes(r.gzipBytes)} | ${formatBytes(r.bytes)} | ${r.nonzeros} | ${pct(r.accuracy)} | ${signedPt(r.accuracyDelta)} | ${r.latencyUs === null ? '—' : r.latencyUs.toFixed(1)} | ${r.pareto ? '★' : ''} |`,
    );
  }
  lines.push(
    '',
    '★ Pareto-optimal: no other file is at most as large (gzip) and at least as accurate while better in one of the two. The files to consider are the ★ rows; for every other row some ★ row is at least as small and at least as accurate.',
    '',
    'Measured sparsity counts zero weights in the file: in int8 files it includes the small weights that quantize to zero, so an unpruned int8 model shows a few percent.',
    '',
    `**Recommendation** (accuracy budget ${points(s.maxAccuracyDrop)}, \`sweep.maxAccuracyDrop\`): ${s.recommendation}`,
    '',
  );
  if (s.target && s.target.excluded.length > 0) {
    lines.push(`Not considered for ${s.target.name} (\`deploy.target\`):`, '', ...s.target.excluded.map((x) => `- ${x.path}: ${x.reason}`), '');
  }
  return lines.join('\n');
}

/** Writes sweep.json and sweep.md together (both renamed only when both were written). */
export async function writeSweepFiles(dir: string, s: SweepSummary): Promise<{ json: number; md: number }> {
  const json = `${JSON.stringify(s, null, 2)}\n`;
  const md = renderSweepMarkdown(s);
  await writeFilesAtomic([
    { path: path.join(dir, 'sweep.md'), data: md },
    { path: path.join(dir, 'sweep.json'), data: json },
  ]);
  return { json: Buffer.byteLength(json), md: Buffer.byteLength(md) };
}
