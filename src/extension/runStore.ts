/**
 * Every run the extension knows about: live ones (from engine events) and past ones (from
 * `<out>/runs/*.json`). No `vscode` import: the tree, the panel and the status bar listen to
 * it, and unit tests drive it in plain Node.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArtifactKind, BackendInfo, EngineEvent, JobKind, ModelReport, RunRecord, RunStatus, StageKind } from '../protocol/engine';
import { mergeReport, upsertArtifact } from '../protocol/engine';
import type { RunView } from '../protocol/webview';
import { assertNever } from '../protocol/assert';
import { isValidRunRecord, runRecordProblems } from '../protocol/runRecordSchema';
import { isAlive } from '../engine/util/process';

export interface StageSummary {
  stage: StageKind;
  model: string;
  epochs: number;
  epochsDone: number;
  lastValAccuracy?: number;
  testAccuracy?: number;
  sparsity?: Record<string, number>;
}

/** What a running run is doing now, as the status bar, the tree and the progress notification say it. */
export interface Activity {
  /** The stage at work, or 'data' while the data set loads (before the first stage). */
  stage: StageKind | 'data';
  /** 'training mnist_model · epoch 2/5 · 43 %', 'export · writing pruned_mnist_model.h5 (2/6)'. */
  text: string;
  /** Of the whole run, 0…1, from the stages the job announced; null when unknown. */
  overall: number | null;
}

const STAGE_VERB: Record<StageKind, string> = {
  train: 'training',
  prune: 'pruning',
  export: 'export',
  evaluate: 'evaluating',
  sensitivity: 'analyzing',
  qat: 'quantization-aware training',
  cluster: 'clustering',
};

export interface RunEntry {
  runId: string;
  job: JobKind;
  status: RunStatus;
  startedAt: string;
  /** Absolute folder the run's artifact paths are relative to: its run folder (`<out>/runs/<id>`) when the engine reported one. */
  outDir: string;
  /** The output folder itself. */
  outRoot: string;
  backend: BackendInfo | null;
  /** Every event in order; batchProgress only the latest (kept in `progress`). */
  events: EngineEvent[];
  progress: Extract<EngineEvent, { type: 'batchProgress' }> | null;
  /** Running runs only: the stage at work and how far it is. */
  activity: Activity | null;
  /** The stages the job announced (jobStarted), for the overall fraction. */
  plannedStages: StageKind[];
  stages: StageSummary[];
  artifacts: { kind: ArtifactKind; model: string; path: string; bytes: number }[];
  report: ModelReport[];
  warnings: number;
  error: { code: string; message: string; where?: string } | null;
  durationMs: number | null;
  record?: RunRecord;
}

export type StoreChange = { kind: 'runs' } | { kind: 'event'; runId: string; event: EngineEvent };
type Listener = (change: StoreChange) => void;

/** How many past runs are kept in memory (newest first wins). */
const HISTORY_LIMIT = 50;

export class RunStore {
  private readonly runs = new Map<string, RunEntry>();
  private readonly listeners = new Set<Listener>();

  onDidChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  private fire(c: StoreChange): void {
    for (const l of [...this.listeners]) {
      l(c);
    }
  }

  /** Oldest first. */
  all(): RunEntry[] {
    return Array.from(this.runs.values()).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  get(runId: string): RunEntry | undefined {
    return this.runs.get(runId);
  }

  running(): RunEntry | undefined {
    return this.all().find((r) => r.status === 'running');
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  addLive(runId: string, job: JobKind, outDir: string, startedAt = new Date().toISOString()): RunEntry {
    const entry: RunEntry = {
      runId,
      job,
      status: 'running',
      startedAt,
      outDir,
      outRoot: outDir,
      backend: null,
      events: [],
      progress: null,
      activity: null,
      plannedStages: [],
      stages: [],
      artifacts: [],
      report: [],
      warnings: 0,
      error: null,
      durationMs: null,
    };
    this.runs.set(runId, entry);
    this.fire({ kind: 'runs' });
    return entry;
  }

  /** Applies one live event and tells listeners. */
  applyEvent(runId: string, e: EngineEvent): void {
    const r = this.runs.get(runId);
    if (!r) {
      return;
    }
    if (e.type === 'batchProgress') {
      r.progress = e;
    } else if (e.type !== 'ready' && e.type !== 'stageProgress' && e.type !== 'dataProgress') {
      r.events.push(e);
    }
    applyToEntry(r, e);
    this.fire({ kind: 'event', runId, event: e });
  }

  /** Replaces the past runs read from one output folder; live runs are kept. */
  setHistory(records: { record: RunRecord; outDir: string }[]): void {
    for (const [id, r] of this.runs) {
      // Past runs (read from records, including runs another process still runs) are re-read.
      if (r.record) {
        this.runs.delete(id);
      }
    }
    const newest = records.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt)).slice(-HISTORY_LIMIT);
    for (const { record, outDir } of newest) {
      const live = this.runs.get(record.runId);
      if (live && live.status === 'running' && !live.record) {
        continue;
      }
      this.runs.set(record.runId, entryFromRecord(record, outDir));
    }
    this.fire({ kind: 'runs' });
  }

  /** Forgets a finished run (Delete Run removed its files). */
  remove(runId: string): void {
    const r = this.runs.get(runId);
    if (r && r.status !== 'running') {
      this.runs.delete(runId);
      this.fire({ kind: 'runs' });
    }
  }

  /** Attaches the saved record to a finished live run (it has the final stage data). */
  attachRecord(runId: string, record: RunRecord): void {
    const r = this.runs.get(runId);
    if (r && r.status !== 'running') {
      // The output folder (outRoot), not the run folder: entryFromRecord adds the record's runDir.
      const fresh = entryFromRecord(record, r.outRoot);
      this.runs.set(runId, { ...fresh, events: r.events });
      this.fire({ kind: 'runs' });
    }
  }

  /** What the panel needs for one run. */
  view(r: RunEntry): RunView {
    return { runId: r.runId, job: r.job, status: r.status, startedAt: r.startedAt, backend: r.backend, events: r.progress ? [...r.events, r.progress] : r.events.slice(), record: r.record };
  }
}

function stageOf(r: RunEntry, stage: StageKind, model: string): StageSummary {
  let s = r.stages.find((x) => x.stage === stage && x.model === model);
  if (!s) {
    s = { stage, model, epochs: 0, epochsDone: 0 };
    r.stages.push(s);
  }
  return s;
}

/** `fraction` of the current stage as a fraction of the whole run (stages weigh the same). */
function overall(r: RunEntry, stage: StageKind, fraction: number): number | null {
  const i = r.plannedStages.indexOf(stage);
  if (i < 0) {
    return null;
  }
  return Math.min(1, (i + Math.max(0, Math.min(1, fraction))) / r.plannedStages.length);
}

function setActivity(r: RunEntry, stage: StageKind, text: string, fraction: number): void {
  r.activity = { stage, text, overall: overall(r, stage, fraction) };
}

function applyToEntry(r: RunEntry, e: EngineEvent): void {
  switch (e.type) {
    case 'jobStarted':
      r.backend = e.backend;
      r.job = e.job;
      r.plannedStages = e.stages.slice();
      if (e.runDir) {
        r.outDir = runFolder(r.outRoot, e.runDir);
      }
      return;
    case 'stageStarted':
      stageOf(r, e.stage, e.model).epochs = e.epochs ?? 0;
      // A new stage: the last fit's "epoch 1/1 · 100 %" no longer describes the run.
      r.progress = null;
      setActivity(r, e.stage, `${STAGE_VERB[e.stage]} ${e.model}`, 0);
      return;
    case 'batchProgress': {
      const frac = e.batches > 0 ? e.batch / e.batches : 0;
      const model = r.stages.filter((s) => s.stage === e.stage).pop()?.model;
      setActivity(r, e.stage, `${STAGE_VERB[e.stage]}${model ? ` ${model}` : ''} · epoch ${e.epoch}/${e.epochs} · ${Math.round(frac * 100)} %`, (e.epoch - 1 + frac) / Math.max(1, e.epochs));
      return;
    }
    case 'stageProgress':
      setActivity(r, e.stage, `${STAGE_VERB[e.stage]} · ${e.task} (${Math.min(e.done + 1, e.total)}/${e.total})`, e.total > 0 ? e.done / e.total : 0);
      return;
    case 'epochEnd': {
      const s = stageOf(r, e.stage, e.model);
      s.epochs = e.epochs;
      s.epochsDone = e.epoch;
      s.lastValAccuracy = e.metrics.valAccuracy;
      if (e.sparsity) {
        s.sparsity = e.sparsity;
      }
      return;
    }
    case 'artifactWritten':
      upsertArtifact(r.artifacts, { kind: e.kind, model: e.model, path: e.path, bytes: e.bytes });
      return;
    case 'report':
      // Keyed by file, as in the run record: a sweep reports each point's files as they are measured.
      r.report = mergeReport(r.report, e.rows);
      return;
    case 'warning':
      r.warnings++;
      return;
    case 'done':
      r.status = 'done';
      r.durationMs = e.durationMs;
      r.progress = null;
      r.activity = null;
      for (const s of r.stages) {
        if (e.testAccuracy[s.model] !== undefined) {
          s.testAccuracy = e.testAccuracy[s.model];
        }
      }
      return;
    case 'cancelled':
      r.status = 'cancelled';
      r.durationMs = e.durationMs;
      r.progress = null;
      r.activity = null;
      return;
    case 'error':
      r.status = 'failed';
      r.error = { code: e.code, message: e.message, where: e.where };
      r.progress = null;
      r.activity = null;
      return;
    case 'dataProgress':
      r.activity = { stage: 'data', text: `loading data · ${e.phase} ${e.done}/${e.total} (${e.total > 0 ? Math.round((100 * e.done) / e.total) : 0} %)`, overall: 0 };
      return;
    case 'ready':
    case 'log':
    case 'pruningStep':
    case 'sensitivity':
      return;
    default:
      assertNever(e, 'engine event');
  }
}

/** `<outRoot>/<runDir>`, or outRoot when runDir would leave it. */
function runFolder(outRoot: string, runDir: string): string {
  const p = path.resolve(outRoot, ...runDir.split('/'));
  const rel = path.relative(outRoot, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? p : outRoot;
}

export function entryFromRecord(record: RunRecord, outDir: string, alive: (pid: number) => boolean = isAlive): RunEntry {
  // A record still saying 'running' whose process is gone: the run was killed.
  const killed = record.status === 'running' && (record.pid === undefined || !alive(record.pid));
  return {
    runId: record.runId,
    job: record.job,
    status: killed ? 'failed' : record.status,
    startedAt: record.startedAt,
    outDir: record.runDir ? runFolder(outDir, record.runDir) : outDir,
    outRoot: outDir,
    backend: record.backend,
    events: [],
    progress: null,
    activity: null,
    plannedStages: [],
    stages: record.stages.map((s) => {
      const last = s.epochs[s.epochs.length - 1];
      return {
        stage: s.stage,
        model: s.model,
        epochs: s.epochs.length,
        epochsDone: s.epochs.length,
        lastValAccuracy: last?.valAccuracy,
        testAccuracy: s.testAccuracy,
        sparsity: last?.sparsity,
      };
    }),
    artifacts: record.artifacts.slice(),
    report: record.report.slice(),
    warnings: record.warnings.length,
    error: killed
      ? { code: 'killed', message: `The run's process${record.pid !== undefined ? ` (pid ${record.pid})` : ''} ended before the run finished (killed, out of memory, or the machine stopped); files it completed are in its run folder.` }
      : (record.error ?? null),
    durationMs: record.durationMs,
    record: killed ? { ...record, status: 'failed' } : record,
  };
}

/** A file that is not a valid run record of ours (checked all the way down) is skipped, not trusted. */
export function isRunRecord(v: unknown): v is RunRecord {
  return isValidRunRecord(v);
}

/** Run records bigger than this are not read (a record is a few hundred KiB at most). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * Reads `<outDir>/runs/*.json`; a file that is not a regular file, too big, not JSON or not a
 * valid record is skipped and reported (`name: where: problem`), and the others are kept.
 */
export async function readHistory(outDir: string): Promise<{ records: { record: RunRecord; outDir: string }[]; skipped: string[] }> {
  const dir = path.join(outDir, 'runs');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return { records: [], skipped: [] };
  }
  const records: { record: RunRecord; outDir: string }[] = [];
  const skipped: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      const st = await fs.lstat(file);
      if (!st.isFile()) {
        skipped.push(`${name}: not a regular file`);
        continue;
      }
      if (st.size > MAX_RECORD_BYTES) {
        skipped.push(`${name}: ${st.size} bytes, more than a run record can be`);
        continue;
      }
      const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
      const problems = runRecordProblems(parsed);
      if (problems.length === 0) {
        records.push({ record: parsed as RunRecord, outDir });
      } else {
        skipped.push(`${name}: ${problems.map((p) => `${p.where} ${p.message}`).join('; ')}`);
      }
    } catch (err) {
      skipped.push(`${name}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
    }
  }
  return { records, skipped };
}
