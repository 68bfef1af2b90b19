/**
 * Compare Runs in the panel: the runs' key facts, their config differences (highlighted; every
 * setting on request), validation curves overlaid, and every run's model files in one table.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { compareConfigs } from '../protocol/compare';
import { JOB_TITLE } from '../protocol/engine';
import { formatBytes, formatDuration } from '../protocol/format';
import { readTheme } from './charts';
import type { PanelRun } from './model';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : '–');

function row(cells: string[], header = false): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const cell = document.createElement(header ? 'th' : 'td');
    if (header) {
      (cell).scope = 'col';
    }
    cell.textContent = c;
    tr.append(cell);
  }
  return tr;
}

function fill(table: HTMLTableElement, head: string[], rows: HTMLTableRowElement[]): void {
  (table.tHead ?? table.createTHead()).replaceChildren(row(head, true));
  (table.tBodies[0] ?? table.createTBody()).replaceChildren(...rows);
}

function lineChart(canvas: HTMLCanvasElement, yTitle: string, percent: boolean): Chart<'line', (number | null)[], string> {
  const t = readTheme();
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { color: t.foreground, boxWidth: 12, boxHeight: 2, font: { family: t.font } } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label ?? ''}: ${percent ? pct(Number(c.parsed.y)) : Number(c.parsed.y).toFixed(4)}` } },
      },
      scales: {
        x: { title: { display: true, text: 'epoch (training, then pruning)', color: t.muted }, ticks: { color: t.muted }, grid: { color: t.grid } },
        y: {
          title: { display: true, text: yTitle, color: t.muted },
          ticks: { color: t.muted, callback: percent ? (v) => `${+(Number(v) * 100).toFixed(1)}%` : (v) => String(+Number(v).toFixed(4)) },
          grid: { color: t.grid },
        },
      },
    },
  });
}

export class CompareView {
  private readonly accuracy: Chart<'line', (number | null)[], string>;
  private readonly loss: Chart<'line', (number | null)[], string>;
  private showAll = false;
  private runs: PanelRun[] = [];

  constructor(
    private readonly els: {
      title: HTMLElement;
      runs: HTMLTableElement;
      config: HTMLTableElement;
      configNote: HTMLElement;
      configAll: HTMLInputElement;
      files: HTMLTableElement;
      accuracy: HTMLCanvasElement;
      loss: HTMLCanvasElement;
    },
  ) {
    this.accuracy = lineChart(els.accuracy, 'validation accuracy', true);
    this.loss = lineChart(els.loss, 'validation loss', false);
    els.configAll.addEventListener('change', () => {
      this.showAll = els.configAll.checked;
      this.renderConfig();
    });
  }

  get charts(): { name: string; title: string; chart: Chart }[] {
    return [
      { name: 'compare-accuracy', title: 'Validation accuracy by epoch', chart: this.accuracy },
      { name: 'compare-loss', title: 'Validation loss by epoch', chart: this.loss },
    ];
  }

  update(runs: PanelRun[]): void {
    this.runs = runs;
    this.els.title.textContent = `Comparing ${runs.length} runs`;
    fill(
      this.els.runs,
      ['Run', 'Job', 'Status', 'Duration', 'Best test accuracy', 'Smallest file (gzip)'],
      runs.map((r) => {
        const accs = [...Object.values(r.testAccuracy), ...r.report.map((x) => x.accuracy)].filter((v): v is number => typeof v === 'number');
        const small = r.report.filter((x) => x.gzipBytes > 0).sort((a, b) => a.gzipBytes - b.gzipBytes)[0];
        const tr = row([r.runId, JOB_TITLE[r.job] ?? r.job, r.status, r.durationMs === null ? '–' : formatDuration(r.durationMs), accs.length ? pct(Math.max(...accs)) : '–', small ? `${formatBytes(small.gzipBytes)} (${small.path})` : '–']);
        tr.dataset.run = r.runId;
        return tr;
      }),
    );
    this.renderConfig();
    this.renderCurves();
    const files: HTMLTableRowElement[] = [];
    for (const r of runs) {
      for (const x of r.report) {
        const tr = row([r.runId, x.path, `${x.format} · ${x.variant}`, formatBytes(x.bytes), formatBytes(x.gzipBytes), pct(x.accuracy), x.accuracyDelta === null ? '–' : `${x.accuracyDelta >= 0 ? '+' : '−'}${Math.abs(x.accuracyDelta * 100).toFixed(2)} pt`]);
        tr.dataset.run = r.runId;
        tr.dataset.path = x.path;
        files.push(tr);
      }
    }
    fill(this.els.files, ['Run', 'File', 'Format', 'Size', 'Gzip', 'Accuracy', 'Δ vs its baseline'], files);
  }

  private renderConfig(): void {
    const rows = compareConfigs(this.runs.map((r) => r.config ?? {}));
    const shown = this.showAll ? rows : rows.filter((c) => c.differs);
    this.els.configNote.hidden = rows.some((c) => c.differs);
    fill(
      this.els.config,
      ['Setting', ...this.runs.map((r) => r.runId)],
      shown.map((c) => {
        const tr = row([c.key, ...c.values]);
        tr.dataset.key = c.key;
        if (c.differs) {
          tr.classList.add('differs');
          tr.setAttribute('aria-label', `${c.key} differs: ${c.values.join(' vs ')}`);
        }
        return tr;
      }),
    );
  }

  private renderCurves(): void {
    const t = readTheme();
    const longest = Math.max(0, ...this.runs.map((r) => r.points.length));
    const labels = Array.from({ length: longest }, (_, i) => String(i + 1));
    for (const [chart, canvas, key] of [
      [this.accuracy, this.els.accuracy, 'valAccuracy'],
      [this.loss, this.els.loss, 'valLoss'],
    ] as const) {
      chart.data.labels = labels;
      chart.data.datasets = this.runs.map((r, i) => ({
        label: r.runId,
        data: r.points.map((p) => p[key]),
        borderColor: t.series[i % t.series.length],
        backgroundColor: t.series[i % t.series.length],
        borderDash: i >= t.series.length ? [6, 3] : undefined,
        borderWidth: 2,
        pointRadius: 3,
        tension: 0.15,
      }));
      chart.update('none');
      canvas.dataset.series = String(this.runs.filter((r) => r.points.length > 0).length);
    }
  }

  /** Curves as a table: epoch × run. */
  curveTable(key: 'valAccuracy' | 'valLoss'): { head: string[]; rows: string[][] } {
    const longest = Math.max(0, ...this.runs.map((r) => r.points.length));
    return {
      head: ['Epoch', ...this.runs.map((r) => r.runId)],
      rows: Array.from({ length: longest }, (_, i) => [String(i + 1), ...this.runs.map((r) => ((p) => (p ? (!Number.isFinite(p[key]) ? '—' : key === 'valAccuracy' ? pct(p[key]) : p[key].toFixed(4)) : ''))(r.points[i]))]),
    };
  }

  retheme(): void {
    this.renderCurves();
  }
}
