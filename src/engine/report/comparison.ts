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
    'Sizes and sparsity are measured from the saved files; accuracy on the test set in each file\'s runtime; Δ is against the float32 baseline (the input model, marked (input), when the run was given one).',
    '',
    '| File | Format | Variant | Size | gzip | Params | Nonzeros | Kernel sparsity | Accuracy | Δ accuracy | Latency (µs, median) | Runtime |',
    '|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const sparsity = r.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} %`).join(', ');
    lines.push(
      `| ${r.source === 'input' ? `${r.path} (input)` : r.path} | ${r.format} | ${r.variant}${r.floatLayers?.length ? ` (float: ${r.floatLayers.join(', ')})` : ''} | ${formatBytes(r.bytes)} | ${formatBytes(r.gzipBytes)} | ${r.params} | ${r.nonzeros} | ${sparsity} | ${pct(r.accuracy)} | ${delta(r.accuracyDelta)} | ${r.latencyUs === null ? '—' : r.latencyUs.toFixed(1)} | ${r.runtime} |`,
    );
  }
  lines.push(...qatMarkdown(rows));
  lines.push(...clusteringMarkdown(rows));
  lines.push(...perClassMarkdown(rows));
  lines.push(...layerTablesMarkdown(rows));
  return lines.join('\n') + '\n';
}

/** A technique row's counterpart: the same format and variant of the model it was made from. */
function counterpart(rows: readonly ModelReport[], r: ModelReport, suffix: string, label: string): ModelReport | undefined {
  const source = r.model.endsWith(suffix) ? r.model.slice(0, -suffix.length) : r.model;
  const variant = r.variant.endsWith(` ${label}`) ? r.variant.slice(0, -label.length - 1) : r.variant;
  return rows.find((x) => x.technique === undefined && x.model === source && x.format === r.format && x.variant === variant);
}

/** Post-training vs quantization-aware full-int8, side by side. */
export function qatMarkdown(rows: readonly ModelReport[]): string[] {
  const qat = rows.filter((r) => r.technique === 'qat');
  if (qat.length === 0) {
    return [];
  }
  const out = ['', '## Post-training quantization vs quantization-aware training', '', '| Model | PTQ file | PTQ accuracy | QAT file | QAT accuracy | QAT − PTQ |', '|---|---|---:|---|---:|---:|'];
  for (const r of qat) {
    const p = counterpart(rows, r, '_qat', 'QAT');
    const d = p && p.accuracy !== null && r.accuracy !== null ? r.accuracy - p.accuracy : null;
    out.push(`| ${p?.model ?? r.model} | ${p?.path ?? '—'} | ${pct(p?.accuracy ?? null)} | ${r.path} | ${pct(r.accuracy)} | ${delta(d)} |`);
  }
  return out;
}

/** Clustered files against the same files of the unclustered model: the gzip size win. */
export function clusteringMarkdown(rows: readonly ModelReport[]): string[] {
  const clustered = rows.filter((r) => r.technique === 'clustered');
  if (clustered.length === 0) {
    return [];
  }
  const out = [
    '',
    '## Weight clustering',
    '',
    '| Format | Unclustered file | gzip | Accuracy | Clustered file | gzip | Accuracy | gzip ratio |',
    '|---|---|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of clustered) {
    const u = counterpart(rows, r, '_clustered', 'clustered');
    const ratio = u && r.gzipBytes > 0 ? `${(u.gzipBytes / r.gzipBytes).toFixed(2)}×` : '—';
    out.push(`| ${r.format} ${u?.variant ?? r.variant} | ${u?.path ?? '—'} | ${u ? formatBytes(u.gzipBytes) : '—'} | ${pct(u?.accuracy ?? null)} | ${r.path} | ${formatBytes(r.gzipBytes)} | ${pct(r.accuracy)} | ${ratio} |`);
  }
  return out;
}

/** One table of layers per model (name, type, output shape, params, non-zeros, MACs). */
function layerTablesMarkdown(rows: ModelReport[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (!r.layerTable || seen.has(r.model)) {
      continue;
    }
    seen.add(r.model);
    out.push('', `## Layers of ${r.model}`, '', '| Layer | Type | Output shape | Params | Non-zeros | MACs |', '|---|---|---|---:|---:|---:|');
    for (const l of r.layerTable) {
      out.push(`| ${l.name} | ${l.type} | ${l.outputShape.join('×')} | ${l.params} | ${l.nonZeros} | ${l.macs} |`);
    }
    const t = r.layerTable.reduce((a, l) => ({ params: a.params + l.params, nonZeros: a.nonZeros + l.nonZeros, macs: a.macs + l.macs }), { params: 0, nonZeros: 0, macs: 0 });
    out.push(`| **total** | | | ${t.params} | ${t.nonZeros} | ${t.macs} |`);
  }
  return out;
}

/** Per-class accuracy, one column per evaluated file (the class names of the data set as rows). */
function perClassMarkdown(rows: ModelReport[]): string[] {
  const withClasses = rows.filter((r) => r.classes);
  const first = withClasses[0]?.classes;
  if (!first) {
    return [];
  }
  const out = ['', '## Accuracy per class', '', 'Correct / test samples of each class (the full confusion matrices are in comparison.json).', ''];
  out.push(`| Class | Samples | ${withClasses.map((r) => r.path).join(' | ')} |`);
  out.push(`|---|---:|${withClasses.map(() => '---:').join('|')}|`);
  first.names.forEach((name, i) => {
    const cells = withClasses.map((r) => pct(r.classes?.accuracy[i] ?? null, 1));
    out.push(`| ${name.replace(/\|/g, '\\|')} | ${first.support[i]} | ${cells.join(' | ')} |`);
  });
  return out;
}

export async function writeComparison(outDir: string, rows: ModelReport[]): Promise<{ md: number; json: number }> {
  const json = await writeFileAtomic(path.join(outDir, 'comparison.json'), JSON.stringify({ version: 1, rows }, null, 2) + '\n');
  const md = await writeFileAtomic(path.join(outDir, 'comparison.md'), renderComparisonMarkdown(rows));
  return { md, json };
}
