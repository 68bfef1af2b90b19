/**
 * The confusion matrix of one model file as a heat map with the class names: rows are the
 * true classes, columns the predicted ones; a cell's shade is its share of the true class's
 * test samples, so the diagonal reads as per-class accuracy. Text only (textContent); colours
 * through the CSSOM, which the panel's CSP allows.
 */
import type { ModelReport } from '../protocol/engine';

export class ConfusionView {
  private rows: ModelReport[] = [];

  constructor(
    private readonly section: HTMLElement,
    private readonly select: HTMLSelectElement,
    private readonly grid: HTMLTableElement,
  ) {
    select.addEventListener('change', () => this.render());
  }

  setRows(rows: readonly ModelReport[]): void {
    this.rows = rows.filter((r) => r.classes?.confusion);
    this.section.hidden = this.rows.length === 0;
    const keep = this.select.value;
    this.select.replaceChildren(
      ...this.rows.map((r) => {
        const o = document.createElement('option');
        o.value = r.path;
        o.textContent = `${r.path} (${r.format} · ${r.variant})`;
        return o;
      }),
    );
    if (this.rows.some((r) => r.path === keep)) {
      this.select.value = keep;
    }
    this.render();
  }

  private render(): void {
    const row = this.rows.find((r) => r.path === this.select.value) ?? this.rows[0];
    const c = row?.classes;
    if (!c?.confusion) {
      this.grid.replaceChildren();
      return;
    }
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.textContent = 'true ↓ / predicted →';
    head.append(corner, ...c.names.map((n) => Object.assign(document.createElement('th'), { textContent: n, scope: 'col' })));
    const body = c.confusion.map((counts, i) => {
      const tr = document.createElement('tr');
      const th = Object.assign(document.createElement('th'), { textContent: c.names[i], scope: 'row' });
      tr.append(th);
      for (let j = 0; j < counts.length; j++) {
        const td = document.createElement('td');
        const share = c.support[i] > 0 ? counts[j] / c.support[i] : 0;
        td.textContent = String(counts[j]);
        td.className = i === j ? 'cm-cell cm-diag' : 'cm-cell';
        td.style.setProperty('--share', `${Math.round(share * 100)}%`);
        td.title = `true ${c.names[i]}, predicted ${c.names[j]}: ${counts[j]} of ${c.support[i]} (${(share * 100).toFixed(1)} %)`;
        tr.append(td);
      }
      const acc = document.createElement('td');
      acc.className = 'cm-acc';
      acc.textContent = c.accuracy[i] === null ? '–' : `${((c.accuracy[i] ?? 0) * 100).toFixed(1)} %`;
      tr.append(acc);
      return tr;
    });
    head.append(Object.assign(document.createElement('th'), { textContent: 'accuracy', scope: 'col' }));
    const thead = document.createElement('thead');
    thead.append(head);
    const tbody = document.createElement('tbody');
    tbody.append(...body);
    this.grid.replaceChildren(thead, tbody);
  }
}
