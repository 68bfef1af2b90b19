/** The comparison table: one row per model file, sortable by clicking a header. */
import { BATCH_LATENCY_SAMPLES, type ModelReport, type RuntimeMeasurement } from '../protocol/engine';
import { formatBytes } from './model';

type Cell = string | number | null;

interface Column {
  key: string;
  label: string;
  num: boolean;
  value(r: ModelReport): Cell;
  render?(r: ModelReport, td: HTMLTableCellElement): void;
}

function pct(v: number | null, digits = 2): string {
  return v === null ? '–' : `${(v * 100).toFixed(digits)} %`;
}

function maxSparsity(r: ModelReport): number | null {
  return r.layers.length === 0 ? null : Math.max(...r.layers.map((l) => l.sparsity));
}

function basename(p: string): string {
  const parts = p.split('/').filter((s) => s !== '');
  const last = parts[parts.length - 1] ?? p;
  // A TF.js model is reported by its model.json: name it by its folder.
  return last === 'model.json' && parts.length > 1 ? `${parts[parts.length - 2]}/` : last;
}

export const COLUMNS: Column[] = [
  {
    key: 'file',
    label: 'File',
    num: false,
    value: (r) => r.path,
    render: (r, td) => {
      if (r.source === 'input') {
        // The file the run was given (--model): not in the output folder, so no reveal link.
        const span = document.createElement('span');
        span.className = 'input-model';
        span.title = `${r.path}: the input model (baseline), read by this run`;
        span.textContent = `${basename(r.path)} (input)`;
        td.append(span);
        return;
      }
      const a = document.createElement('a');
      a.href = '#';
      a.className = 'artifact-link';
      a.dataset.path = r.path;
      a.title = `Reveal ${r.path} in the Explorer`;
      a.textContent = basename(r.path);
      td.append(a);
    },
  },
  // Format and variant in one column, non-zeros with the parameter count: the table fits the
  // panel beside the default side bar at 1600 px (it used to cut off the Runtime column).
  { key: 'format', label: 'Format', num: false, value: (r) => `${r.format} ${r.variant}`, render: (r, td) => (td.textContent = `${r.format} · ${r.variant}`) },
  { key: 'bytes', label: 'Size', num: true, value: (r) => r.bytes, render: (r, td) => (td.textContent = formatBytes(r.bytes)) },
  {
    key: 'gzipBytes',
    label: 'Gzip',
    num: true,
    value: (r) => r.gzipBytes,
    render: (r, td) => (td.textContent = formatBytes(r.gzipBytes)),
  },
  {
    key: 'nonzeros',
    label: 'Non-zeros',
    num: true,
    value: (r) => r.nonzeros,
    render: (r, td) => {
      td.textContent = r.nonzeros.toLocaleString('en-US');
      td.title = `${r.nonzeros.toLocaleString('en-US')} of ${r.params.toLocaleString('en-US')} parameters are non-zero`;
    },
  },
  {
    key: 'sparsity',
    label: 'Sparsity',
    num: true,
    value: maxSparsity,
    render: (r, td) => {
      td.textContent = pct(maxSparsity(r), 1);
      td.title = r.layers.map((l) => `${l.name}: ${(l.sparsity * 100).toFixed(2)} %`).join('\n');
    },
  },
  { key: 'accuracy', label: 'Accuracy', num: true, value: (r) => r.accuracy, render: (r, td) => (td.textContent = pct(r.accuracy)) },
  {
    key: 'accuracyDelta',
    label: 'Δ vs baseline',
    num: true,
    value: (r) => r.accuracyDelta,
    render: (r, td) => {
      const d = r.accuracyDelta;
      if (d === null) {
        td.textContent = '–';
        return;
      }
      td.textContent = `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)} pt`;
      td.className += d < -0.0005 ? ' delta-neg' : d > 0.0005 ? ' delta-pos' : '';
    },
  },
  {
    key: 'latencyUs',
    label: 'Latency',
    num: true,
    value: (r) => r.latencyUs,
    render: (r, td) => {
      td.textContent = r.latencyUs === null ? '–' : `${r.latencyUs.toFixed(1)} µs`;
      td.title = `Median of single-sample runs in ${r.runtime}` + (typeof r.batchLatencyMs === 'number' ? `\nBatch of ${BATCH_LATENCY_SAMPLES}: ${r.batchLatencyMs.toFixed(2)} ms` : '');
    },
  },
  { key: 'runtime', label: 'Runtime', num: false, value: (r) => r.runtime },
  {
    // The second TFLite runtime (LiteRT.js, today's kernels) beside tfjs-tflite: accuracy and latency, or why not run.
    key: 'litert',
    label: 'LiteRT.js',
    num: true,
    value: (r) => litertOf(r)?.accuracy ?? null,
    render: (r, td) => {
      const m = litertOf(r);
      if (!m) {
        td.textContent = '–';
        td.title = r.format === 'tflite' ? 'Not measured in LiteRT.js' : 'Only .tflite files run in LiteRT.js';
        return;
      }
      if (m.unavailable) {
        td.textContent = 'not run';
        td.title = `${m.runtime} did not run this file: ${m.unavailable}`;
        return;
      }
      td.textContent = `${pct(m.accuracy)} · ${m.latencyUs === null ? '–' : `${m.latencyUs.toFixed(1)} µs`}`;
      td.title = [
        m.runtime,
        `Accuracy ${pct(m.accuracy)} (tfjs-tflite ${pct(r.accuracy)}); same top-1 class as tfjs-tflite on ${pct(m.agreement, 2)} of the test set`,
        `Latency ${m.latencyUs === null ? '–' : `${m.latencyUs.toFixed(1)} µs`} per sample` + (m.batchLatencyMs === null ? '' : `, ${m.batchLatencyMs.toFixed(2)} ms per batch of ${BATCH_LATENCY_SAMPLES}`),
      ].join('\n');
    },
  },
];

function litertOf(r: ModelReport): RuntimeMeasurement | undefined {
  return Array.isArray(r.otherRuntimes) ? r.otherRuntimes.find((m) => typeof m.runtime === 'string' && m.runtime.startsWith('LiteRT.js')) : undefined;
}

export interface SortState {
  key: string;
  dir: 'ascending' | 'descending';
}

/** Stable sort; missing values (null) always go last. */
export function sortRows(rows: ModelReport[], sort: SortState | null): ModelReport[] {
  if (!sort) {
    return rows.slice();
  }
  const col = COLUMNS.find((c) => c.key === sort.key);
  if (!col) {
    return rows.slice();
  }
  const sign = sort.dir === 'ascending' ? 1 : -1;
  return rows
    .map((r, i) => ({ r, i, v: col.value(r) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) {
        return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      }
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c === 0 ? a.i - b.i : sign * c;
    })
    .map((x) => x.r);
}

/** Files the trade-off chart marks: on the Pareto front, and the one recommended. */
export interface RowMarks {
  pareto: ReadonlySet<string>;
  recommended: string | null;
}

export class ComparisonTable {
  private sort: SortState | null = null;
  private rows: ModelReport[] = [];
  private marks: RowMarks = { pareto: new Set(), recommended: null };

  constructor(
    private readonly head: HTMLTableRowElement,
    private readonly body: HTMLTableSectionElement,
  ) {
    for (const col of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.tabIndex = 0;
      th.dataset.key = col.key;
      th.textContent = col.label;
      th.setAttribute('aria-sort', 'none');
      if (col.num) {
        th.className = 'num';
      }
      const onSort = (): void => this.toggle(col.key);
      th.addEventListener('click', onSort);
      th.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          onSort();
        }
      });
      head.append(th);
    }
  }

  setRows(rows: ModelReport[], marks?: RowMarks): void {
    this.rows = rows;
    this.marks = marks ?? { pareto: new Set(), recommended: null };
    this.render();
  }

  private toggle(key: string): void {
    this.sort =
      this.sort?.key === key
        ? { key, dir: this.sort.dir === 'ascending' ? 'descending' : 'ascending' }
        : { key, dir: 'ascending' };
    this.render();
  }

  private render(): void {
    const sort = this.sort;
    for (const th of Array.from(this.head.children) as HTMLElement[]) {
      th.setAttribute('aria-sort', sort !== null && sort.key === th.dataset.key ? sort.dir : 'none');
    }
    const trs = sortRows(this.rows, this.sort).map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.path = r.path;
      const pareto = this.marks.pareto.has(r.path);
      const recommended = this.marks.recommended === r.path;
      tr.dataset.pareto = String(pareto);
      if (recommended) {
        tr.classList.add('recommended');
      }
      for (const col of COLUMNS) {
        const td = document.createElement('td');
        td.dataset.key = col.key;
        if (col.num) {
          td.className = 'num';
        }
        if (col.render) {
          col.render(r, td);
        } else {
          td.textContent = String(col.value(r) ?? '–');
        }
        if (col.key === 'file' && (pareto || recommended)) {
          const mark = document.createElement('span');
          mark.className = 'mark';
          mark.textContent = recommended ? '★ deploy' : '★';
          mark.title = recommended ? 'Recommended: the smallest file within the accuracy budget' : 'Pareto-optimal: no other file is as small and as accurate';
          td.append(mark);
        }
        tr.append(td);
      }
      return tr;
    });
    this.body.replaceChildren(...trs);
  }
}
