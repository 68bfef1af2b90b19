/**
 * The panel's three charts (accuracy, loss, sparsity) on Chart.js, coloured from the VS Code
 * theme's CSS variables. Charts never animate: they are redrawn on every epoch.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
} from 'chart.js';
import type { EpochPoint, PanelRun } from './model';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

export interface Theme {
  foreground: string;
  /** The card background, for boxes behind text drawn over lines. */
  background: string;
  muted: string;
  grid: string;
  font: string;
  series: string[];
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const fg = cssVar(s, '--vscode-foreground', '#cccccc');
  return {
    foreground: fg,
    background: cssVar(s, '--vscode-sideBar-background', cssVar(s, '--vscode-editor-background', '#1e1e1e')),
    muted: cssVar(s, '--vscode-descriptionForeground', fg),
    grid: cssVar(s, '--vscode-editorWidget-border', cssVar(s, '--vscode-panel-border', 'rgba(128,128,128,0.25)')),
    font: cssVar(s, '--vscode-font-family', 'sans-serif'),
    series: [
      cssVar(s, '--vscode-charts-blue', '#3794ff'),
      cssVar(s, '--vscode-charts-orange', '#d18616'),
      cssVar(s, '--vscode-charts-green', '#89d185'),
      cssVar(s, '--vscode-charts-purple', '#b180d7'),
      cssVar(s, '--vscode-charts-red', '#f14c4c'),
      cssVar(s, '--vscode-charts-yellow', '#cca700'),
    ],
  };
}

/** Index of the first point of each stage after the first: where the curves change model. */
interface StageMarks {
  starts: { index: number; label: string }[];
}

const STAGE_LABEL: Record<string, string> = {
  train: 'baseline',
  prune: 'pruning',
  export: 'export',
  evaluate: 'evaluate',
};

/** Draws a dashed vertical line between stages and names each stage at the top. */
function stagePlugin(getMarks: () => StageMarks, getTheme: () => Theme): Plugin<'line'> {
  return {
    id: 'stageSeparators',
    afterDatasetsDraw(chart) {
      const marks = getMarks();
      if (marks.starts.length === 0) {
        return;
      }
      const x = chart.scales.x;
      const area = chart.chartArea;
      const ctx = chart.ctx;
      const theme = getTheme();
      ctx.save();
      ctx.font = `11px ${theme.font}`;
      ctx.fillStyle = theme.muted;
      ctx.strokeStyle = theme.muted;
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      marks.starts.forEach((m, i) => {
        const left = m.index === 0 ? area.left : (x.getPixelForValue(m.index - 1) + x.getPixelForValue(m.index)) / 2;
        if (m.index > 0) {
          ctx.beginPath();
          ctx.moveTo(left, area.top);
          ctx.lineTo(left, area.bottom);
          ctx.stroke();
        }
        if (marks.starts.length > 1 || i > 0) {
          ctx.fillText(m.label, left + 4, area.top + 11);
        }
      });
      ctx.restore();
    },
  };
}

function stageMarks(points: EpochPoint[]): StageMarks {
  const starts: StageMarks['starts'] = [];
  // A sweep prunes several models: name each by its point ('s50') instead of 'pruning'.
  const pruned = new Set(points.filter((p) => p.stage === 'prune').map((p) => p.model));
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (!prev || prev.stage !== p.stage || prev.model !== p.model) {
      const label = p.stage === 'prune' && pruned.size > 1 ? p.model.replace(/^pruned_/, '') : (STAGE_LABEL[p.stage] ?? p.stage);
      starts.push({ index: i, label });
    }
  });
  return { starts };
}

function baseOptions(theme: Theme, yTitle: string, percent: boolean): ChartOptions<'line'> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: {
        position: 'bottom',
        labels: { color: theme.foreground, boxWidth: 12, boxHeight: 2, font: { family: theme.font } },
      },
      tooltip: {
        callbacks: percent
          ? { label: (c) => `${c.dataset.label ?? ''}: ${(Number(c.parsed.y) * 100).toFixed(2)} %` }
          : { label: (c) => `${c.dataset.label ?? ''}: ${Number(c.parsed.y).toFixed(4)}` },
      },
    },
    scales: {
      x: {
        ticks: { color: theme.muted, font: { family: theme.font } },
        grid: { color: theme.grid },
      },
      y: {
        title: { display: true, text: yTitle, color: theme.muted, font: { family: theme.font } },
        ticks: {
          color: theme.muted,
          font: { family: theme.font },
          // Without a callback Chart.js prints float noise such as 0.45000000000000007.
          callback: percent ? (v) => `${+(Number(v) * 100).toFixed(1)}%` : (v) => String(+Number(v).toFixed(4)),
        },
        grid: { color: theme.grid },
      },
    },
  };
}

/** True when the segment from point i to i + 1 joins two stages (e.g. baseline → pruning). */
type CrossesStage = (i: number) => boolean;

function line(label: string, color: string, dashed: boolean, crosses: CrossesStage): ChartDataset<'line', (number | null)[]> {
  return {
    // A different model starts at a stage boundary: do not join the curves across it.
    segment: { borderColor: (c) => (crosses(c.p0DataIndex) ? 'transparent' : undefined) },
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : undefined,
    pointRadius: 3,
    pointHoverRadius: 5,
    tension: 0.15,
  };
}

function sparsityOptions(t: Theme): ChartOptions<'line'> {
  const o = baseOptions(t, 'sparsity', true);
  return {
    ...o,
    interaction: { mode: 'nearest', intersect: false },
    scales: {
      ...o.scales,
      x: {
        type: 'linear',
        title: { display: true, text: 'training step', color: t.muted, font: { family: t.font } },
        ticks: { color: t.muted, font: { family: t.font } },
        grid: { color: t.grid },
      },
      y: { ...o.scales?.y, min: 0, max: 1 },
    },
  };
}

export class MetricsCharts {
  private theme = readTheme();
  private marks: StageMarks = { starts: [] };
  private readonly accuracy: Chart<'line', (number | null)[], string>;
  private readonly loss: Chart<'line', (number | null)[], string>;
  private readonly sparsity: Chart<'line', { x: number; y: number }[], number>;

  constructor(
    private readonly accCanvas: HTMLCanvasElement,
    private readonly lossCanvas: HTMLCanvasElement,
    private readonly sparsityCanvas: HTMLCanvasElement,
  ) {
    const t = this.theme;
    const plugin = stagePlugin(
      () => this.marks,
      () => this.theme,
    );
    const crosses: CrossesStage = (i) => this.marks.starts.some((m) => m.index === i + 1 && m.index > 0);
    this.accuracy = new Chart(accCanvas, {
      type: 'line',
      data: { labels: [], datasets: [line('train accuracy', t.series[0], false, crosses), line('validation accuracy', t.series[1], true, crosses)] },
      options: baseOptions(t, 'accuracy', true),
      plugins: [plugin],
    });
    this.loss = new Chart(lossCanvas, {
      type: 'line',
      data: { labels: [], datasets: [line('train loss', t.series[0], false, crosses), line('validation loss', t.series[1], true, crosses)] },
      options: baseOptions(t, 'loss', false),
      plugins: [plugin],
    });
    this.sparsity = new Chart(sparsityCanvas, {
      type: 'line',
      data: { datasets: [] },
      options: sparsityOptions(t),
    });
  }

  /** Replaces every chart's data with the run's and redraws. */
  update(run: PanelRun | null): void {
    const points = run?.points ?? [];
    this.marks = stageMarks(points);
    const labels = points.map((p) => `${STAGE_LABEL[p.stage] === 'pruning' ? 'P' : 'E'}${p.epoch}`);
    this.accuracy.data.labels = labels;
    this.accuracy.data.datasets[0].data = points.map((p) => p.accuracy);
    this.accuracy.data.datasets[1].data = points.map((p) => p.valAccuracy);
    this.loss.data.labels = labels;
    this.loss.data.datasets[0].data = points.map((p) => p.loss);
    this.loss.data.datasets[1].data = points.map((p) => p.valLoss);
    this.accuracy.update('none');
    this.loss.update('none');
    for (const c of [this.accCanvas, this.lossCanvas]) {
      c.dataset.points = String(points.length);
      c.setAttribute('aria-label', `${c === this.accCanvas ? 'Accuracy' : 'Loss'} per epoch, ${points.length} points`);
    }
    const last = points[points.length - 1];
    this.accCanvas.dataset.lastValAccuracy = last ? String(last.valAccuracy) : '';
    this.lossCanvas.dataset.lastValLoss = last ? String(last.valLoss) : '';

    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = [];
    let n = 0;
    let i = 0;
    // A sweep keys its curves 's50 dense_1': one colour per point, the layers of a point dashed apart.
    const sweep = run?.job === 'sweep';
    const groups: string[] = [];
    const layersSeen = new Map<string, number>();
    for (const [layer, series] of run?.sparsity ?? []) {
      const group = sweep ? layer.split(' ')[0] : layer;
      if (!groups.includes(group)) {
        groups.push(group);
      }
      const nth = layersSeen.get(group) ?? 0;
      layersSeen.set(group, nth + 1);
      const color = this.theme.series[(groups.indexOf(group) + 2) % this.theme.series.length];
      datasets.push({
        label: layer,
        data: series.map((p) => ({ x: p.step, y: p.sparsity })),
        borderColor: color,
        backgroundColor: color,
        borderDash: nth > 0 ? [5, 3] : undefined,
        borderWidth: 2,
        pointRadius: 2,
        stepped: 'before',
      });
      n += series.length;
      i++;
    }
    if (run && run.targetSparsity.length > 0) {
      datasets.push({
        label: 'schedule target',
        data: run.targetSparsity.map((p) => ({ x: p.step, y: p.sparsity })),
        borderColor: this.theme.muted,
        backgroundColor: this.theme.muted,
        borderDash: [4, 4],
        borderWidth: 1,
        pointRadius: 0,
        stepped: 'before',
      });
    }
    this.sparsity.data.datasets = datasets;
    this.sparsity.update('none');
    this.sparsityCanvas.dataset.points = String(n);
    this.sparsityCanvas.dataset.targetPoints = String(run?.targetSparsity.length ?? 0);
    this.sparsityCanvas.dataset.layers = String(i);
  }

  /** The theme changed (VS Code swaps the body class and CSS variables): recolour. */
  retheme(run: PanelRun | null): void {
    this.theme = readTheme();
    const t = this.theme;
    for (const chart of [this.accuracy, this.loss]) {
      chart.options = baseOptions(t, chart === this.accuracy ? 'accuracy' : 'loss', chart === this.accuracy);
      chart.data.datasets.forEach((d, k) => {
        d.borderColor = t.series[k];
        d.backgroundColor = t.series[k];
      });
    }
    this.sparsity.options = sparsityOptions(t);
    this.update(run);
  }
}
