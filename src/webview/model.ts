/**
 * The panel's view of one run, rebuilt from a `RunView` (saved record and/or live events)
 * and updated by each live engine event. No DOM here, so it is easy to reason about.
 */
import { assertNever } from '../protocol/assert';
import type {
  ArtifactKind,
  BackendInfo,
  BatchProgressEvent,
  EngineEvent,
  StageProgressEvent,
  DataProgressEvent,
  JobKind,
  ModelReport,
  RunRecord,
  RunStatus,
  StageKind,
} from '../protocol/engine';
import { mergeReport, upsertArtifact } from '../protocol/engine';
import type { SweepSummary } from '../protocol/sweep';
import type { SensitivityReport } from '../protocol/sensitivity';
import type { RunView } from '../protocol/webview';

export interface EpochPoint {
  stage: StageKind;
  model: string;
  epoch: number;
  epochs: number;
  step: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface SparsityPoint {
  step: number;
  sparsity: number;
}

export interface PanelRun {
  runId: string;
  job: JobKind;
  status: RunStatus;
  startedAt: string;
  backend: BackendInfo | null;
  dataset: RunRecord['dataset'] | null;
  stages: { stage: StageKind; model: string; epochs?: number }[];
  points: EpochPoint[];
  /** Latest progress inside the current epoch; null when no fit is running. */
  progress: BatchProgressEvent | null;
  /** Latest progress of a stage that is not a fit (export, evaluation); null otherwise. */
  stageProgress: StageProgressEvent | null;
  /** Latest progress of loading the data set (before jobStarted); null once the job starts. */
  dataProgress: DataProgressEvent | null;
  /** Per pruned layer: measured sparsity over optimizer steps. */
  sparsity: Map<string, SparsityPoint[]>;
  /** The schedule's target sparsity at each mask update. */
  targetSparsity: SparsityPoint[];
  warnings: { code: string; message: string }[];
  report: ModelReport[];
  artifacts: { kind: ArtifactKind; model: string; path: string; bytes: number }[];
  error: { code: string; message: string; where?: string } | null;
  testAccuracy: Record<string, number>;
  durationMs: number | null;
  /** Sweep runs: the accuracy budget of the recommendation (config `sweep.maxAccuracyDrop`). */
  maxAccuracyDrop: number | null;
  /** Sweep runs loaded from a record: the engine's trade-off table and recommendation. */
  sweep: SweepSummary | null;
  /** Sensitivity runs: the per-layer analysis. */
  sensitivity: SensitivityReport | null;
  /** The validated config the run used (Compare Runs shows the differences). */
  config: unknown;
}

export function emptyRun(runId: string, job: JobKind, status: RunStatus, startedAt: string): PanelRun {
  return {
    runId,
    job,
    status,
    startedAt,
    backend: null,
    dataset: null,
    stages: [],
    points: [],
    progress: null,
    stageProgress: null,
    dataProgress: null,
    sparsity: new Map(),
    targetSparsity: [],
    warnings: [],
    report: [],
    artifacts: [],
    error: null,
    testAccuracy: {},
    durationMs: null,
    maxAccuracyDrop: null,
    sweep: null,
    sensitivity: null,
    config: null,
  };
}

/**
 * Sparsity series key: the layer; in a sweep, where each point prunes its own model from step 0,
 * the model too ('s50 dense_1'), so each point draws its own curve.
 */
function sparsityKey(run: PanelRun, model: string | undefined, layer: string): string {
  return run.job === 'sweep' && model ? `${model.replace(/^pruned_/, '')} ${layer}` : layer;
}

function addSparsity(run: PanelRun, key: string, point: SparsityPoint): void {
  let series = run.sparsity.get(key);
  if (!series) {
    series = [];
    run.sparsity.set(key, series);
  }
  const last = series[series.length - 1];
  if (last && last.step === point.step) {
    last.sparsity = point.sparsity;
  } else {
    series.push(point);
  }
}

/** Builds the panel state from what the host sent: the saved record first, then live events. */
export function fromView(view: RunView): PanelRun {
  const run = emptyRun(view.runId, view.job, view.status, view.startedAt);
  run.backend = view.backend;
  const rec = view.record;
  if (rec) {
    run.backend = rec.backend;
    run.dataset = rec.dataset;
    run.durationMs = rec.durationMs;
    for (const s of rec.stages) {
      run.stages.push({ stage: s.stage, model: s.model, epochs: s.epochs.length });
      // Mask updates (per step) and epoch ends, merged in step order as they arrived live.
      const sparsityAt: { step: number; layers: Record<string, number> }[] = [];
      for (const u of s.pruning?.maskUpdates ?? []) {
        sparsityAt.push({ step: u.step, layers: u.layers });
        if (run.job !== 'sweep') {
          run.targetSparsity.push({ step: u.step, sparsity: u.targetSparsity });
        }
      }
      for (const e of s.epochs) {
        if (e.sparsity) {
          sparsityAt.push({ step: e.step, layers: e.sparsity });
        }
      }
      sparsityAt.sort((a, b) => a.step - b.step);
      for (const p of sparsityAt) {
        for (const [layer, sp] of Object.entries(p.layers)) {
          addSparsity(run, sparsityKey(run, s.model, layer), { step: p.step, sparsity: sp });
        }
      }
      for (const e of s.epochs) {
        run.points.push({
          stage: s.stage,
          model: s.model,
          epoch: e.epoch,
          epochs: s.epochs.length,
          step: e.step,
          loss: e.loss,
          accuracy: e.accuracy,
          valLoss: e.valLoss,
          valAccuracy: e.valAccuracy,
        });
      }
      if (s.testAccuracy !== undefined) {
        run.testAccuracy[s.model] = s.testAccuracy;
      }
    }
    run.report = rec.report.slice();
    for (const a of rec.artifacts) {
      upsertArtifact(run.artifacts, a);
    }
    run.warnings = rec.warnings.slice();
    run.error = rec.error ?? null;
    run.maxAccuracyDrop = rec.config.sweep?.maxAccuracyDrop ?? null;
    run.sweep = rec.sweep ?? null;
    run.sensitivity = rec.sensitivity ?? null;
    run.config = rec.config;
  }
  // A record already holds everything the events said; replaying them would duplicate points.
  if (!rec) {
    for (const e of view.events) {
      applyEvent(run, e);
    }
  }
  return run;
}

/** Applies one live engine event. Returns true when the charts need new data. */
export function applyEvent(run: PanelRun, e: EngineEvent): boolean {
  switch (e.type) {
    case 'ready':
    case 'log':
      return false;
    case 'dataProgress':
      run.dataProgress = e;
      return false;
    case 'jobStarted':
      run.dataProgress = null;
      run.job = e.job;
      run.backend = e.backend;
      run.dataset = e.dataset;
      run.startedAt = e.startedAt;
      run.status = 'running';
      run.maxAccuracyDrop = e.config.sweep?.maxAccuracyDrop ?? null;
      run.config = e.config;
      return false;
    case 'stageStarted': {
      const existing = run.stages.find((s) => s.stage === e.stage && s.model === e.model);
      if (!existing) {
        run.stages.push({ stage: e.stage, model: e.model, epochs: e.epochs });
      }
      run.progress = null;
      run.stageProgress = null;
      return false;
    }
    case 'batchProgress':
      run.progress = e;
      run.stageProgress = null;
      return false;
    case 'stageProgress':
      run.progress = null;
      run.stageProgress = e;
      return false;
    case 'epochEnd':
      run.points.push({
        stage: e.stage,
        model: e.model,
        epoch: e.epoch,
        epochs: e.epochs,
        step: e.step,
        ...e.metrics,
      });
      if (!run.stages.some((s) => s.stage === e.stage && s.model === e.model)) {
        run.stages.push({ stage: e.stage, model: e.model, epochs: e.epochs });
      }
      for (const [layer, sp] of Object.entries(e.sparsity ?? {})) {
        addSparsity(run, sparsityKey(run, e.model, layer), { step: e.step, sparsity: sp });
      }
      if (run.progress && run.progress.epoch === e.epoch && run.progress.stage === e.stage) {
        run.progress = { ...run.progress, batch: run.progress.batches };
      }
      return true;
    case 'pruningStep': {
      const model = run.stages.filter((st) => st.stage === 'prune').pop()?.model;
      for (const l of e.layers) {
        addSparsity(run, sparsityKey(run, model, l.name), { step: e.step, sparsity: l.sparsity });
      }
      // A sweep's schedules restart at step 0 for every point: its measured curves say enough.
      if (run.job !== 'sweep') {
        run.targetSparsity.push({ step: e.step, sparsity: e.targetSparsity });
      }
      return true;
    }
    case 'warning':
      run.warnings.push({ code: e.code, message: e.message });
      return false;
    case 'artifactWritten':
      upsertArtifact(run.artifacts, { kind: e.kind, model: e.model, path: e.path, bytes: e.bytes });
      return false;
    case 'report':
      run.report = mergeReport(run.report, e.rows);
      return true;
    case 'sensitivity':
      run.sensitivity = e.report;
      return false;
    case 'done':
      run.status = 'done';
      run.durationMs = e.durationMs;
      run.testAccuracy = { ...e.testAccuracy };
      run.progress = null;
      run.stageProgress = null;
      run.dataProgress = null;
      return false;
    case 'cancelled':
      run.status = 'cancelled';
      run.durationMs = e.durationMs;
      run.progress = null;
      run.stageProgress = null;
      run.dataProgress = null;
      return false;
    case 'error':
      run.status = 'failed';
      run.error = { code: e.code, message: e.message, where: e.where };
      run.progress = null;
      run.stageProgress = null;
      run.dataProgress = null;
      return false;
    default:
      return assertNever(e, 'engine event');
  }
}

export { formatBytes, formatDuration } from '../protocol/format';
