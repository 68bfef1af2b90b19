/**
 * Deploy cards (Model Optimizer: Deploy): one per analysed `.tflite`, newest first. Each shows
 * flash and RAM bars against the chosen target's budget (a select switches targets; every
 * target's figures are in the card, so switching needs no round trip), the latency estimate
 * range, the TFLite Micro verdict and findings, and the per-operator table sortable by MACs
 * or memory. Built with DOM calls and textContent only (never HTML); bar widths go through the
 * CSSOM, which the panel's CSP allows.
 *
 * Test hooks: #deploy-section, .deploy-card[data-file][data-target], .deploy-bar[data-kind=flash|ram]
 * [data-fraction][data-fits=yes|no|none], .deploy-latency[data-low][data-high], select.deploy-target,
 * table.deploy-layers (th button[data-sort=macs|memory|index], th[aria-sort], tbody tr[data-index]),
 * ul.deploy-findings li[data-severity].
 */
import { sortLayers, type DeployCard, type DeployCardTarget } from '../protocol/deploy';
import { revealBelowHeader } from './reveal';

const n = (x: number): string => x.toLocaleString('en-US');
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

function node<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) {
    e.textContent = text;
  }
  if (cls) {
    e.className = cls;
  }
  return e;
}

type SortKey = 'macs' | 'memory' | 'index';

/** A usage bar: `need` against `budget` (null budget: no limit on this target). */
function bar(kind: 'flash' | 'ram', label: string, need: number, budget: number | null, fits: boolean | null): HTMLElement {
  const row = node('div', undefined, 'deploy-bar-row');
  const fraction = budget === null || budget <= 0 ? 0 : need / budget;
  const b = node('div', undefined, 'deploy-bar');
  b.dataset.kind = kind;
  b.dataset.fraction = budget === null ? '' : fraction.toFixed(6);
  b.dataset.fits = fits === null ? 'none' : fits ? 'yes' : 'no';
  b.setAttribute('role', 'meter');
  b.setAttribute('aria-label', `${label} used`);
  b.setAttribute('aria-valuemin', '0');
  b.setAttribute('aria-valuemax', String(budget ?? need));
  b.setAttribute('aria-valuenow', String(need));
  const fill = node('div', undefined, 'deploy-bar-fill');
  fill.style.width = `${Math.min(100, fraction * 100).toFixed(2)}%`;
  b.append(fill);
  const text =
    budget === null
      ? `${n(need)} B (no limit on this target)`
      : `${n(need)} of ${n(budget)} B (${(fraction * 100).toFixed(fraction < 0.01 ? 2 : 1)} %)${fits === false ? ' — does not fit' : ''}`;
  row.append(node('span', label, 'deploy-bar-label'), b, node('span', text, 'deploy-bar-text'));
  return row;
}

export class DeployView {
  private cards: DeployCard[] = [];
  /** Per card (by file): the target shown and the table's sort. */
  private readonly chosen = new Map<string, string>();
  private readonly sortBy = new Map<string, SortKey>();
  /** The deploy.target each card last arrived with: a new one resets the card's selection. */
  private readonly arrivedWith = new Map<string, string | null>();

  constructor(private readonly section: HTMLElement) {}

  update(cards: DeployCard[]): void {
    const first = this.cards[0]?.file;
    this.cards = cards;
    for (const c of cards) {
      if (!this.chosen.has(c.file) || this.arrivedWith.get(c.file) !== c.target) {
        this.chosen.set(c.file, c.target ?? c.targets.find((t) => t.kind === 'mcu')?.name ?? c.targets[0]?.name ?? '');
      }
      this.arrivedWith.set(c.file, c.target);
    }
    this.render();
    if (cards.length > 0 && cards[0].file !== first) {
      revealBelowHeader(this.section);
    }
  }

  private render(): void {
    this.section.hidden = this.cards.length === 0;
    const list = this.section.querySelector('.deploy-cards') ?? this.section;
    list.replaceChildren(...this.cards.map((c) => this.card(c)));
  }

  private card(c: DeployCard): HTMLElement {
    const el = node('article', undefined, 'deploy-card');
    el.dataset.file = c.file;
    const t: DeployCardTarget | undefined = c.targets.find((x) => x.name === this.chosen.get(c.file)) ?? c.targets[0];
    el.dataset.target = t?.name ?? '';

    const title = node('div', undefined, 'title-row');
    title.append(node('h3', c.model));
    const verdict = node('span', c.tflmCompatible ? 'Runs in TensorFlow Lite Micro' : 'TensorFlow Lite Micro refuses this file', c.tflmCompatible ? 'deploy-ok' : 'deploy-bad');
    verdict.dataset.compatible = String(c.tflmCompatible);
    title.append(verdict);
    el.append(title, node('p', c.file, 'deploy-path'));

    // Target selector.
    const label = node('label', 'Target ', 'deploy-target-label');
    const select = node('select', undefined, 'deploy-target');
    select.setAttribute('aria-label', `Deployment target for ${c.model}`);
    for (const x of c.targets) {
      const o = node('option', `${x.label}${x.name === c.target ? ' (deploy.target)' : ''}`);
      o.value = x.name;
      o.selected = x.name === t?.name;
      select.append(o);
    }
    select.addEventListener('change', () => {
      this.chosen.set(c.file, select.value);
      this.render();
    });
    label.append(select);
    el.append(label);

    if (t) {
      el.append(
        bar('flash', 'Flash (model array)', c.flashBytes, t.flashBudgetBytes, t.fitsFlash),
        bar('ram', 'RAM (tensor arena)', c.arenaBytes, t.ramBudgetBytes, t.fitsRam),
      );
      const lat = node('p', `Latency per inference on ${t.label}: ${ms(t.latencyMs.low)}–${ms(t.latencyMs.high)} ms (optimized to reference kernels; docs/targets.md)`, 'deploy-latency');
      lat.dataset.low = String(t.latencyMs.low);
      lat.dataset.high = String(t.latencyMs.high);
      el.append(lat);
      if (!t.runs) {
        el.append(node('p', `${t.label} runs TensorFlow Lite Micro, which refuses this file: see the findings.`, 'deploy-bad'));
      }
    }
    el.append(
      node(
        'p',
        `${n(c.macs)} MACs per inference · arena ${n(c.arenaBytes)} B (lower bound ${n(c.arenaLowerBoundBytes)} B) · ops ${c.ops.join(', ')}`,
        'deploy-facts',
      ),
    );

    // Findings.
    const ul = node('ul', undefined, 'deploy-findings');
    if (c.findings.length === 0) {
      ul.append(node('li', 'No findings.'));
    }
    for (const f of c.findings) {
      const li = node('li');
      li.dataset.severity = f.severity;
      li.append(node('strong', `${f.severity}: `), document.createTextNode(f.message), node('br'), node('span', `Fix: ${f.fix}`, 'deploy-fix'));
      ul.append(li);
    }
    el.append(ul);

    // Per-operator table.
    el.append(this.table(c));
    if (c.written.length > 0) {
      el.append(node('p', `Wrote ${c.written.map((w) => w.split(/[\\/]/).pop()).join(', ')} beside the model.`, 'deploy-written'));
    }
    return el;
  }

  private table(c: DeployCard): HTMLElement {
    const by = this.sortBy.get(c.file) ?? 'index';
    const table = node('table', undefined, 'deploy-layers');
    table.setAttribute('aria-label', `Operators of ${c.model}`);
    const head = node('tr');
    const cols: [string, SortKey | null][] = [
      ['#', 'index'],
      ['Op', null],
      ['MACs', 'macs'],
      ['Weights (flash)', null],
      ['Output (RAM)', null],
      ['Memory', 'memory'],
      ['Output shape', null],
    ];
    for (const [name, key] of cols) {
      const th = node('th');
      if (key) {
        const b = node('button', name, 'deploy-sort');
        b.type = 'button';
        b.dataset.sort = key;
        b.title = key === 'index' ? 'Operator order' : `Largest ${key === 'macs' ? 'MACs' : 'weights + output'} first`;
        b.addEventListener('click', () => {
          this.sortBy.set(c.file, key);
          this.render();
        });
        th.append(b);
        th.setAttribute('aria-sort', by === key ? (key === 'index' ? 'ascending' : 'descending') : 'none');
      } else {
        th.textContent = name;
      }
      head.append(th);
    }
    const thead = node('thead');
    thead.append(head);
    const body = node('tbody');
    for (const l of sortLayers(c.layers, by)) {
      const tr = node('tr');
      tr.dataset.index = String(l.index);
      tr.append(
        node('td', String(l.index), 'num'),
        node('td', l.op),
        node('td', n(l.macs), 'num'),
        node('td', `${n(l.weightBytes)} B`, 'num'),
        node('td', `${n(l.activationBytes)} B`, 'num'),
        node('td', `${n(l.weightBytes + l.activationBytes)} B`, 'num'),
        node('td', `[${l.outputShape.join(', ')}]`),
      );
      body.append(tr);
    }
    table.append(thead, body);
    const wrap = node('div', undefined, 'table-wrap');
    wrap.append(table);
    return wrap;
  }
}
