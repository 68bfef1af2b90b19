/**
 * Messages between the extension (or the CLI) and the engine.
 *
 * The engine runs in a child process (`dist/engine.js`, Node IPC channel) under the
 * extension, and in-process under the CLI. The same `EngineEvent` objects are what the
 * CLI prints, one per line, with `--json`. Every message has a string `type` tag so logs
 * and JSON lines read well.
 */
import type { RunConfig, PartialRunConfig, TfliteMode } from './config';
import type { SweepSummary } from './sweep';
import type { NmSparsityRow, SensitivityReport } from './sensitivity';

/**
 * What a run does. `pipeline` = train → prune → quantize/export → evaluate; `sweep` = prune
 * the baseline to several sparsities and export/evaluate each (the size/accuracy trade-off);
 * `sensitivity` = per-layer pruning and int8 sensitivity of one model (sensitivity.json/.md).
 */
export type JobKind = 'train' | 'prune' | 'quantize' | 'evaluate' | 'pipeline' | 'sweep' | 'sensitivity' | 'qat' | 'cluster';

/** What each job is called in the UI: the Runs tree, the status bar, the output channel and the panel title. */
export const JOB_TITLE: Readonly<Record<JobKind, string>> = {
  train: 'Train baseline',
  prune: 'Prune',
  quantize: 'Quantize',
  evaluate: 'Evaluate',
  pipeline: 'Full pipeline',
  sweep: 'Sparsity sweep',
  sensitivity: 'Layer sensitivity',
  qat: 'Quantization-aware training',
  cluster: 'Weight clustering',
};

/** Stages a job is made of, in the order they run. */
export type StageKind = 'train' | 'prune' | 'export' | 'evaluate' | 'sensitivity' | 'qat' | 'cluster';

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** Which numeric backend actually ran, reported everywhere (panel, CLI, run record). */
export interface BackendInfo {
  /** The TF.js backend name that was loaded: 'wasm' | 'cpu' | 'tensorflow' (tfjs-node). */
  tfjs: string;
  /** The training loop that ran: 'simd-kernel', 'tfjs' (Dense stacks on TF.js ops) or 'tfjs-graph' (any graph, TF.js autodiff). */
  trainer: string;
  /** What the user asked for. */
  requested: string;
  /** Extra facts worth showing (threads, SIMD, why a fallback happened). */
  detail?: string;
}

// ---------------------------------------------------------------------------------------
// extension/CLI → engine
// ---------------------------------------------------------------------------------------

/** extension → engine: start one job. Exactly one `start` per child process. */
export interface StartRequest {
  type: 'start';
  runId: string;
  job: JobKind;
  /** The user's config (partial); the engine validates it and fills in defaults. */
  config: PartialRunConfig;
  /** Where the config came from, for error messages ("model-optimizer.json: train.epochs …"). */
  configSource?: string;
  /** Absolute output folder; every file the engine writes lands inside it. */
  outDir: string;
  /** Absolute path of an input model (TF.js model.json or a folder) for prune/quantize/evaluate. */
  inputModel?: string;
  /** Another run writing to outDir: wait for it to end (true) instead of refusing (bad input). */
  wait?: boolean;
}

/** extension → engine: stop as soon as the current batch ends; remove temp files. */
export interface CancelRequest {
  type: 'cancel';
}

export type EngineRequest = StartRequest | CancelRequest;

// ---------------------------------------------------------------------------------------
// engine → extension/CLI
// ---------------------------------------------------------------------------------------

/** engine → extension: the child process is up and waits for `start`. */
export interface ReadyEvent {
  type: 'ready';
  pid: number;
}

/** engine → extension: the job was accepted; config is the full, validated config. */
export interface JobStartedEvent {
  type: 'jobStarted';
  runId: string;
  job: JobKind;
  config: RunConfig;
  backend: BackendInfo;
  stages: StageKind[];
  startedAt: string;
  dataset: DatasetSummary;
  /**
   * This run's own folder, relative to outDir (POSIX), e.g. 'runs/<runId>': artifact paths
   * and report rows of the run are relative to it. Absent (older engines): relative to outDir.
   */
  runDir?: string;
}

/** What was trained on: sizes, and (once loaded) the sample shape, class names and input normalisation. */
export interface DatasetSummary {
  name: string;
  train: number;
  validation: number;
  test: number;
  /** Per-sample shape, NHWC without the batch dimension ([28, 28, 1] for MNIST). */
  shape?: number[];
  /** Class names in class-index order. */
  classNames?: string[];
  /**
   * model input = (raw − mean[f mod k]) / std[f mod k], k = mean.length: what the engine trains
   * on, and what exported files take unless the normalisation is built into them (exportedInput).
   */
  normalization?: { kind: string; mean: number[]; std: number[] };
  /** The element type of the files read. */
  dtype?: 'uint8' | 'float32';
  /**
   * What the model files this run writes take as input, in words: raw values (the normalisation
   * built in, output.includeNormalization) or normalised values (and the formula).
   */
  exportedInput?: string;
}

/** engine → extension: a stage begins (a training or fine-tuning fit announces its shape). */
export interface StageStartedEvent {
  type: 'stageStarted';
  stage: StageKind;
  /** The model this stage produces or works on, e.g. 'mnist_model', 'pruned_mnist_model'. */
  model: string;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Sweep runs: the point this belongs to (its model name, e.g. 'pruned_s50'); absent outside a point. */
  point?: string;
}

/** engine → extension: progress inside an epoch, throttled (at most a few per second). */
export interface BatchProgressEvent {
  type: 'batchProgress';
  stage: StageKind;
  epoch: number; // 1-based
  epochs: number;
  batch: number; // 1-based, batches done in this epoch
  batches: number;
  /** Running mean over the epoch so far. */
  loss: number;
  accuracy: number;
  /** Sweep runs: the point this belongs to (its model name, e.g. 'pruned_s50'); absent outside a point. */
  point?: string;
}

/**
 * engine → extension: progress of a stage that is not a fit (export: writing each file,
 * calibrating full-int8; evaluation of each file), so no one sees a stale "epoch 1/1 · 100 %"
 * while the export runs. `done` of `total` steps are finished; `task` is what runs now.
 */
export interface StageProgressEvent {
  type: 'stageProgress';
  stage: StageKind;
  /** What runs now, for people: 'writing pruned_mnist_model.h5', 'evaluating mnist_model.h5'. */
  task: string;
  done: number;
  total: number;
  /** Sweep runs: the point this belongs to (its model name, e.g. 'pruned_s50'); absent outside a point. */
  point?: string;
}

/**
 * engine → extension: progress of loading the data set, before any stage runs (decoding 70 000
 * PNG files takes seconds to minutes). `phase` says what runs ('decoding images'); `done` of
 * `total` items are finished (a final event has done = total).
 */
export interface DataProgressEvent {
  type: 'dataProgress';
  phase: string;
  done: number;
  total: number;
}

export interface EpochMetrics {
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

/** engine → extension: an epoch finished, with every metric. */
export interface EpochEndEvent {
  type: 'epochEnd';
  stage: StageKind;
  model: string;
  epoch: number; // 1-based
  epochs: number;
  /** Global optimizer step after this epoch (pruning schedules count these). */
  step: number;
  metrics: EpochMetrics;
  durationMs: number;
  /** Per pruned layer: measured sparsity of the kernel after the epoch-end mask. */
  sparsity?: Record<string, number>;
  /** Sweep runs: the point this belongs to (its model name, e.g. 'pruned_s50'); absent outside a point. */
  point?: string;
}

/** engine → extension: pruning masks were updated at this step. */
export interface PruningStepEvent {
  type: 'pruningStep';
  step: number;
  /** Schedule's target sparsity at this step. */
  targetSparsity: number;
  layers: { name: string; sparsity: number; threshold: number }[];
  /** Sweep runs: the point this belongs to (its model name, e.g. 'pruned_s50'); absent outside a point. */
  point?: string;
}

/** engine → extension: a problem worth the user's attention that does not stop the run. */
export interface WarningEvent {
  type: 'warning';
  code: string;
  message: string;
}

/** engine → extension: free-text log line. */
export interface LogEvent {
  type: 'log';
  level: 'info' | 'debug';
  message: string;
}

export type ArtifactKind = 'tfjs' | 'tfjs-quantized' | 'keras-h5' | 'tflite' | 'run-record' | 'tensorboard' | 'report';

/** engine → extension: a file was written completely (atomic rename done). */
export interface ArtifactWrittenEvent {
  type: 'artifactWritten';
  kind: ArtifactKind;
  /** Logical model name, e.g. 'mnist_model'. */
  model: string;
  /**
   * Path relative to the run's folder (jobStarted.runDir; POSIX separators), except the
   * run record ('runs/<runId>.json'), which is relative to the output folder. For a TF.js
   * model: its model.json.
   */
  path: string;
  /** Bytes on disk (all files of a TF.js model). */
  bytes: number;
}

/** One row of the comparison table: a model file, measured from disk and in its runtime. */
export interface ModelReport {
  model: string;
  format: 'tfjs' | 'tfjs-quantized' | 'keras-h5' | 'tflite';
  /** Variant label shown to users, e.g. 'float32', 'dynamic-int8', 'uint8'. */
  variant: string;
  path: string;
  bytes: number;
  gzipBytes: number;
  params: number;
  nonzeros: number;
  /** Per-layer kernel sparsity, measured from the saved file. */
  layers: { name: string; sparsity: number }[];
  /** Test accuracy measured in `runtime`; null when not evaluated. */
  accuracy: number | null;
  /** Accuracy minus the float32 baseline's. */
  accuracyDelta: number | null;
  runtime: string;
  /** Median single-sample latency in microseconds, when measured. */
  latencyUs: number | null;
  /**
   * Median time for a batch of BATCH_LATENCY_SAMPLES samples in milliseconds, when measured
   * (one batched call for TF.js and Keras files; one invoke per sample for .tflite files,
   * whose batch dimension is fixed at 1).
   */
  batchLatencyMs?: number | null;
  /** The same file measured in other runtimes (LiteRT.js beside tfjs-tflite for .tflite), or why not. */
  otherRuntimes?: RuntimeMeasurement[];
  /** Sweep rows only: the pruning target of this file's model (0 = the unpruned baseline). */
  targetSparsity?: number;
  /** How the file's model was optimized beyond pruning: 'qat' (quantization-aware training), 'clustered' (weight clustering). */
  technique?: 'qat' | 'clustered';
  /** Per-class results on the test set (when evaluated). */
  classes?: ClassReport;
  /** The model's layers (Keras/TF.js float files of a model this run wrote or read). */
  layerTable?: LayerTableRow[];
  /** Mixed int8/float files (float fallback): the layers kept in float. */
  floatLayers?: string[];
  /**
   * 'input': the model file the run was given (`pipeline --model F`): read, not written by the
   * run, and the baseline its exports are compared with. `path` is then F's own path (relative
   * to the output folder when F is inside it, else absolute).
   */
  source?: 'input';
  /** What the file takes: 'raw' values (the data's normalisation built in) or 'normalized' ones (as the engine trains on). */
  input?: 'raw' | 'normalized';
}

/** Samples in the batch whose latency `batchLatencyMs` gives. */
export const BATCH_LATENCY_SAMPLES = 100;

/** A file measured in a second runtime (same test set), or the reason it was not. */
export interface RuntimeMeasurement {
  /** Which runtime and build, e.g. 'LiteRT.js 2.5.3 (XNNPACK, litert_wasm_compat_internal.js)'. */
  runtime: string;
  accuracy: number | null;
  latencyUs: number | null;
  batchLatencyMs: number | null;
  /** Test samples whose top-1 class equals the primary runtime's, as a fraction (null when not run). */
  agreement: number | null;
  /** Set when the runtime did not run the file: why (package not installed, file refused). */
  unavailable?: string;
}

/** One layer of a model in the comparison: what it is and what it costs. */
export interface LayerTableRow {
  name: string;
  /** Keras class name, e.g. 'Conv2D'. */
  type: string;
  /** Per-sample output shape (no batch dimension). */
  outputShape: number[];
  params: number;
  nonZeros: number;
  /** Multiply-accumulates per sample. */
  macs: number;
}

/** A model's results per class, in class-index order. */
export interface ClassReport {
  /** Class names (folder names, string labels, or '0', '1', …). */
  names: string[];
  /** Test samples of each class. */
  support: number[];
  /** Correct / samples of the class (recall); null for a class without test samples. */
  accuracy: (number | null)[];
  /** Correct / predictions of the class; null when the model never predicts it. */
  precision: (number | null)[];
  /** confusion[true][predicted] counts; left out above 100 classes. */
  confusion?: number[][];
}

/** engine → extension: the comparison table was (re)computed. */
export interface ReportEvent {
  type: 'report';
  rows: ModelReport[];
}

/** engine → extension: the layer sensitivity analysis finished (also in sensitivity.json and the run record). */
export interface SensitivityEvent {
  type: 'sensitivity';
  report: SensitivityReport;
}

/** engine → extension: the run finished successfully. Last event of a successful run. */
export interface DoneEvent {
  type: 'done';
  runId: string;
  durationMs: number;
  /** Test accuracy of each model trained or fine-tuned in this run. */
  testAccuracy: Record<string, number>;
  recordPath: string;
  /** What really ran: jobStarted names the planned loop, this one the trainer instances' (optional: older engines). */
  backend?: BackendInfo;
}

/** engine → extension: the run stopped because of `cancel`. Last event of a cancelled run. */
export interface CancelledEvent {
  type: 'cancelled';
  runId: string;
  durationMs: number;
}

/**
 * engine → extension: the run failed. Last event of a failed run.
 * `bad-input` = the user can fix it (config, data, model file); `internal` = a bug or crash.
 */
export interface ErrorEvent {
  type: 'error';
  runId: string;
  code: 'bad-input' | 'internal';
  message: string;
  /** Where the problem is, e.g. 'model-optimizer.json: train.epochs'. */
  where?: string;
  stack?: string;
}

export type EngineEvent =
  | ReadyEvent
  | JobStartedEvent
  | StageStartedEvent
  | BatchProgressEvent
  | StageProgressEvent
  | DataProgressEvent
  | EpochEndEvent
  | PruningStepEvent
  | WarningEvent
  | LogEvent
  | ArtifactWrittenEvent
  | ReportEvent
  | SensitivityEvent
  | DoneEvent
  | CancelledEvent
  | ErrorEvent;

/** Events that end a run: after one of these the engine sends nothing more. */
export type TerminalEvent = DoneEvent | CancelledEvent | ErrorEvent;

export function isTerminal(e: EngineEvent): e is TerminalEvent {
  return e.type === 'done' || e.type === 'cancelled' || e.type === 'error';
}

// ---------------------------------------------------------------------------------------
// The run record: `<out>/runs/<runId>.json`, written atomically when the run starts (status
// 'running', with the pid: a run whose process is gone was killed) and again at its end (also
// for failed and cancelled runs), read by the extension to rebuild history.
// ---------------------------------------------------------------------------------------

export interface StageRecord {
  stage: StageKind;
  model: string;
  epochs: EpochRecord[];
  testAccuracy?: number;
  testLoss?: number;
  durationMs: number;
  /** Pruning only: the schedule as it really ran. */
  pruning?: {
    effectiveEndStep: number;
    totalSteps: number;
    lastMaskUpdateStep: number | null;
    finalTargetSparsity: number;
    layers: string[];
    /**
     * Every mask update as the `pruningStep` events reported it (measured sparsity per layer),
     * so a saved run draws the same per-step curve as the live one. Absent in older records.
     */
    maskUpdates?: MaskUpdateRecord[];
  };
  /** Export only, with quantize.maxAccuracyDrop: the float fallback. */
  fallback?: FallbackRecord;
  /** Prune with prune.structured: the channels removed. */
  structured?: StructuredRecord;
  /** Prune: 2:4 sparsity of each pruned model's kernels, and which runtimes could use it. */
  nm?: { rows: NmSparsityRow[]; note: string };
  /** Train / prune of a model with frozen layers (Keras trainable, train.freeze). */
  frozen?: FrozenRecord;
}

/** The frozen part of a fine-tune and the path training took. */
export interface FrozenRecord {
  /** Frozen layers with weights, and the weights they hold (kept bit-equal). */
  layers: number;
  weights: number;
  /** Whether the frozen base's output was computed once and only the rest trained (and why not). */
  featureCache: { used: boolean; detail: string; boundary?: string } | null;
}

/** Structured pruning as it ran: per layer the channels before/after and which were removed. */
export interface StructuredRecord {
  fraction: number;
  norm: 'l1' | 'l2';
  layers: { layer: string; className: string; before: number; after: number; removed: number[] }[];
  /** Dense/Conv2D layers left whole, and why. */
  skipped: { layer: string; reason: string }[];
  paramsBefore: number;
  paramsAfter: number;
}

/** The export stage's float fallback (quantize.maxAccuracyDrop) as it ran. */
export interface FallbackRecord {
  /** The budget (fraction, 0.01 = 1 point). */
  budget: number;
  floatAccuracy: number;
  /** The file whose accuracy is the float reference (the float32 .tflite when written). */
  floatFile: string;
  fullInt8Accuracy: number;
  /** False when full-int8 was within the budget (nothing else was written). */
  needed: boolean;
  /** The layers kept in float in the file written (most sensitive first). */
  floatLayers: string[];
  /**
   * The split the layers were chosen on (validation; the test set only without a usable validation
   * split), with the float32 and full-int8 files' accuracy there. `trials` are on this split.
   */
  decidedOn?: { split: 'validation' | 'test'; samples: number; float32Accuracy: number; fullInt8Accuracy: number };
  /** Each mixed file tried, in order (accuracy on `decidedOn.split`). */
  trials: { floatLayers: string[]; accuracy: number }[];
  /** Whether the written file is within the budget on the test set (its `accuracy` against `floatAccuracy`). */
  met: boolean;
  /** The mixed file (relative to the run folder) and its measured (test) accuracy. */
  file?: string;
  accuracy?: number;
}

export interface MaskUpdateRecord {
  step: number;
  targetSparsity: number;
  /** Measured sparsity of each pruned layer's mask after this update. */
  layers: Record<string, number>;
}

export interface EpochRecord extends EpochMetrics {
  epoch: number;
  step: number;
  durationMs: number;
  sparsity?: Record<string, number>;
}

export interface RunRecord {
  version: 1;
  runId: string;
  job: JobKind;
  /** 'running' only while the run's process (pid) lives; see recordStatus. */
  status: RunStatus;
  startedAt: string;
  /** When the record was written last ('' while running). */
  finishedAt: string;
  /** The engine process that wrote the record. */
  pid?: number;
  /** The run's own folder relative to the output folder (its artifacts are relative to it). */
  runDir?: string;
  durationMs: number;
  config: RunConfig;
  backend: BackendInfo;
  dataset: DatasetSummary;
  stages: StageRecord[];
  artifacts: { kind: ArtifactKind; model: string; path: string; bytes: number }[];
  report: ModelReport[];
  warnings: { code: string; message: string }[];
  error?: { code: string; message: string; where?: string };
  /** Timings in ms by phase: 'data', 'train', 'prune', 'export', 'evaluate'. */
  timings: Record<string, number>;
  /** Sweep runs: the trade-off table with its Pareto front and recommendation (as in sweep/sweep.json). */
  sweep?: SweepSummary;
  /** Sensitivity runs: the per-layer analysis (as in sensitivity.json). */
  sensitivity?: SensitivityReport;
  host: { node: string; platform: string; cpu: string; cores: number };
}

/**
 * How a run's artifact list and comparison report take new entries, the same in the engine's
 * run record, the extension's run store, the CLI and the panel: keyed by file path. An
 * artifact written again replaces its entry in place; report rows replace the rows of the
 * same files (a sweep reports each point's files as they are measured), new files go last.
 */
export function upsertArtifact<T extends { path: string }>(list: T[], artifact: T): void {
  const i = list.findIndex((a) => a.path === artifact.path);
  if (i >= 0) {
    list[i] = artifact;
  } else {
    list.push(artifact);
  }
}

/** See upsertArtifact: `rows` merged into `current` by path, as a new array. */
export function mergeReport(current: readonly ModelReport[], rows: readonly ModelReport[]): ModelReport[] {
  const byPath = new Map(current.map((r) => [r.path, r]));
  for (const row of rows) {
    byPath.set(row.path, row);
  }
  return [...byPath.values()];
}

export type { TfliteMode, SweepSummary, SensitivityReport };
