/** Text formatting for the CLI: sizes, durations, the progress bar and the comparison table. */
import type { BatchProgressEvent, ModelReport } from '../protocol/engine';
import { markPareto, recommendRow } from '../protocol/sweep';

import { formatBytes } from '../protocol/format';

export const bytes = formatBytes;
export { formatDuration as duration } from '../protocol/format';

export function pct(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`;
}

export function progressBar(e: BatchProgressEvent, width = 24): string {
  const frac = e.batches > 0 ? Math.min(1, e.batch / e.batches) : 0;
  const full = Math.round(frac * width);
  const bar = `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
  return `  ${e.stage} epoch ${e.epoch}/${e.epochs} ${bar} ${e.batch}/${e.batches}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}`;
}

/** A plain text table: first row is the header; numeric-looking cells align right. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const isNum = (s: string): boolean => /^[-+−Δ]?[\d.,]+( ?(%|B|KiB|MiB|µs|ms))?$/.test(s) || s === '—';
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (isNum(cell) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function comparisonTable(rows: ModelReport[]): string {
  const header = ['model', 'format/variant', 'raw size', 'gzip size', 'params', 'non-zeros', 'sparsity per layer', 'accuracy', 'Δ vs baseline', 'latency'];
  const body = rows.map((r) => [
    r.source === 'input' ? `${r.model} (input)` : r.model,
    `${r.format}/${r.variant}${r.floatLayers?.length ? ` (float: ${r.floatLayers.join(", ")})` : ""}`,
    bytes(r.bytes),
    bytes(r.gzipBytes),
    r.params.toLocaleString('en-US'),
    r.nonzeros.toLocaleString('en-US'),
    r.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)}%`).join(', ') || '—',
    pct(r.accuracy),
    formatAccuracyDelta(r.accuracyDelta),
    r.latencyUs === null ? '—' : `${r.latencyUs.toFixed(1)} µs`,
  ]);
  return table([header, ...body]);
}

/**
 * The sweep's trade-off table: one row per (sparsity, TFLite variant), the float32 baseline
 * first, ★ on the Pareto-optimal files, then the file to deploy under the accuracy budget.
 */
export function sweepTable(rows: ModelReport[], maxAccuracyDrop: number): string {
  const pareto = markPareto(rows);
  const baseline = rows[0]?.accuracy ?? null;
  const best = recommendRow(rows, baseline, maxAccuracyDrop);
  const header = ['sparsity', 'file', 'variant', 'gzip size', 'raw size', 'non-zeros', 'kernel sparsity', 'accuracy', 'Δ vs baseline', 'latency', 'Pareto'];
  const body = rows.map((r, i) => [
    r.targetSparsity === undefined ? '—' : `${Number((r.targetSparsity * 100).toFixed(2))} %`,
    r.path,
    r.variant,
    bytes(r.gzipBytes),
    bytes(r.bytes),
    r.nonzeros.toLocaleString('en-US'),
    r.layers.map((l) => (l.sparsity * 100).toFixed(1)).join(' / ') + ' %',
    pct(r.accuracy),
    formatAccuracyDelta(r.accuracyDelta),
    r.latencyUs === null ? '—' : `${r.latencyUs.toFixed(1)} µs`,
    `${pareto[i] ? '★' : ''}${r === best ? ' ← deploy' : ''}`,
  ]);
  const budget = `${Number((maxAccuracyDrop * 100).toFixed(2))} point(s)`;
  const note = !best
    ? `No file is within ${budget} of the baseline accuracy; keep the float32 baseline or raise sweep.maxAccuracyDrop.`
    : `Deploy ${best.path}: the smallest file (gzip ${bytes(best.gzipBytes)}${rows[0] ? `, ${(rows[0].gzipBytes / best.gzipBytes).toFixed(1)}× smaller than the float32 baseline` : ''}) within ${budget} of the baseline accuracy (${pct(best.accuracy)} vs ${pct(baseline)}).`;
  return `${table([header, ...body])}\n\n★ Pareto-optimal: no other file is at most as large (gzip) and at least as accurate.\n${note}`;
}

/** Accuracy change in percentage points ('pt'): '+0.33 pt' reads as a difference, '+0.33 %' as a ratio. */
export function formatAccuracyDelta(delta: number | null): string {
  return delta === null ? '—' : `${delta >= 0 ? '+' : '−'}${Math.abs(delta * 100).toFixed(2)} pt`;
}

/**
 * The one stderr style for a problem the user can fix, used for argument, config and run
 * errors alike: `model-optimizer: bad input in <where>: <message>` (one paragraph).
 */
export function problemText(message: string, where?: string): string {
  // A list of several config problems names each field itself.
  const prefix = where && !message.includes(`${where}:`) ? `bad input in ${where}: ` : '';
  return `model-optimizer: ${prefix}${message}\n`;
}

/** Metrics that may be NaN (val_loss without a validation split) print as '—'. */
export function metric(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '—';
}
