/**
 * The sensitivity panel view: a heat map of accuracy drop per layer and sparsity (only that
 * layer pruned), the int8 table (accuracy with only that layer in int8, the error it adds and
 * the error accumulated up to it), the suggested `prune.layers` map as copyable JSON and the
 * 2:4 check. Everything is built with DOM calls and textContent (never HTML); colours are set
 * through the CSSOM, which the panel's CSP allows.
 */
import type { ErrorStats, SensitivityReport } from '../protocol/sensitivity';

const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(2)} %`);
const points = (drop: number | null): string => (drop === null || !Number.isFinite(drop) ? '' : `${drop > 0 ? '−' : drop < 0 ? '+' : '±'}${Math.abs(drop * 100).toFixed(2)} pt`);
const num = (x: number): string => (!Number.isFinite(x) ? 'n/a' : x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(2));

function cell(tag: 'td' | 'th', text: string, cls?: string): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) {
    c.className = cls;
  }
  return c;
}

/** Heat: 0 points → transparent, `full` points or more → strong red (a drop), a gain stays clear. */
export function heatAlpha(drop: number | null, full = 0.05): number {
  if (drop === null || !Number.isFinite(drop) || drop <= 0) {
    return 0;
  }
  return Math.min(1, drop / full) * 0.75;
}

function heatCell(text: string, drop: number | null, title: string): HTMLTableCellElement {
  const c = cell('td', text, 'heat num');
  const a = heatAlpha(drop);
  c.dataset.drop = drop === null ? '' : drop.toFixed(6);
  c.style.backgroundColor = a > 0 ? `rgba(220, 50, 47, ${a.toFixed(3)})` : '';
  c.title = title;
  return c;
}

function head(table: HTMLTableElement, labels: string[]): void {
  const tr = document.createElement('tr');
  tr.append(...labels.map((l) => cell('th', l)));
  const thead = document.createElement('thead');
  thead.append(tr);
  table.replaceChildren(thead, document.createElement('tbody'));
}

const errText = (e: ErrorStats): string[] => [`${num(e.rmse)} (${num(e.rmseSteps)} steps)`, num(e.maxAbs), Number.isFinite(e.cosine) ? e.cosine.toFixed(5) : 'n/a'];

export interface SensitivityElements {
  section: HTMLElement;
  summary: HTMLElement;
  prune: HTMLTableElement;
  quant: HTMLTableElement;
  suggestion: HTMLElement;
  suggestionText: HTMLElement;
  nm: HTMLTableElement;
  nmNote: HTMLElement;
}

export class SensitivityView {
  constructor(private readonly e: SensitivityElements) {}

  update(r: SensitivityReport | null): void {
    this.e.section.hidden = r === null;
    if (!r) {
      return;
    }
    this.e.summary.textContent =
      `${r.model}, on ${r.samples} ${r.split} samples: float accuracy ${pct(r.baselineAccuracy)}; TFLite float32 ${pct(r.float32Accuracy)}, full-int8 ${pct(r.fullInt8Accuracy)}. ` +
      'Each cell: accuracy with only that layer changed (red = accuracy lost).';

    head(this.e.prune, ['Layer', 'Type', 'Weights', ...r.sparsities.map((s) => `${Math.round(s * 1000) / 10} % pruned`)]);
    this.e.prune.tBodies[0].append(
      ...r.prune.map((p) => {
        const tr = document.createElement('tr');
        tr.dataset.layer = p.layer;
        tr.append(cell('th', p.layer), cell('td', p.className), cell('td', String(p.weights), 'num'));
        r.sparsities.forEach((s, i) => {
          const acc = p.accuracy[i] ?? null;
          const drop = p.drop[i] ?? null;
          tr.append(heatCell(`${pct(acc)} ${points(drop)}`, drop, `${p.layer} pruned to ${s}: accuracy ${pct(acc)}`));
        });
        return tr;
      }),
    );

    head(this.e.quant, ['Layer', 'Ops', 'Only this layer int8', 'Own RMSE', 'Own max |err|', 'Own cosine', 'Accumulated RMSE', 'Accumulated max |err|', 'Accumulated cosine']);
    this.e.quant.tBodies[0].append(
      ...r.quant.map((q) => {
        const tr = document.createElement('tr');
        tr.dataset.layer = q.layer;
        tr.append(cell('th', q.layer), cell('td', q.ops.join(', ')));
        tr.append(heatCell(`${pct(q.int8OnlyAccuracy)} ${points(q.int8OnlyDrop)}`, q.int8OnlyDrop, `${q.layer} alone in int8`));
        tr.append(...errText(q.own).map((t) => cell('td', t, 'num')), ...errText(q.accumulated).map((t) => cell('td', t, 'num')));
        return tr;
      }),
    );

    const s = r.suggestion;
    this.e.suggestion.hidden = !s;
    if (s) {
      this.e.suggestion.dataset.config = s.config;
      this.e.suggestionText.textContent =
        `For ${(s.targetSparsity * 100).toFixed(1)} % of all prunable weights (less on sensitive layers; ` +
        `estimated cost before fine-tuning ≈ ${(s.estimatedDrop * 100).toFixed(2)} points). Paste into model-optimizer.json:`;
      const pre = this.e.suggestion.querySelector('pre');
      if (pre) {
        pre.textContent = JSON.stringify({ prune: { layers: s.layers } }, null, 2);
      }
    }

    head(this.e.nm, ['Layer', 'Weight', 'Groups of 4 with ≥ 2 zeros', '2:4']);
    this.e.nm.tBodies[0].append(
      ...r.nm.map((n) => {
        const tr = document.createElement('tr');
        tr.append(cell('th', n.layer), cell('td', n.weight), cell('td', `${(n.groupsOk * 100).toFixed(1)} %`, 'num'), cell('td', n.satisfies ? 'yes' : 'no'));
        return tr;
      }),
    );
    this.e.nmNote.textContent = r.nmNote;
  }
}
