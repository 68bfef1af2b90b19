/**
 * report.md: one run, or the runs compared, in Markdown with the panel's charts beside it as
 * PNG files (`![Accuracy](report-accuracy.png)`), so it reads the same in VS Code's preview, on
 * GitHub and in a PR. Built from the run records the host holds, never from webview text.
 * No `vscode` import.
 */
import { compareConfigs } from '../protocol/compare';
import type { ModelReport } from '../protocol/engine';
import { JOB_TITLE } from '../protocol/engine';
import { formatBytes, formatDuration } from '../protocol/format';
import type { RunEntry } from './runStore';

export interface ReportChart {
  title: string;
  /** File name beside report.md. */
  file: string;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)} %`;
}

function delta(x: number | null): string {
  return x === null ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pt`;
}

function runSummary(r: RunEntry): string[] {
  const b = r.backend;
  const d = r.record?.dataset;
  return [
    `| ${cell(r.runId)} | ${cell(JOB_TITLE[r.job])} | ${r.status} | ${cell(r.startedAt)} | ${r.durationMs === null ? '—' : formatDuration(r.durationMs)} | ${b ? cell(`${b.tfjs} · ${b.trainer}`) : '—'} | ${d ? cell(`${d.name} ${d.train}/${d.validation}/${d.test}`) : '—'} |`,
  ];
}

function rowLine(runId: string | null, x: ModelReport): string {
  const sparsity = x.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} %`).join(', ') || '—';
  return `| ${runId === null ? '' : `${cell(runId)} | `}${cell(x.path)} | ${cell(`${x.format} ${x.variant}`)} | ${formatBytes(x.bytes)} | ${formatBytes(x.gzipBytes)} | ${cell(sparsity)} | ${pct(x.accuracy)} | ${delta(x.accuracyDelta)} | ${x.latencyUs === null ? '—' : `${x.latencyUs.toFixed(1)} µs`} |`;
}

export function buildReportMarkdown(runs: readonly RunEntry[], charts: readonly ReportChart[], generatedAt: string): string {
  const many = runs.length > 1;
  const lines: string[] = [many ? `# Model Optimizer: ${runs.length} runs compared` : `# Model Optimizer run ${cell(runs[0]?.runId ?? '')}`, '', `Generated ${generatedAt}.`, ''];
  lines.push('| Run | Job | Status | Started | Duration | Backend | Dataset (train/val/test) |', '|---|---|---|---|---|---|---|', ...runs.flatMap(runSummary), '');
  if (many) {
    const rows = compareConfigs(runs.map((r) => r.record?.config ?? {})).filter((c) => c.differs);
    lines.push('## Config differences', '');
    if (rows.length === 0) {
      lines.push('The runs used the same configuration.', '');
    } else {
      lines.push(`| Setting | ${runs.map((r) => cell(r.runId)).join(' | ')} |`, `|---|${runs.map(() => '---').join('|')}|`);
      for (const c of rows) {
        lines.push(`| \`${cell(c.key)}\` | ${c.values.map((v) => `\`${cell(v)}\``).join(' | ')} |`);
      }
      lines.push('');
    }
  }
  if (charts.length > 0) {
    lines.push('## Charts', '');
    for (const c of charts) {
      lines.push(`![${cell(c.title)}](${encodeURI(c.file)})`, '');
    }
  }
  const withRows = runs.filter((r) => r.report.length > 0);
  if (withRows.length > 0) {
    lines.push('## Model files', '', 'Sizes are measured from the saved files, accuracy on the test set in each file\'s runtime; Δ is against the run\'s float32 baseline.', '');
    lines.push(`| ${many ? 'Run | ' : ''}File | Format | Size | gzip | Kernel sparsity | Accuracy | Δ accuracy | Latency (median) |`, `|${many ? '---|' : ''}---|---|---:|---:|---|---:|---:|---:|`);
    for (const r of withRows) {
      for (const x of r.report) {
        lines.push(rowLine(many ? r.runId : null, x));
      }
    }
    lines.push('');
  }
  const epochs = runs.filter((r) => (r.record?.stages ?? []).some((s) => s.epochs.length > 0));
  if (epochs.length > 0) {
    lines.push('## Training', '', `| ${many ? 'Run | ' : ''}Stage | Model | Epochs | Last val. accuracy | Test accuracy |`, `|${many ? '---|' : ''}---|---|---:|---:|---:|`);
    for (const r of epochs) {
      for (const s of r.record?.stages ?? []) {
        if (s.epochs.length > 0) {
          lines.push(`| ${many ? `${cell(r.runId)} | ` : ''}${s.stage} | ${cell(s.model)} | ${s.epochs.length} | ${pct(s.epochs[s.epochs.length - 1].valAccuracy)} | ${pct(s.testAccuracy)} |`);
        }
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
