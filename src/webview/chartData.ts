/**
 * The data behind each chart as a plain table (header + rows of text), shown in a
 * <details> under the chart: what a screen reader or keyboard user reads instead of the canvas.
 */
import type { PanelRun } from './model';
import type { Tradeoff } from './tradeoff';

export interface DataTable {
  head: string[];
  rows: string[][];
}

// Metrics may be NaN in the run (val_loss without a validation split), which JSON carries as null: shown as '—'.
const finite = (v: number | null): v is number => typeof v === 'number' && Number.isFinite(v);
const pct = (v: number): string => (finite(v) ? `${(v * 100).toFixed(2)} %` : '—');
const num = (v: number): string => (finite(v) ? v.toFixed(4) : '—');
const STAGE: Record<string, string> = { train: 'baseline', prune: 'pruning', export: 'export', evaluate: 'evaluate' };

export function curveTable(run: PanelRun | null, metric: 'accuracy' | 'loss'): DataTable {
  const points = run?.points ?? [];
  return {
    head: ['Stage', 'Model', 'Epoch', `Train ${metric}`, `Validation ${metric}`],
    rows: points.map((p) => [
      STAGE[p.stage] ?? p.stage,
      p.model,
      `${p.epoch}/${p.epochs}`,
      metric === 'accuracy' ? pct(p.accuracy) : num(p.loss),
      metric === 'accuracy' ? pct(p.valAccuracy) : num(p.valLoss),
    ]),
  };
}

export function sparsityTable(run: PanelRun | null): DataTable {
  const series = [...(run?.sparsity ?? new Map<string, { step: number; sparsity: number }[]>())];
  const target = run?.targetSparsity ?? [];
  const steps = [...new Set([...series.flatMap(([, s]) => s.map((p) => p.step)), ...target.map((p) => p.step)])].sort((a, b) => a - b);
  return {
    head: ['Step', ...series.map(([name]) => name), ...(target.length ? ['Schedule target'] : [])],
    rows: steps.map((step) => [
      String(step),
      ...series.map(([, s]) => {
        const p = s.find((x) => x.step === step);
        return p ? pct(p.sparsity) : '';
      }),
      ...(target.length ? [((p) => (p ? pct(p.sparsity) : ''))(target.find((x) => x.step === step))] : []),
    ]),
  };
}

export function tradeoffTable(t: Tradeoff | null): DataTable {
  return {
    head: ['File', 'Variant', 'Sparsity', 'Gzip size (KiB)', 'Test accuracy', 'Pareto front', 'Recommended'],
    rows: (t?.points ?? []).map((p) => [p.file, p.group, `${+(p.sparsity * 100).toFixed(1)} %`, p.kib.toFixed(1), pct(p.accuracy), p.pareto ? 'yes' : 'no', p.recommended ? 'yes' : '']),
  };
}

/** Fills a <table> with a DataTable (text only, never HTML). */
export function fillTable(table: HTMLTableElement, data: DataTable): void {
  const thead = table.tHead ?? table.createTHead();
  const tr = document.createElement('tr');
  for (const h of data.head) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    tr.append(th);
  }
  thead.replaceChildren(tr);
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren(
    ...data.rows.map((r) => {
      const row = document.createElement('tr');
      for (const c of r) {
        const td = document.createElement('td');
        td.textContent = c;
        row.append(td);
      }
      return row;
    }),
  );
}

/**
 * Adds to a chart card: Save as PNG / Save as SVG buttons and a collapsed "Data table".
 * Returns the table to fill.
 */
export function decorateCard(card: HTMLElement, title: string, onExport: (format: 'png' | 'svg') => void): HTMLTableElement {
  const tools = document.createElement('div');
  tools.className = 'chart-tools';
  for (const format of ['png', 'svg'] as const) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'tool';
    b.dataset.export = format;
    b.textContent = format.toUpperCase();
    b.title = `Save the ${title} chart as ${format.toUpperCase()}`;
    b.setAttribute('aria-label', `Save the ${title} chart as ${format.toUpperCase()}`);
    b.addEventListener('click', () => onExport(format));
    tools.append(b);
  }
  card.querySelector('figcaption')?.append(tools);
  const details = document.createElement('details');
  details.className = 'chart-data';
  const summary = document.createElement('summary');
  summary.textContent = 'Data table';
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  const table = document.createElement('table');
  table.setAttribute('aria-label', `${title}: the chart's data`);
  wrap.append(table);
  details.append(summary, wrap);
  card.append(details);
  return table;
}
