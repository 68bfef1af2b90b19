/**
 * "Compare With…" for two model files: their measured rows side by side in Markdown (sizes,
 * sparsity, accuracy, latency, and how the second differs). No `vscode` import.
 */
import type { ModelReport } from '../protocol/engine';
import { formatBytes } from '../protocol/format';

export interface ComparedFile {
  label: string;
  path: string;
  bytes: number;
  row: ModelReport | null;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)} %`;
}

function ratio(a: number, b: number): string {
  if (a <= 0 || b <= 0) {
    return '—';
  }
  return b <= a ? `${(a / b).toFixed(2)}× smaller` : `${(b / a).toFixed(2)}× larger`;
}

function sparsity(r: ModelReport | null): string {
  return r ? r.layers.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} %`).join(', ') || '—' : '—';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function compareFilesMarkdown(a: ComparedFile, b: ComparedFile): string {
  const ra = a.row;
  const rb = b.row;
  const rows: [string, string, string, string][] = [
    ['File', a.path, b.path, ''],
    ['Format', ra ? `${ra.format} ${ra.variant}` : '—', rb ? `${rb.format} ${rb.variant}` : '—', ''],
    ['Size', formatBytes(a.bytes), formatBytes(b.bytes), ratio(a.bytes, b.bytes)],
    ['gzip', ra ? formatBytes(ra.gzipBytes) : '—', rb ? formatBytes(rb.gzipBytes) : '—', ra && rb ? ratio(ra.gzipBytes, rb.gzipBytes) : ''],
    ['Non-zeros', ra ? ra.nonzeros.toLocaleString('en-US') : '—', rb ? rb.nonzeros.toLocaleString('en-US') : '—', ''],
    ['Kernel sparsity', sparsity(ra), sparsity(rb), ''],
    [
      'Test accuracy',
      pct(ra?.accuracy),
      pct(rb?.accuracy),
      typeof ra?.accuracy === 'number' && typeof rb?.accuracy === 'number' ? `${rb.accuracy >= ra.accuracy ? '+' : '−'}${Math.abs((rb.accuracy - ra.accuracy) * 100).toFixed(2)} pt` : '',
    ],
    ['Latency (median)', typeof ra?.latencyUs === 'number' ? `${ra.latencyUs.toFixed(1)} µs` : '—', typeof rb?.latencyUs === 'number' ? `${rb.latencyUs.toFixed(1)} µs` : '—', ''],
    ['Runtime', ra?.runtime ?? '—', rb?.runtime ?? '—', ''],
  ];
  const lines = [
    `# ${cell(a.label)} vs ${cell(b.label)}`,
    '',
    '| | First | Second | Second vs first |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ];
  if (!ra || !rb) {
    lines.push('A file without figures was not evaluated in its run: right-click it → **Evaluate** to measure it.', '');
  }
  return lines.join('\n');
}
