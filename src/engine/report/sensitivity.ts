/** sensitivity.json (the SensitivityReport as is) and sensitivity.md (the same as tables). */
import * as path from 'node:path';
import type { ErrorStats, SensitivityReport } from '../../protocol/sensitivity';
import { writeFileAtomic } from '../util/atomic';

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`);
const pts = (x: number | null): string => (x === null ? 'n/a' : `${x > 0 ? '−' : x < 0 ? '+' : '±'}${Math.abs(x * 100).toFixed(2)}`);
const g4 = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(2));
/** Table cells are plain text: a layer name with '|' must not open a new column. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');
const err = (e: ErrorStats): string => `${g4(e.rmse)} (${e.rmseSteps.toFixed(2)} steps) | ${g4(e.maxAbs)} | ${e.cosine.toFixed(5)}`;

export function renderSensitivityMarkdown(r: SensitivityReport): string {
  const lines: string[] = [
    `# Layer sensitivity of ${cell(r.model)}`,
    '',
    `Float accuracy ${pct(r.baselineAccuracy)} on ${r.samples} ${r.split} samples${r.split === 'test' ? ' (no usable validation split, so these figures are decided on the test set)' : ' (the test set is kept for measuring the outcome)'}. Seed ${r.seed} (picks the ${r.errorSamples} samples of the int8 error statistics).`,
    '',
    '## Pruning: accuracy with only this layer magnitude-pruned (no fine-tuning)',
    '',
    `| layer | type | weights | ${r.sparsities.map((s) => `${s * 100} %`).join(' | ')} |`,
    `|---|---|---:|${r.sparsities.map(() => '---:').join('|')}|`,
    ...r.prune.map((p) => `| ${cell(p.layer)} | ${p.className} | ${p.weights} | ${p.accuracy.map((a, i) => `${pct(a)} (${pts(p.drop[i])})`).join(' | ')} |`),
    '',
  ];
  if (r.suggestion) {
    const s = r.suggestion;
    lines.push(
      `### Per-layer sparsities for a global ${(s.targetSparsity * 100).toFixed(1)} % (less on sensitive layers)`,
      '',
      `Overall ${(s.achievedSparsity * 100).toFixed(2)} % of the prunable weights; estimated cost before fine-tuning ≈ ${(s.estimatedDrop * 100).toFixed(2)} points (sum of single-layer drops).`,
      'Paste into model-optimizer.json:',
      '',
      '```json',
      s.config,
      '```',
      '',
    );
  } else if (r.suggestionNote) {
    lines.push(`No per-layer suggestion: ${r.suggestionNote}`, '');
  }
  lines.push(
    `## Int8: error each layer introduces (${r.quantization})`,
    '',
    `TFLite float32 ${pct(r.float32Accuracy)}, full-int8 ${pct(r.fullInt8Accuracy)} (${r.runtime}). "Own" = the layer in float on the int8 model's inputs vs in int8; "accumulated" = float model vs full-int8 model at the layer's output.`,
    '',
    '| layer | ops | only this layer int8 | own RMSE | own max abs | own cosine | accumulated RMSE | accumulated max abs | accumulated cosine |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.quant.map((q) => `| ${cell(q.layer)} | ${q.ops.join(', ')} | ${pct(q.int8OnlyAccuracy)} (${pts(q.int8OnlyDrop)}) | ${err(q.own)} | ${err(q.accumulated)} |`),
    '',
    '## 2:4 structured sparsity',
    '',
    r.nm.length ? '| layer | weight | groups of 4 with ≥ 2 zeros | 2:4 |' : 'No kernel with an input dimension to check.',
    ...(r.nm.length ? ['|---|---|---:|---|', ...r.nm.map((n) => `| ${cell(n.layer)} | ${n.weight} | ${(n.groupsOk * 100).toFixed(1)} % | ${n.satisfies ? 'yes' : 'no'} |`)] : []),
    '',
    r.nmNote,
    '',
  );
  return lines.join('\n');
}

export async function writeSensitivityFiles(dir: string, r: SensitivityReport): Promise<{ json: number; md: number }> {
  const json = await writeFileAtomic(path.join(dir, 'sensitivity.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = await writeFileAtomic(path.join(dir, 'sensitivity.md'), renderSensitivityMarkdown(r));
  return { json, md };
}
