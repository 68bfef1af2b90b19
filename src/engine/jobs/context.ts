/**
 * The StageContext every stage of a run receives, and the run record it builds: events go
 * out through `emit`; stage records, artifacts, warnings, the comparison report and timings
 * are collected on the way and written at the end to `<out>/runs/<runId>.json` (atomically,
 * for done, failed and cancelled runs alike).
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import type {
  ArtifactKind,
  BackendInfo,
  EngineEvent,
  JobKind,
  ModelReport,
  RunRecord,
  StageRecord,
} from '../../protocol/engine';
import { mergeReport, upsertArtifact } from '../../protocol/engine';
import type { SweepSummary } from '../../protocol/sweep';
import type { SensitivityReport } from '../../protocol/sensitivity';
import type { SplitData } from '../data/dataset';
import type { LoadOptions, LoadProgress } from '../data/load';
import type { ModelGraph } from '../graph/types';
import type { Trainer } from '../train/trainer';
import { writeFileAtomic } from '../util/atomic';
import { CancelledError } from '../errors';
import type { StageContext } from './types';
import { exportInputDescription, includesNormalization } from '../export/inputNormalization';

export interface RunContextDeps {
  loadData(config: RunConfig, opts?: LoadOptions): Promise<SplitData>;
  createTrainer(model: ModelGraph, learningRate: number, backend: BackendInfo, seed: number, inputDtype?: 'uint8' | 'float32'): Promise<Trainer>;
  /** Injected clock (ms) for tests. */
  now?: () => number;
  /**
   * The engine bundle a sweep forks its worker processes from; null = run the points in this
   * process. Default: dist/engine.js beside the running bundle (none when running from source).
   */
  sweepWorkerScript?: string | null;
}

/** dist/engine.js when this code runs from the bundles in dist/ (the engine child or the CLI). */
function bundledEngineScript(): string | null {
  if (typeof __filename !== 'string' || __filename.endsWith('.ts')) {
    return null;
  }
  const script = path.join(__dirname, 'engine.js');
  return existsSync(script) ? script : null;
}

export type DatasetInfo = RunRecord['dataset'];

export class RunContext implements StageContext {
  readonly stages: StageRecord[] = [];
  readonly artifacts: RunRecord['artifacts'] = [];
  readonly warnings: RunRecord['warnings'] = [];
  readonly timings: Record<string, number> = {};
  report: ModelReport[] = [];
  /** Sweep runs: the latest trade-off table (written into the run record). */
  sweep?: SweepSummary;
  /** Sensitivity runs: the analysis (written into the run record). */
  sensitivity?: SensitivityReport;
  /** Set once `data()` resolved (or `setDataset` was called). */
  dataset: DatasetInfo = { name: '', train: 0, validation: 0, test: 0 };
  readonly startedAt: string;
  private readonly t0: number;
  private dataPromise?: Promise<SplitData>;
  private loaded?: SplitData;
  private trainerAnnounced = false;
  private readonly now: () => number;
  /** See RunContextDeps.sweepWorkerScript. */
  readonly sweepWorkerScript: string | null;

  constructor(
    readonly runId: string,
    readonly job: JobKind,
    readonly config: RunConfig,
    readonly outDir: string,
    readonly backend: BackendInfo,
    private readonly sink: (event: EngineEvent) => void,
    readonly signal: AbortSignal,
    private readonly deps: RunContextDeps,
    /** The output folder (the run record goes to `<outRoot>/runs/`); default outDir. */
    readonly outRoot: string = outDir,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.sweepWorkerScript = deps.sweepWorkerScript === undefined ? bundledEngineScript() : deps.sweepWorkerScript;
    this.t0 = this.now();
    this.startedAt = new Date().toISOString();
  }

  /** Forwards an event, and keeps what the run record needs from it. */
  emit(event: EngineEvent): void {
    switch (event.type) {
      case 'artifactWritten':
        upsertArtifact(this.artifacts, { kind: event.kind, model: event.model, path: event.path, bytes: event.bytes });
        break;
      case 'warning':
        this.warnings.push({ code: event.code, message: event.message });
        break;
      case 'report':
        this.report = mergeReport(this.report, event.rows);
        break;
      default:
        break;
    }
    this.sink(event);
  }

  throwIfCancelled(): void {
    if (this.signal.aborted) {
      throw new CancelledError();
    }
  }

  data(): Promise<SplitData> {
    if (!this.dataPromise) {
      const t = this.now();
      const onProgress = (p: LoadProgress): void => this.emit({ type: 'dataProgress', phase: p.phase, done: p.done, total: p.total });
      this.dataPromise = this.deps.loadData(this.config, { onProgress, signal: this.signal }).then((d) => {
        this.loaded = d;
        this.addTiming('data', this.now() - t);
        this.dataset = {
          name: d.name,
          train: d.train.count,
          validation: d.validation.count,
          test: d.test.count,
          shape: [...d.shape],
          classNames: [...d.classNames],
          normalization: { kind: d.normalization.kind, mean: d.normalization.mean, std: d.normalization.std },
          dtype: d.sourceDtype,
          exportedInput: exportInputDescription(d.normalization, includesNormalization(this.config.output.includeNormalization, this.config.data.source, d.normalization)),
        };
        for (const w of d.warnings) {
          this.emit({ type: 'warning', code: w.code, message: w.message });
        }
        return d;
      });
      // A failed load may be retried by a later call.
      this.dataPromise.catch(() => (this.dataPromise = undefined));
    }
    return this.dataPromise;
  }

  /** Bytes of the loaded data's samples and labels (0 before `data()` resolved). */
  datasetBytes(): number {
    const d = this.loaded;
    return d ? [d.train, d.validation, d.test].reduce((n, set) => n + set.images.byteLength + set.labels.byteLength, 0) : 0;
  }

  async createTrainer(model: ModelGraph, learningRate: number): Promise<Trainer> {
    const before = this.backend.trainer;
    // Float data (anything but uint8 bytes scaled by 1/255) trains with the TF.js loop.
    const data = this.dataPromise ? await this.dataPromise : undefined;
    const inputDtype = data && !(data.train.images instanceof Uint8Array) ? 'float32' : 'uint8';
    const trainer = await this.deps.createTrainer(model, learningRate, this.backend, this.config.train.seed, inputDtype);
    this.backend.trainer = trainer.name;
    if (!this.trainerAnnounced || before !== trainer.name) {
      this.trainerAnnounced = true;
      this.log(`training loop: ${trainer.name}${this.backend.detail ? ` (${this.backend.detail})` : ''}`);
    }
    return trainer;
  }

  addStageRecord(record: StageRecord): void {
    this.stages.push(record);
  }

  addArtifact(kind: ArtifactKind, model: string, relPath: string, bytes: number): void {
    this.emit({ type: 'artifactWritten', kind, model, path: relPath.split(path.sep).join('/'), bytes });
  }

  warn(code: string, message: string): void {
    this.emit({ type: 'warning', code, message });
  }

  log(message: string): void {
    this.emit({ type: 'log', level: 'info', message });
  }

  addTiming(phase: string, ms: number): void {
    this.timings[phase] = (this.timings[phase] ?? 0) + ms;
  }

  elapsedMs(): number {
    return this.now() - this.t0;
  }

  /** Test accuracy of every model a stage trained or fine-tuned in this run. */
  testAccuracy(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.stages) {
      if (s.testAccuracy !== undefined) {
        out[s.model] = s.testAccuracy;
      }
    }
    return out;
  }

  buildRecord(status: RunRecord['status'], error?: RunRecord['error']): RunRecord {
    const durationMs = this.elapsedMs();
    const runDir = path.relative(this.outRoot, this.outDir).split(path.sep).join('/');
    return {
      version: 1,
      runId: this.runId,
      job: this.job,
      status,
      startedAt: this.startedAt,
      finishedAt: status === 'running' ? '' : new Date().toISOString(),
      pid: process.pid,
      ...(runDir ? { runDir } : {}),
      durationMs,
      config: this.config,
      backend: this.backend,
      dataset: this.dataset,
      stages: this.stages,
      artifacts: this.artifacts,
      report: this.report,
      warnings: this.warnings,
      ...(error ? { error } : {}),
      timings: { ...this.timings, total: durationMs },
      ...(this.sweep ? { sweep: this.sweep } : {}),
      ...(this.sensitivity ? { sensitivity: this.sensitivity } : {}),
      host: hostInfo(),
    };
  }

  /**
   * Writes the run record atomically and announces it. Returns its path relative to outDir.
   * Only artifacts whose atomic write completed were ever added, so a cancelled or failed
   * run's record lists no half-written file.
   */
  async writeRecord(status: RunRecord['status'], error?: RunRecord['error']): Promise<string> {
    const rel = `runs/${this.runId}.json`;
    const record = this.buildRecord(status, error);
    const bytes = await writeFileAtomic(path.join(this.outRoot, 'runs', `${this.runId}.json`), `${JSON.stringify(record, null, 2)}\n`);
    // The 'running' record written at the start is not announced: only the final one is an artifact.
    if (status !== 'running') {
      this.sink({ type: 'artifactWritten', kind: 'run-record', model: '', path: rel, bytes });
    }
    return rel;
  }
}

export function hostInfo(): RunRecord['host'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cores: cpus.length || os.availableParallelism(),
  };
}
