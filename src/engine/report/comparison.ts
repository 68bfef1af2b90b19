/**
 * The comparison table (`<out>/comparison.md` and `comparison.json`): one row per model
 * file, sizes and sparsity measured from disk, accuracy measured in the file's runtime.
 */
import * as path from 'node:path';
import { BATCH_LATENCY_SAMPLES, type ModelReport, type RuntimeMeasurement } from '../../protocol/engine';
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
    `| File | Format | Variant | Size | gzip | Params | Nonzeros | Kernel sparsity | Accuracy | Δ accuracy | Latency (µs, median) | Batch of ${BATCH_LATENCY_SAMPLES} (ms) | Runtime | LiteRT.js accuracy | LiteRT.js latency (µs) |`,
    '|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    const sparsity = r.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} %`).join(', ');
    const lite = litertOf(r);
    lines.push(
      `| ${r.source === 'input' ? `${r.path} (input)` : r.path} | ${r.format} | ${r.variant}${r.floatLayers?.length ? ` (float: ${r.floatLayers.join(', ')})` : ''} | ${formatBytes(r.bytes)} | ${formatBytes(r.gzipBytes)} | ${r.params} | ${r.nonzeros} | ${sparsity} | ${pct(r.accuracy)} | ${delta(r.accuracyDelta)} | ${num(r.latencyUs, 1)} | ${num(r.batchLatencyMs ?? null, 2)} | ${r.runtime} | ${lite ? (lite.unavailable ? 'not run¹' : pct(lite.accuracy)) : '—'} | ${lite && !lite.unavailable ? num(lite.latencyUs, 1) : '—'} |`,
    );
  }
  lines.push(...qatMarkdown(rows));
  lines.push(...clusteringMarkdown(rows));
  lines.push(...otherRuntimesMarkdown(rows));
  lines.push(...inputMarkdown(rows));
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

function num(x: number | null, digits: number): string {
  return x === null ? '—' : x.toFixed(digits);
}

/** The LiteRT.js measurement of a row (TFLite files only). */
function litertOf(r: ModelReport): RuntimeMeasurement | undefined {
  return r.otherRuntimes?.find((m) => m.runtime.startsWith('LiteRT.js'));
}

/**
 * The second runtime in full: which build ran, batch latency, and how often its top-1 class
 * equals the first runtime's; or why it did not run (¹ in the table).
 */
function otherRuntimesMarkdown(rows: ModelReport[]): string[] {
  const measured = rows.filter((r) => r.otherRuntimes?.length);
  if (measured.length === 0) {
    return [];
  }
  const out = ['', '## TFLite files in a second runtime', '', 'Each .tflite file also run in LiteRT.js (today\'s TFLite kernels) on the same test set and inputs as in tfjs-tflite above.', ''];
  out.push(`| File | Runtime | Accuracy | Δ vs first runtime | Same top-1 class | Latency (µs, median) | Batch of ${BATCH_LATENCY_SAMPLES} (ms) |`, '|---|---|---:|---:|---:|---:|---:|');
  const reasons: string[] = [];
  for (const r of measured) {
    for (const m of r.otherRuntimes ?? []) {
      if (m.unavailable) {
        reasons.push(`¹ ${r.path}: ${m.runtime} did not run it: ${m.unavailable}`);
        out.push(`| ${r.path} | ${m.runtime} | not run¹ | — | — | — | — |`);
        continue;
      }
      const d = m.accuracy !== null && r.accuracy !== null ? delta(m.accuracy - r.accuracy) : '—';
      out.push(`| ${r.path} | ${m.runtime} | ${pct(m.accuracy)} | ${d} | ${pct(m.agreement)} | ${num(m.latencyUs, 1)} | ${num(m.batchLatencyMs, 2)} |`);
    }
  }
  if (reasons.length) {
    out.push('', ...reasons);
  }
  return out;
}

/** Which input each file takes (raw values with the normalisation built in, or normalised values). */
function inputMarkdown(rows: ModelReport[]): string[] {
  const raw = rows.filter((r) => r.input === 'raw').map((r) => r.path);
  const normalized = rows.filter((r) => r.input === 'normalized').map((r) => r.path);
  if (raw.length === 0 && normalized.length === 0) {
    return [];
  }
  const out = ['', '## Input', ''];
  if (raw.length) {
    out.push(`Raw values as read from the data files (the data's normalisation is built into the file): ${raw.join(', ')}.`);
  }
  if (normalized.length) {
    out.push(`${raw.length ? '\n' : ''}Normalised values, as the engine trains on (see the run record's dataset.normalization): ${normalized.join(', ')}.`);
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
