/**
 * The comparison table (`<out>/comparison.md` and `comparison.json`): one row per model
 * file, sizes and sparsity measured from disk, accuracy measured in the file's runtime.
 */
import * as path from 'node:path';
import type { ModelReport } from '../../protocol/engine';
import { writeFileAtomic } from '../util/atomic';
import { formatBytes } from '../../protocol/format';

function pct(x: number | null, digits = 2): string {
  return x === null ? '—' : `${(x * 100).toFixed(digits)} %`;
}

function delta(x: number | null): string {
  if (x === null) {
    return '—';
  }
  const p = x * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(2)} pt`;
}

/** Adds accuracyDelta to every row relative to `baselineAccuracy`. */
export function withDeltas(rows: ModelReport[], baselineAccuracy: number | null): ModelReport[] {
  return rows.map((r) => ({
    ...r,
    accuracyDelta: r.accuracy !== null && baselineAccuracy !== null ? Math.round((r.accuracy - baselineAccuracy) * 1e6) / 1e6 : null,
  }));
}

export function renderComparisonMarkdown(rows: ModelReport[], title = 'Model comparison'): string {
  const lines = [
    `# ${title}`,
    '',
    'Sizes and sparsity are measured from the saved files; accuracy on the test set in each file\'s runtime; Δ is against the float32 baseline.',
    '',
    '| File | Format | Variant | Size | gzip | Params | Nonzeros | Kernel sparsity | Accuracy | Δ accuracy | Latency (µs, median) | Runtime |',
    '|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const sparsity = r.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} %`).join(', ');
    lines.push(
      `| ${r.path} | ${r.format} | ${r.variant} | ${formatBytes(r.bytes)} | ${formatBytes(r.gzipBytes)} | ${r.params} | ${r.nonzeros} | ${sparsity} | ${pct(r.accuracy)} | ${delta(r.accuracyDelta)} | ${r.latencyUs === null ? '—' : r.latencyUs.toFixed(1)} | ${r.runtime} |`,
    );
  }
  return lines.join('\n') + '\n';
}

export async function writeComparison(outDir: string, rows: ModelReport[]): Promise<{ md: number; json: number }> {
  const json = await writeFileAtomic(path.join(outDir, 'comparison.json'), JSON.stringify({ version: 1, rows }, null, 2) + '\n');
  const md = await writeFileAtomic(path.join(outDir, 'comparison.md'), renderComparisonMarkdown(rows));
  return { md, json };
}
