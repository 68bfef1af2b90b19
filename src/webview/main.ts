/**
 * Metrics panel (browser side). Keeps no state the host cannot resend: on load it posts
 * `ready` and draws whatever `snapshot` arrives, then applies live `engineEvent`s.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { assertNever } from '../protocol/assert';
import { JOB_TITLE } from '../protocol/engine';
import type { FromWebview, ToWebview } from '../protocol/webview';
import { Chart } from 'chart.js';
import { chartImage } from './chartExport';
import { curveTable, decorateCard, fillTable, sparsityTable, tradeoffTable, type DataTable } from './chartData';
import { MetricsCharts } from './charts';
import { CompareView } from './compare';
import { applyEvent, emptyRun, formatBytes, formatDuration, fromView, type PanelRun } from './model';
import { ComparisonTable } from './table';
import { buildTradeoff } from './tradeoff';
import { TradeoffChart } from './tradeoffChart';
import { ConfusionView } from './confusion';
import { SensitivityView } from './sensitivity';
import { DeployView } from './deploy';
import { DatasetPreviewView } from './datasetPreview';
import { revealBelowHeader } from './reveal';
import { parseDatasetPreview } from '../protocol/datasetPreview';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  /** Kept by VS Code with the panel; the serializer hands it back after a window reload. */
  setState(state: { selectedRunId: string | null }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) {
    throw new Error(`panel: #${id} missing`);
  }
  return e as T;
}

const runs = new Map<string, PanelRun>();
let selectedId: string | null = null;
let canRun = true;
/** Compare Runs: the runs shown side by side; null = one run. */
let compareIds: string[] | null = null;

const charts = new MetricsCharts(
  el<HTMLCanvasElement>('chart-accuracy'),
  el<HTMLCanvasElement>('chart-loss'),
  el<HTMLCanvasElement>('chart-sparsity'),
);
const tradeoffChart = new TradeoffChart(el<HTMLCanvasElement>('chart-tradeoff'));
const table = new ComparisonTable(el<HTMLTableRowElement>('comparison-head'), el<HTMLTableSectionElement>('comparison-body'));
const confusion = new ConfusionView(el<HTMLElement>('confusion-section'), el<HTMLSelectElement>('confusion-model'), el<HTMLTableElement>('confusion-grid'));
const deployView = new DeployView(el('deploy-section'));
const sensitivityView = new SensitivityView({
  section: el('sensitivity-section'),
  summary: el('sensitivity-summary'),
  prune: el<HTMLTableElement>('sensitivity-prune'),
  quant: el<HTMLTableElement>('sensitivity-quant'),
  suggestion: el('sensitivity-suggestion'),
  suggestionText: el('sensitivity-suggestion-text'),
  nm: el<HTMLTableElement>('sensitivity-nm'),
  nmNote: el('sensitivity-nm-note'),
});
const datasetPreview = new DatasetPreviewView(
  {
    section: el('dataset-preview'),
    title: el('dataset-preview-title'),
    summary: el<HTMLUListElement>('dataset-summary'),
    shape: el('dataset-shape'),
    range: el('dataset-range'),
    classCount: el('dataset-class-count'),
    classes: el<HTMLTableSectionElement>('dataset-classes-body'),
    countsNote: el('dataset-counts-note'),
    samplesNote: el('dataset-samples-note'),
    samples: el('dataset-samples'),
    sectionJson: el('dataset-json'),
    confirm: el('dataset-confirm'),
    cancel: el('dataset-cancel'),
  },
  (msg) => vscode.postMessage(msg),
);
const compareView = new CompareView({
  title: el('compare-title'),
  runs: el<HTMLTableElement>('compare-runs'),
  config: el<HTMLTableElement>('compare-config'),
  configNote: el('compare-config-note'),
  configAll: el<HTMLInputElement>('compare-config-all'),
  files: el<HTMLTableElement>('compare-files'),
  accuracy: el<HTMLCanvasElement>('chart-compare-accuracy'),
  loss: el<HTMLCanvasElement>('chart-compare-loss'),
});

/** Each chart card: its canvas, a title for exports, and the data as a table. */
interface CardSpec {
  name: string;
  title: string;
  canvas: string;
  data: () => DataTable;
}
const CARDS: CardSpec[] = [
  { name: 'accuracy', title: 'Accuracy', canvas: 'chart-accuracy', data: () => curveTable(selected(), 'accuracy') },
  { name: 'loss', title: 'Loss', canvas: 'chart-loss', data: () => curveTable(selected(), 'loss') },
  { name: 'tradeoff', title: 'Size against accuracy', canvas: 'chart-tradeoff', data: () => tradeoffTable(((r) => (r ? buildTradeoff(r) : null))(selected())) },
  { name: 'sparsity', title: 'Sparsity per pruned layer', canvas: 'chart-sparsity', data: () => sparsityTable(selected()) },
  { name: 'compare-accuracy', title: 'Validation accuracy by epoch', canvas: 'chart-compare-accuracy', data: () => compareView.curveTable('valAccuracy') },
  { name: 'compare-loss', title: 'Validation loss by epoch', canvas: 'chart-compare-loss', data: () => compareView.curveTable('valLoss') },
];

function chartOf(spec: CardSpec): Chart | undefined {
  return Chart.getChart(el<HTMLCanvasElement>(spec.canvas)) ?? undefined;
}

const dataTables = new Map<string, HTMLTableElement>();
for (const spec of CARDS) {
  const card = document.querySelector<HTMLElement>(`figure[data-chart="${spec.name}"]`);
  if (card) {
    dataTables.set(
      spec.name,
      decorateCard(card, spec.title, (format) => {
        const chart = chartOf(spec);
        if (chart) {
          vscode.postMessage({ type: 'saveChart', format, chart: chartImage(spec.name, spec.title, chart) });
        }
      }),
    );
  }
}

function renderDataTables(): void {
  for (const spec of CARDS) {
    const t = dataTables.get(spec.name);
    if (t) {
      fillTable(t, spec.data());
    }
  }
}

function comparing(): PanelRun[] | null {
  const list = compareIds?.map((id) => runs.get(id)).filter((r): r is PanelRun => r !== undefined) ?? [];
  return list.length >= 2 ? list : null;
}

function renderMode(): void {
  const list = comparing();
  el('app').dataset.mode = list ? 'compare' : 'run';
  el('compare-section').hidden = !list;
  if (list) {
    compareView.update(list);
  }
  el('export-report').hidden = !list && !selected();
}

function selected(): PanelRun | null {
  return selectedId === null ? null : (runs.get(selectedId) ?? null);
}

function renderRunSelect(): void {
  const select = el<HTMLSelectElement>('run-select');
  const ids = Array.from(runs.keys());
  el('run-select-label').hidden = ids.length < 2;
  select.replaceChildren(
    ...ids.map((id) => {
      const r = runs.get(id);
      const o = document.createElement('option');
      o.value = id;
      o.textContent = `${id}${r ? ` (${r.status})` : ''}`;
      o.selected = id === selectedId;
      return o;
    }),
  );
}

function renderDuration(run: PanelRun | null): void {
  let text = '–';
  if (run?.durationMs !== null && run?.durationMs !== undefined) {
    text = formatDuration(run.durationMs);
  } else if (run?.status === 'running') {
    const started = Date.parse(run.startedAt);
    text = Number.isNaN(started) ? '…' : `${formatDuration(Math.max(0, Date.now() - started))} so far`;
  }
  el('run-duration').textContent = text;
}

function renderHeader(run: PanelRun | null): void {
  const status = el('run-status');
  status.dataset.status = run?.status ?? 'none';
  status.textContent = run?.status ?? 'no run';
  el('run-title').textContent = run ? (JOB_TITLE[run.job] ?? run.job) : 'Model Optimizer';
  el('run-id').textContent = run?.runId ?? '–';
  el('run-job').textContent = run?.job ?? '–';
  const b = run?.backend;
  el('run-backend').textContent = b
    ? `${b.tfjs} · ${b.trainer} trainer${b.requested && b.requested !== b.tfjs ? ` (asked: ${b.requested})` : ''}${b.detail ? ` · ${b.detail}` : ''}`
    : '–';
  const d = run?.dataset;
  el('run-dataset').textContent = d
    ? `${d.name} · ${d.train.toLocaleString('en-US')} train / ${d.validation.toLocaleString('en-US')} val / ${d.test.toLocaleString('en-US')} test`
    : '–';
  renderDuration(run);
  el('stop-button').hidden = run?.status !== 'running';
  el('empty-state').hidden = runs.size > 0;
  el('start-train').hidden = !canRun;
  el('start-pipeline').hidden = !canRun;
  el('start-sweep').hidden = !canRun;
  el('untrusted-note').hidden = canRun;
  const err = el('error-box');
  err.hidden = !run?.error;
  err.textContent = run?.error ? `${run.error.where ? `${run.error.where}: ` : ''}${run.error.message}` : '';
}

function renderProgress(run: PanelRun | null): void {
  const p = run?.status === 'running' ? run.progress : null;
  const sp = run?.status === 'running' ? run.stageProgress : null;
  const dp = run?.status === 'running' ? run.dataProgress : null;
  el('progress-section').hidden = !p && !sp && !dp;
  const bar = el<HTMLElement & { value: number; max: number }>('epoch-progress');
  if (dp && !p && !sp) {
    const frac = dp.total > 0 ? dp.done / dp.total : 0;
    bar.max = 1;
    bar.value = frac;
    bar.dataset.value = frac.toFixed(4);
    bar.dataset.stage = 'data';
    bar.setAttribute('aria-label', 'Progress of loading the data set');
    bar.setAttribute('aria-valuenow', String(Math.round(frac * 100)));
    el('progress-text').textContent = `Loading data · ${dp.phase} ${dp.done.toLocaleString('en-US')} of ${dp.total.toLocaleString('en-US')} (${Math.round(frac * 100)} %)`;
    return;
  }
  if (sp) {
    const frac = sp.total > 0 ? sp.done / sp.total : 0;
    bar.max = 1;
    bar.value = frac;
    bar.dataset.value = frac.toFixed(4);
    bar.dataset.stage = sp.stage;
    bar.setAttribute('aria-label', `Progress of the ${sp.stage} stage`);
    bar.setAttribute('aria-valuenow', String(Math.round(frac * 100)));
    el('progress-text').textContent = `${sp.stage === 'export' ? 'Export' : sp.stage === 'sensitivity' ? 'Sensitivity' : 'Evaluation'} · ${sp.task} (${Math.min(sp.done + 1, sp.total)} of ${sp.total})`;
    return;
  }
  if (!p) {
    bar.dataset.value = '0';
    return;
  }
  const frac = p.batches > 0 ? p.batch / p.batches : 0;
  bar.max = 1;
  bar.value = frac;
  bar.dataset.value = frac.toFixed(4);
  bar.dataset.stage = p.stage;
  bar.setAttribute('aria-label', 'Progress inside the epoch');
  bar.setAttribute('aria-valuenow', String(Math.round(frac * 100)));
  const stage = p.stage === 'prune' ? 'Pruning' : p.stage === 'train' ? 'Training' : p.stage;
  el('progress-text').textContent =
    `${stage} · epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} (${Math.round(frac * 100)} %)` +
    ` · loss ${p.loss.toFixed(4)} · accuracy ${(p.accuracy * 100).toFixed(2)} %`;
}

/** A sensitivity analysis of a given model trains nothing: no empty accuracy/loss charts above its tables. */
function renderChartsVisibility(run: PanelRun | null): void {
  el('charts').hidden = run?.job === 'sensitivity' && run.points.length === 0 && run.report.length === 0;
}

function renderChartsNote(run: PanelRun | null): void {
  const note = el('charts-note');
  const empty = run !== null && run.points.length === 0 && run.job !== 'evaluate' && run.job !== 'quantize' && run.job !== 'sensitivity';
  note.hidden = !empty;
  note.textContent = run?.status === 'running' ? 'The curves appear when the first epoch ends.' : 'This run ended before an epoch finished.';
}

function renderLists(run: PanelRun | null): void {
  const warnings = run?.warnings ?? [];
  el('warnings-section').hidden = warnings.length === 0;
  el('warnings').replaceChildren(
    ...warnings.map((w) => {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = w.code;
      li.append(code, document.createTextNode(w.message));
      return li;
    }),
  );
  const report = run?.report ?? [];
  el('report-section').hidden = report.length === 0;
  const t = run ? buildTradeoff(run) : null;
  table.setRows(report, t ? { pareto: new Set(t.front.map((p) => p.path)), recommended: t.recommended?.path ?? null } : undefined);
  confusion.setRows(report);
  const artifacts = run?.artifacts ?? [];
  el('artifacts-section').hidden = artifacts.length === 0;
  el('artifacts').replaceChildren(
    ...artifacts.map((a) => {
      const li = document.createElement('li');
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = a.kind;
      const link = document.createElement('a');
      link.href = '#';
      link.className = 'artifact-link';
      link.dataset.path = a.path;
      link.title = `Reveal ${a.path} in the Explorer`;
      link.textContent = a.path;
      const size = document.createElement('span');
      size.className = 'size';
      size.textContent = formatBytes(a.bytes);
      li.append(kind, link, size);
      return li;
    }),
  );
}

/** The size / accuracy chart: sweeps put it first; any run with two evaluated files shows it. */
function renderTradeoff(run: PanelRun | null): void {
  const t = run ? buildTradeoff(run) : null;
  el('charts').dataset.job = run?.job ?? 'none';
  el('tradeoff-card').hidden = t === null;
  tradeoffChart.update(t);
  el('tradeoff-note').textContent = `one point per model file, labelled by ${run?.job === 'sweep' ? 'its sparsity' : 'its variant'}`;
  const rec = el('tradeoff-recommendation');
  rec.hidden = !t?.recommendation;
  rec.textContent = t?.recommendation ?? '';
  rec.dataset.path = t?.recommended?.path ?? '';
}

function renderAll(): void {
  const run = selected();
  vscode.setState({ selectedRunId: selectedId });
  renderMode();
  renderRunSelect();
  renderHeader(run);
  renderProgress(run);
  renderLists(run);
  renderChartsNote(run);
  renderChartsVisibility(run);
  el('sparsity-card').hidden = !run || run.sparsity.size === 0;
  charts.update(run);
  renderTradeoff(run);
  sensitivityView.update(run?.sensitivity ?? null);
  renderDataTables();
  el('app').setAttribute('aria-busy', 'false');
}

function onMessage(msg: ToWebview): void {
  switch (msg.type) {
    case 'snapshot': {
      runs.clear();
      for (const v of msg.runs) {
        runs.set(v.runId, fromView(v));
      }
      canRun = msg.canRun;
      compareIds = msg.compare ?? null;
      selectedId = msg.selectedRunId !== null && runs.has(msg.selectedRunId) ? msg.selectedRunId : (Array.from(runs.keys()).pop() ?? null);
      renderAll();
      return;
    }
    case 'engineEvent': {
      let run = runs.get(msg.runId);
      if (!run) {
        run = emptyRun(msg.runId, 'train', 'running', new Date().toISOString());
        runs.set(msg.runId, run);
        selectedId = msg.runId;
      }
      const chartsChanged = applyEvent(run, msg.event);
      if (msg.runId !== selectedId) {
        renderRunSelect();
        return;
      }
      if (msg.event.type === 'batchProgress' || msg.event.type === 'stageProgress' || msg.event.type === 'dataProgress') {
        renderProgress(run);
        return;
      }
      renderRunSelect();
      renderHeader(run);
      renderProgress(run);
      renderLists(run);
      renderChartsNote(run);
      renderChartsVisibility(run);
      el('sparsity-card').hidden = run.sparsity.size === 0;
      if (chartsChanged) {
        charts.update(run);
      }
      // New rows, or the run ended (the recommendation stops saying "so far").
      if (['report', 'jobStarted', 'done', 'cancelled', 'error'].includes(msg.event.type)) {
        renderTradeoff(run);
      }
      if (msg.event.type === 'sensitivity' || msg.event.type === 'jobStarted') {
        sensitivityView.update(run.sensitivity);
      }
      if (chartsChanged) {
        renderDataTables();
      }
      return;
    }
    case 'deploy':
      deployView.update(msg.cards);
      return;
    case 'datasetPreview':
      datasetPreview.show(msg.preview);
      if (msg.preview) {
        revealBelowHeader(el('dataset-preview'));
      }
      return;
    default:
      assertNever(msg, 'host message');
  }
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const data = ev.data as ToWebview | null;
  if (data && typeof data === 'object' && (data.type === 'snapshot' || data.type === 'engineEvent' || data.type === 'deploy')) {
    onMessage(data);
  } else if (data && typeof data === 'object' && data.type === 'datasetPreview') {
    // Drawn from the user's files: checked before anything is drawn (pixel counts, sizes, strings).
    const preview = data.preview === null ? null : parseDatasetPreview(data.preview);
    if (data.preview === null || preview) {
      onMessage({ type: 'datasetPreview', preview });
    }
  }
});

el('stop-button').addEventListener('click', () => {
  const run = selected();
  if (run) {
    vscode.postMessage({ type: 'stopRun', runId: run.runId });
  }
});
el('start-train').addEventListener('click', () => vscode.postMessage({ type: 'startJob', job: 'train' }));
el('start-pipeline').addEventListener('click', () => vscode.postMessage({ type: 'startJob', job: 'pipeline' }));
el('start-sweep').addEventListener('click', () => vscode.postMessage({ type: 'startJob', job: 'sweep' }));
el('compare-back').addEventListener('click', () => {
  compareIds = null;
  if (selectedId !== null) {
    vscode.postMessage({ type: 'selectRun', runId: selectedId });
  }
  renderAll();
});
el('export-report').addEventListener('click', () => {
  const list = comparing();
  const shown = CARDS.filter((spec) => {
    const card = document.querySelector<HTMLElement>(`figure[data-chart="${spec.name}"]`);
    // Only the charts on screen: the comparison's in compare mode, the run's otherwise.
    return card !== null && card.offsetParent !== null && (list ? spec.name.startsWith('compare-') : !spec.name.startsWith('compare-'));
  });
  const charts = shown.map((spec) => chartOf(spec)).map((c, i) => (c ? chartImage(shown[i].name, shown[i].title, c) : null)).filter((c) => c !== null);
  const runIds = list ? list.map((r) => r.runId) : selectedId !== null ? [selectedId] : [];
  vscode.postMessage({ type: 'exportReport', runIds, charts });
});
el<HTMLSelectElement>('run-select').addEventListener('change', (ev) => {
  const id = (ev.target as HTMLSelectElement).value;
  if (runs.has(id)) {
    selectedId = id;
    compareIds = null;
    vscode.postMessage({ type: 'selectRun', runId: id });
    renderAll();
  }
});
document.addEventListener('click', (ev) => {
  const link = (ev.target as Element | null)?.closest?.('a.artifact-link');
  if (link instanceof HTMLAnchorElement && link.dataset.path !== undefined) {
    ev.preventDefault();
    const run = selected();
    if (run) {
      vscode.postMessage({ type: 'revealArtifact', runId: run.runId, path: link.dataset.path });
    }
  }
});

// VS Code changes the body class and the CSS variables when the colour theme changes.
new MutationObserver(() => {
  const run = selected();
  charts.retheme(run);
  tradeoffChart.retheme(run ? buildTradeoff(run) : null);
  compareView.retheme();
  document.body.dataset.themeForeground = getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// The elapsed time of a running run ticks once a second.
setInterval(() => {
  const run = selected();
  if (run?.status === 'running') {
    renderDuration(run);
  }
}, 1000);

renderAll();
vscode.postMessage({ type: 'ready' });
