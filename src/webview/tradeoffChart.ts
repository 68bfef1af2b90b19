/**
 * The trade-off chart: gzip size (x, KiB) against test accuracy (y), one point per model file
 * coloured and shaped by variant and labelled with its sparsity, the Pareto front as a line,
 * the baseline accuracy as a dashed reference line, and the recommended file ringed.
 * Test hooks on the canvas: data-points, data-groups, data-pareto (count), data-pareto-paths
 * ('|'-separated, by size), data-baseline, data-recommended, data-scale ('linear' | 'logarithmic').
 */
import { Chart, Legend, LinearScale, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip, type ChartDataset, type ChartOptions, type Plugin, type PointStyle } from 'chart.js';
import { readTheme, type Theme } from './charts';
import { sparsityLabel, type Tradeoff, type TradeoffPoint } from './tradeoff';

Chart.register(ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

type Datum = TradeoffPoint & { x: number; y: number };
type Data = ChartDataset<'scatter', Datum[]>;

const STYLES: PointStyle[] = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot'];

/** x on a log scale when sizes span more than 4× (a float32 .h5 beside int8 .tflite files). */
function logScale(t: Tradeoff): boolean {
  const xs = t.points.map((p) => p.kib);
  return Math.max(...xs) / Math.min(...xs) > 4;
}

function kib(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function signedPt(d: number | null): string {
  return d === null ? '' : ` (${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)} pt)`;
}

/** Sparsity labels beside the points, and the baseline as a dashed horizontal line. */
function overlayPlugin(get: () => { tradeoff: Tradeoff | null; theme: Theme }): Plugin<'scatter'> {
  return {
    id: 'tradeoffOverlay',
    beforeDatasetsDraw(chart) {
      const { tradeoff, theme } = get();
      if (!tradeoff || tradeoff.baseline === null) {
        return;
      }
      const y = chart.scales.y.getPixelForValue(tradeoff.baseline);
      const area = chart.chartArea;
      if (y < area.top || y > area.bottom) {
        return;
      }
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = theme.muted;
      ctx.fillStyle = theme.muted;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(area.left, y);
      ctx.lineTo(area.right, y);
      ctx.stroke();
      ctx.font = `11px ${theme.font}`;
      // Left: the large float32 files sit at the right end of the baseline. On a box of the
      // card's colour, clear above the line, so no line or point runs through the words.
      ctx.setLineDash([]);
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      const text = `baseline ${(tradeoff.baseline * 100).toFixed(2)} %`;
      const w = ctx.measureText(text).width;
      const top = Math.max(area.top, y - 17);
      ctx.fillStyle = theme.background;
      ctx.fillRect(area.left + 2, top, w + 6, 14);
      ctx.fillStyle = theme.muted;
      ctx.fillText(text, area.left + 5, top + 13);
      ctx.restore();
    },
    // Test hook and screen-reader aid: the file under the pointer (the tooltip's title).
    afterEvent(chart) {
      const tip = chart.tooltip;
      const canvas = chart.canvas;
      const title = tip && tip.opacity > 0 ? (tip.title ?? []).join(' ') : '';
      if (canvas.dataset.tooltip !== title) {
        canvas.dataset.tooltip = title;
      }
    },
    // Markers closer than a marker's width are spread sideways around their spot, so every
    // file stays visible and hoverable (its tooltip gives the exact figures).
    afterDatasetsUpdate(chart) {
      const els: { el: { x: number; y: number }; x: number }[] = [];
      chart.data.datasets.forEach((ds, i) => {
        if ((ds as { labelPoints?: boolean }).labelPoints === true && chart.isDatasetVisible(i)) {
          for (const el of chart.getDatasetMeta(i).data) {
            els.push({ el, x: el.x });
          }
        }
      });
      const used = new Set<number>();
      let spread = 0;
      for (let a = 0; a < els.length; a++) {
        if (used.has(a)) {
          continue;
        }
        const cluster = [a];
        for (let b = a + 1; b < els.length; b++) {
          if (!used.has(b) && cluster.some((c) => Math.hypot(els[c].el.x - els[b].el.x, els[c].el.y - els[b].el.y) < 9)) {
            cluster.push(b);
          }
        }
        if (cluster.length > 1) {
          const cx = cluster.reduce((sum, c) => sum + els[c].x, 0) / cluster.length;
          cluster.forEach((c, k) => {
            used.add(c);
            els[c].el.x = cx + (k - (cluster.length - 1) / 2) * 11;
          });
          spread += cluster.length;
        }
      }
      chart.canvas.dataset.spread = String(spread);
      // Where each file's marker is drawn (CSS px in the canvas), in dataset order: a test hook.
      chart.canvas.dataset.pointXy = els.map((e) => `${Math.round(e.el.x)},${Math.round(e.el.y)}`).join('|');
    },
    afterDatasetsDraw(chart) {
      const { theme } = get();
      const ctx = chart.ctx;
      ctx.save();
      ctx.font = `10px ${theme.font}`;
      ctx.fillStyle = theme.foreground;
      ctx.textAlign = 'left';
      // A label that would overlap one already drawn is skipped when it says the same (two
      // variants of one sparsity side by side), else moved below its point.
      const drawn: { x: number; y: number; w: number; text: string }[] = [];
      const overlaps = (x: number, y: number, w: number): { text: string } | undefined => drawn.find((b) => x < b.x + b.w && b.x < x + w && Math.abs(b.y - y) < 11);
      const repeats = (x: number, y: number, text: string): boolean => drawn.some((b) => b.text === text && Math.abs(b.x - x) < 48 && Math.abs(b.y - y) < 14);
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (!chart.isDatasetVisible(i) || (ds as { labelPoints?: boolean }).labelPoints !== true) {
          return;
        }
        meta.data.forEach((el, k) => {
          const d = ds.data[k] as Datum | undefined;
          if (!d) {
            return;
          }
          const text = d.label;
          const w = ctx.measureText(text).width;
          // Right of the point, or left of it where the text would leave the plot.
          let x = el.x + 7 + w > chart.chartArea.right ? el.x - 7 - w : el.x + 7;
          let y = el.y - 6;
          const hit = overlaps(x, y, w);
          if (hit?.text === text || repeats(x, y, text)) {
            return;
          }
          if (hit) {
            y = el.y + 14;
            if (overlaps(x, y, w)) {
              x = el.x - 7 - w;
            }
          }
          ctx.fillText(text, x, y);
          drawn.push({ x, y, w, text });
        });
      });
      ctx.restore();
    },
  };
}

/** Legend order: variants first (datasets 1…), then the Pareto front (0), then 'recommended'. */
function legendRank(i: number | undefined): number {
  return i === 0 ? 1000 : (i ?? 0);
}

function options(t: Theme, log: boolean, baseline: number | null): ChartOptions<'scatter'> {
  const axisTitle = (text: string): { display: boolean; text: string; color: string; font: { family: string } } => ({ display: true, text, color: t.muted, font: { family: t.font } });
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', intersect: true },
    plugins: {
      legend: {
        position: 'bottom',
        // Dataset order (variants, then the front and the ring), not the drawing order.
        labels: { color: t.foreground, usePointStyle: true, boxWidth: 8, boxHeight: 8, font: { family: t.font }, sort: (a, b) => legendRank(a.datasetIndex) - legendRank(b.datasetIndex) },
      },
      tooltip: {
        filter: (c) => (c.dataset as { labelPoints?: boolean }).labelPoints === true,
        callbacks: {
          title: (items) => (items[0]?.raw as Datum | undefined)?.file ?? '',
          label: (c) => {
            const d = c.raw as Datum;
            return [
              `${d.group} · sparsity ${sparsityLabel(d.sparsity)}`,
              `gzip ${kib(d.kib)} KiB (file ${kib(d.rawKib)} KiB)`,
              `accuracy ${(d.accuracy * 100).toFixed(2)} %${signedPt(d.accuracyDelta)}`,
              ...(d.recommended ? ['recommended: smallest within the accuracy budget'] : d.pareto ? ['on the Pareto front'] : []),
            ];
          },
        },
      },
    },
    scales: {
      x: {
        type: log ? 'logarithmic' : 'linear',
        title: axisTitle('gzip size (KiB)'),
        ticks: {
          color: t.muted,
          font: { family: t.font },
          // Log axes tick at every integer: keep 1-2-3-5 steps only.
          callback: (v) => {
            const n = Number(v);
            if (log) {
              const m = n / 10 ** Math.floor(Math.log10(n));
              if (![1, 2, 3, 5].some((k) => Math.abs(m - k) < 1e-6)) {
                return '';
              }
            }
            return String(+n.toPrecision(3));
          },
        },
        grid: { color: t.grid },
      },
      y: {
        title: axisTitle('test accuracy'),
        grace: '8%',
        ...(baseline !== null ? { suggestedMax: baseline } : {}),
        ticks: { color: t.muted, font: { family: t.font }, callback: (v) => `${+(Number(v) * 100).toFixed(2)}%` },
        grid: { color: t.grid },
      },
    },
  };
}

export class TradeoffChart {
  private theme = readTheme();
  private tradeoff: Tradeoff | null = null;
  private readonly chart: Chart<'scatter', Datum[]>;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: [] },
      options: options(this.theme, false, null),
      plugins: [overlayPlugin(() => ({ tradeoff: this.tradeoff, theme: this.theme }))],
    });
  }

  update(t: Tradeoff | null): void {
    this.tradeoff = t;
    const theme = this.theme;
    const datasets: Data[] = [];
    const c = this.canvas;
    if (t) {
      datasets.push({
        label: 'Pareto front',
        data: t.front.map((p) => ({ ...p, x: p.kib, y: p.accuracy })),
        showLine: true,
        // Drawn over the markers, dashed and 2 px wide: visible even where it joins points.
        borderColor: theme.foreground,
        backgroundColor: theme.foreground,
        borderWidth: 2,
        borderDash: [6, 3],
        pointRadius: 0,
        pointHoverRadius: 0,
        pointStyle: 'line',
        order: 0,
      });
      t.groups.forEach((g, i) => {
        const color = theme.series[i % theme.series.length];
        // Colour and shape both vary, so groups beyond the palette's size still differ.
        const style = STYLES[(i + Math.floor(i / theme.series.length)) % STYLES.length];
        datasets.push({
          label: g,
          data: t.points.filter((p) => p.group === g).map((p) => ({ ...p, x: p.kib, y: p.accuracy })),
          borderColor: color,
          backgroundColor: color,
          pointStyle: style,
          pointRadius: 5,
          pointHoverRadius: 7,
          order: 1,
          labelPoints: true,
        } as Data);
      });
      if (t.recommended) {
        const r = t.recommended;
        datasets.push({
          label: 'recommended',
          data: [{ ...r, x: r.kib, y: r.accuracy }],
          borderColor: theme.foreground,
          backgroundColor: 'transparent',
          pointStyle: 'circle',
          pointRadius: 11,
          pointHoverRadius: 11,
          borderWidth: 2,
          order: 0,
        });
      }
    }
    this.chart.options = options(theme, t !== null && logScale(t), t?.baseline ?? null);
    this.chart.data.datasets = datasets;
    this.chart.update('none');
    c.dataset.points = String(t?.points.length ?? 0);
    c.dataset.groups = String(t?.groups.length ?? 0);
    c.dataset.pareto = String(t?.front.length ?? 0);
    c.dataset.paretoPaths = t ? t.front.map((p) => p.path).join('|') : '';
    c.dataset.baseline = t?.baseline !== null && t?.baseline !== undefined ? String(t.baseline) : '';
    c.dataset.recommended = t?.recommended?.path ?? '';
    c.dataset.scale = t !== null && logScale(t) ? 'logarithmic' : 'linear';
    c.dataset.labels = t ? t.points.map((p) => p.label).join('|') : '';
    c.setAttribute(
      'aria-label',
      t ? `Gzip size against test accuracy, ${t.points.length} files, ${t.front.length} on the Pareto front${t.recommended ? `, recommended ${t.recommended.file}` : ''}` : 'Size against accuracy: no evaluated files',
    );
  }

  retheme(t: Tradeoff | null): void {
    this.theme = readTheme();
    this.update(t);
  }
}
