/**
 * Messages between the extension host (webview panel owner) and the metrics panel
 * (browser code in `src/webview/`). The panel keeps no state the host cannot resend: on
 * (re)load it posts `ready` and receives a `snapshot`.
 */
import type { DeployCard } from './deploy';
import type { EngineEvent, RunRecord, RunStatus, JobKind, BackendInfo } from './engine';
import type { DatasetPreview } from './datasetPreview';

/** What the panel needs to draw one run; built from live events or from a saved run record. */
export interface RunView {
  runId: string;
  job: JobKind;
  status: RunStatus;
  startedAt: string;
  backend: BackendInfo | null;
  /** Every engine event of the run so far, in order (batchProgress: only the latest). */
  events: EngineEvent[];
  /** For runs loaded from disk. */
  record?: RunRecord;
}

/** extension → webview: the full state, sent in answer to `ready` and when runs change. */
export interface SnapshotMessage {
  type: 'snapshot';
  runs: RunView[];
  /** The run to show, normally the newest. */
  selectedRunId: string | null;
  /** False in an untrusted workspace: the panel hides start buttons. */
  canRun: boolean;
  /** Compare Runs: the runs to show side by side (oldest first); null = one run. */
  compare?: string[] | null;
}

/** extension → webview: one live engine event of a run. */
export interface EngineEventMessage {
  type: 'engineEvent';
  runId: string;
  event: EngineEvent;
}

/** extension → webview: the deploy cards (Model Optimizer: Deploy), newest first; sent after every snapshot too. */
export interface DeployMessage {
  type: 'deploy';
  cards: DeployCard[];
}


/**
 * extension → webview: Choose Dataset…'s preview to show (classes, sample images, shape, value
 * range, Confirm / Cancel), or null when it is gone (confirmed, cancelled, replaced).
 */
export interface DatasetPreviewMessage {
  type: 'datasetPreview';
  preview: DatasetPreview | null;
}

export type ToWebview = SnapshotMessage | EngineEventMessage | DeployMessage | DatasetPreviewMessage;

/** webview → extension: the panel has loaded and wants a snapshot. */
export interface ReadyMessage {
  type: 'ready';
}

/** webview → extension: the user pressed Stop. */
export interface StopRunMessage {
  type: 'stopRun';
  runId: string;
}

/** webview → extension: the user asked for a job (a button in the panel). */
export interface StartJobMessage {
  type: 'startJob';
  job: JobKind;
}

/** webview → extension: the user clicked an artifact path; the host reveals it in the Explorer. */
export interface RevealArtifactMessage {
  type: 'revealArtifact';
  runId: string;
  /** Path relative to the run's output folder, exactly as the engine reported it. */
  path: string;
}

/** webview → extension: the user picked another run in the panel's run selector. */
export interface SelectRunMessage {
  type: 'selectRun';
  runId: string;
}

/** A chart the user exports: PNG as a `data:image/png;base64,` URL, SVG as markup the panel drew from the chart's own geometry. */
export interface ChartImage {
  /** File-name stem: 'accuracy', 'loss', 'sparsity', 'tradeoff', 'compare-accuracy'. */
  name: string;
  title: string;
  png: string;
  svg: string;
}

/** webview → extension: save one chart (the host asks where). */
export interface SaveChartMessage {
  type: 'saveChart';
  format: 'png' | 'svg';
  chart: ChartImage;
}

/** webview → extension: write report.md for the runs shown (one, or the compared ones) with these charts beside it. */
export interface ExportReportMessage {
  type: 'exportReport';
  runIds: string[];
  charts: ChartImage[];
}

/** webview → extension: write the previewed data set into model-optimizer.json (`id` of the preview shown). */
export interface ConfirmDatasetMessage {
  type: 'confirmDataset';
  id: string;
}

/** webview → extension: close the preview without writing anything. */
export interface CancelDatasetMessage {
  type: 'cancelDataset';
  id: string;
}

export type FromWebview =
  | ReadyMessage
  | StopRunMessage
  | StartJobMessage
  | RevealArtifactMessage
  | SelectRunMessage
  | SaveChartMessage
  | ExportReportMessage
  | ConfirmDatasetMessage
  | CancelDatasetMessage;

/** Largest chart image accepted from the panel (a 4K PNG is ~2 MB). */
export const MAX_CHART_CHARS = 12 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;

function parseChart(v: unknown): ChartImage | null {
  if (typeof v !== 'object' || v === null) {
    return null;
  }
  const c = v as Record<string, unknown>;
  if (typeof c.name !== 'string' || !NAME.test(c.name) || typeof c.title !== 'string' || c.title.length > 200) {
    return null;
  }
  if (typeof c.png !== 'string' || !c.png.startsWith('data:image/png;base64,') || c.png.length > MAX_CHART_CHARS) {
    return null;
  }
  if (typeof c.svg !== 'string' || !c.svg.startsWith('<svg') || c.svg.length > MAX_CHART_CHARS) {
    return null;
  }
  return { name: c.name, title: c.title, png: c.png, svg: c.svg };
}

// The panel starts these jobs; qat and cluster are CLI commands (and pipeline stages) so far.
const JOBS: readonly JobKind[] = ['train', 'prune', 'quantize', 'evaluate', 'pipeline', 'sweep', 'sensitivity'];

/** Validates an untrusted message from the webview; returns null when it is not one of ours. */
export function parseFromWebview(raw: unknown): FromWebview | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'stopRun':
    case 'selectRun':
      return typeof m.runId === 'string' ? { type: m.type, runId: m.runId } : null;
    case 'startJob':
      return typeof m.job === 'string' && (JOBS as readonly string[]).includes(m.job)
        ? { type: 'startJob', job: m.job as JobKind }
        : null;
    case 'revealArtifact':
      return typeof m.runId === 'string' && typeof m.path === 'string'
        ? { type: 'revealArtifact', runId: m.runId, path: m.path }
        : null;
    case 'saveChart': {
      const chart = parseChart(m.chart);
      return chart && (m.format === 'png' || m.format === 'svg') ? { type: 'saveChart', format: m.format, chart } : null;
    }
    case 'exportReport': {
      if (!Array.isArray(m.runIds) || !m.runIds.every((x) => typeof x === 'string') || !Array.isArray(m.charts) || m.charts.length > 20) {
        return null;
      }
      const charts = m.charts.map(parseChart);
      return charts.every((c): c is ChartImage => c !== null) ? { type: 'exportReport', runIds: m.runIds, charts } : null;
    }
    case 'confirmDataset':
    case 'cancelDataset':
      return typeof m.id === 'string' && m.id.length <= 100 ? { type: m.type, id: m.id } : null;
    default:
      return null;
  }
}
