/**
 * Starts and stops runs. Each run gets its own engine child process (EngineProcess forks
 * dist/engine.js with IPC), so training never blocks the extension host; the run's child,
 * listeners and status bar item live in the run's scope and are disposed when it ends.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever } from '../protocol/assert';
import type { PartialRunConfig } from '../protocol/config';
import { JOB_TITLE, type EngineEvent, type JobKind, type StartRequest, type TerminalEvent } from '../protocol/engine';
import { CONFIG_FILE, showConfigError, type PreparedRun } from './config';
import type { Ctx, RunScope } from './ctx';
import { EngineProcess } from './engineProcess';
import { configFieldWhere } from './locate';
import { CONFIG_SPEC } from '../engine/config/spec';
import { isRunRecord } from './runStore';
import { finalizeKilledRun } from '../engine/output/finalize';
import { LOCK_FILE } from '../engine/output/runLock';
import { showRunProgress } from './runProgress';
import { RunStatusBar } from './statusBar';

export interface StartOptions {
  inputModel?: string;
  /** Changes to the user's config for this run only (e.g. the quantization modes picked). */
  override?: (config: PartialRunConfig) => PartialRunConfig;
  /** Another process (e.g. the CLI) writes to the output folder: wait for it instead of refusing. */
  wait?: boolean;
}

function newRunId(job: JobKind, taken: (id: string) => boolean): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${job}`;
  let id = base;
  for (let i = 2; taken(id); i++) {
    id = `${base}-${i}`;
  }
  return id;
}

/**
 * Stop Run: the engine stops at the next batch; one blocked in a read or a long computation is
 * ended after this long (as the CLI does). Safe: a killed run changes nothing at the top of the
 * output folder, and its record and lock are finished here.
 */
const STOP_GRACE_MS = 3000;

export class RunManager {
  private engine: EngineProcess | null = null;
  private finished: Promise<TerminalEvent> | null = null;

  constructor(private readonly ctx: Ctx) {}

  /** Starts a job unless one is running. Resolves when the run has ENDED. */
  async start(job: JobKind, prepared: PreparedRun, options: StartOptions = {}): Promise<TerminalEvent | undefined> {
    const active = this.ctx.activeRunId;
    if (active) {
      const stop = 'Stop Run';
      const show = 'Show Metrics';
      const pick = await vscode.window.showWarningMessage(`A run is already in progress (${active}). Stop it first or wait for it to finish.`, stop, show);
      if (pick === stop) {
        this.stop(active);
      } else if (pick === show) {
        await vscode.commands.executeCommand('modelOptimizer.showPanel', active);
      }
      return undefined;
    }
    const config = options.override ? options.override(prepared.config) : prepared.config;
    const runId = newRunId(job, (id) => this.ctx.store.has(id));
    const scope = this.ctx.beginRun(runId);
    this.ctx.store.addLive(runId, job, prepared.outDir);
    const out = this.ctx.output;
    out.appendLine(`[${new Date().toISOString()}] ${JOB_TITLE[job]} ${runId} → ${prepared.outDir} (config: ${prepared.configSource})`);

    const engine = scope.add(new EngineProcess(this.ctx.enginePath, { cwd: prepared.folder.uri.fsPath, execArgv: ['--enable-source-maps'], killTimeoutMs: STOP_GRACE_MS }));
    this.engine = engine;
    scope.add(engine.onEvent((e) => this.onEvent(runId, e)));
    scope.add(engine.onOutput((text) => out.append(text)));
    scope.add(new RunStatusBar(this.ctx.store, runId, JOB_TITLE[job]));

    showRunProgress(this.ctx.store, scope, runId, JOB_TITLE[job], () => this.stop(runId));

    // Open the panel without stealing focus from the editor (unless the user turned that off).
    if (vscode.workspace.getConfiguration('modelOptimizer', prepared.folder.uri).get<boolean>('openPanelOnRun', true)) {
      void this.ctx.panel().then((p) => p.show(runId, true));
    }

    const req: StartRequest = {
      type: 'start',
      runId,
      job,
      config,
      configSource: prepared.configSource,
      outDir: prepared.outDir,
      inputModel: options.inputModel,
      ...(options.wait ? { wait: true } : {}),
    };
    let enginePid: number | undefined;
    scope.add(engine.onEvent((e) => e.type === 'ready' && (enginePid = e.pid)));
    this.finished = engine.start(req);
    let terminal: TerminalEvent;
    try {
      terminal = await this.finished;
    } finally {
      this.engine = null;
      this.finished = null;
      this.ctx.endRun(scope);
    }
    this.ctx.output.appendLine(`[${new Date().toISOString()}] ${runId} ended: ${terminal.type}${terminal.type === 'error' ? ` — ${terminal.message}` : ''}`);
    if (enginePid !== undefined && (terminal.type === 'cancelled' || (terminal.type === 'error' && terminal.code === 'internal'))) {
      // A child killed after a stop request (or that died) could not finish its record and lock: finish them here.
      await finalizeKilledRun(prepared.outDir, runId, enginePid, terminal.type === 'cancelled' ? 'cancelled' : 'failed', terminal.type === 'error' ? terminal.message : 'The run did not stop in time after Stop Run and was ended.');
    }
    await this.attachRecord(runId, prepared.outDir);
    // Notifications are not awaited: the command that started the run must not hang on them.
    void this.notify(runId, terminal, prepared, () => this.start(job, prepared, { ...options, wait: true }));
    return terminal;
  }

  private onEvent(runId: string, e: EngineEvent): void {
    this.ctx.store.applyEvent(runId, e);
    if (e.type === 'warning') {
      this.ctx.output.appendLine(`warning [${e.code}] ${e.message}`);
    } else if (e.type === 'log') {
      this.ctx.output.appendLine(e.message);
    }
  }

  private async notify(runId: string, t: TerminalEvent, prepared: PreparedRun, startWaiting: () => Promise<unknown>): Promise<void> {
    switch (t.type) {
      case 'done': {
        const acc = Object.entries(t.testAccuracy)
          .map(([m, a]) => `${m} ${(a * 100).toFixed(2)} %`)
          .join(', ');
        const show = 'Show Metrics';
        const reveal = 'Reveal Output';
        const compare = 'Compare with Previous Run';
        const previous = this.previousRun(runId);
        const actions = previous ? [show, reveal, compare] : [show, reveal];
        const pick = await vscode.window.showInformationMessage(`Model Optimizer: ${runId} finished${acc ? ` — test accuracy ${acc}` : ''}.`, ...actions);
        if (pick === show) {
          await vscode.commands.executeCommand('modelOptimizer.showPanel', runId);
        } else if (pick === reveal) {
          await vscode.commands.executeCommand('modelOptimizer.revealOutput', runId);
        } else if (pick === compare && previous) {
          await vscode.commands.executeCommand('modelOptimizer.compareRuns', [previous, runId]);
        }
        return;
      }
      case 'cancelled':
        void vscode.window.showInformationMessage(`Model Optimizer: ${runId} was stopped.`);
        return;
      case 'error':
        {
          // A config field, named with the file by the config check or bare by a job (a prune.layers
          // name the chosen model file does not have): shown with the button that opens the file there.
          const field = t.code === 'bad-input' ? configFieldWhere(t.where, CONFIG_FILE, CONFIG_SPEC) : undefined;
          if (field) {
            await showConfigError(t.message, field, prepared.configFile);
            return;
          }
        }
        if (t.code === 'bad-input' && t.where && path.basename(t.where) === LOCK_FILE) {
          // Another process (a CLI run) writes to this output folder: queue behind it, or not.
          const wait = 'Run When It Finishes';
          if ((await vscode.window.showWarningMessage(`Model Optimizer: ${t.message}`, wait)) === wait) {
            await startWaiting();
          }
          return;
        }
        {
          const log = 'Show Log';
          const pick = await vscode.window.showErrorMessage(`Model Optimizer: ${runId} failed${t.where ? ` (${t.where})` : ''}: ${t.message}`, log);
          if (pick === log) {
            this.ctx.output.show(true);
          }
        }
        return;
      default:
        assertNever(t, 'terminal event');
    }
  }

  /** The newest finished run of the same job before `runId` (what "Compare with Previous Run" compares with). */
  private previousRun(runId: string): string | undefined {
    const run = this.ctx.store.get(runId);
    return this.ctx.store
      .all()
      .filter((r) => r.runId !== runId && r.job === run?.job && r.status === 'done' && r.startedAt <= (run?.startedAt ?? ''))
      .pop()?.runId;
  }

  /** The engine writes `<out>/runs/<runId>.json`; attach it so the tree shows the final data. */
  private async attachRecord(runId: string, outDir: string): Promise<void> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(path.join(outDir, 'runs', `${runId}.json`), 'utf8'));
      if (isRunRecord(parsed)) {
        this.ctx.store.attachRecord(runId, parsed);
      }
    } catch {
      // No record (e.g. the child was killed before writing it): the live data stays.
    }
  }

  /** Stop Run: the engine stops after the current batch; the child is killed if it hangs. */
  stop(runId?: string): boolean {
    if (!this.engine || (runId !== undefined && runId !== this.ctx.activeRunId)) {
      return false;
    }
    this.ctx.output.appendLine(`[${new Date().toISOString()}] stop requested for ${this.ctx.activeRunId ?? ''}`);
    this.engine.cancel();
    return true;
  }

  /** Bounded shutdown for deactivate(): cancel, wait at most `timeoutMs`, then kill. */
  async shutdown(timeoutMs: number): Promise<void> {
    const engine = this.engine;
    const finished = this.finished;
    if (!engine || !finished) {
      return;
    }
    engine.cancel();
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
    engine.dispose();
  }
}

export type { RunScope };
