/**
 * `runJob`: one run from a StartRequest to its terminal event. Shared by the child process
 * (dist/engine.js), the CLI (in-process) and the tests.
 *
 * Before `jobStarted` (config, output folder, input model, backend, data) a problem is
 * reported as an `error` event and nothing is written. After it, every ending — done,
 * failed or cancelled — writes the run record `<out>/runs/<runId>.json`.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent, StartRequest, TerminalEvent } from '../protocol/engine';
import { initBackend } from './backend';
import { resolveConfig } from './config';
import { loadData } from './data/load';
import { RunContext } from './jobs/context';
import type { RunContextDeps } from './jobs/context';
import { BASELINE_DIR, PRUNED_DIR, runStages, stagesOf } from './jobs/pipeline';
import type { JobInputs } from './jobs/pipeline';
import { BadInputError, CancelledError } from './errors';
import { chooseTrainer, createTrainer } from './train/createTrainer';
import { TEMP_MARK } from './util/atomic';
import { isAlive } from './util/process';

export type Emit = (event: EngineEvent) => void;

const DEFAULT_DEPS: RunContextDeps = { loadData, createTrainer };

export async function runJob(req: StartRequest, emit: Emit, signal: AbortSignal, deps: RunContextDeps = DEFAULT_DEPS): Promise<TerminalEvent> {
  const t0 = performance.now();
  const runId = typeof req.runId === 'string' ? req.runId : '';
  const finish = <T extends TerminalEvent>(event: T): T => {
    emit(event);
    return event;
  };
  const failEarly = (err: unknown): TerminalEvent => {
    if (err instanceof CancelledError || signal.aborted) {
      return finish({ type: 'cancelled', runId, durationMs: performance.now() - t0 });
    }
    if (err instanceof BadInputError) {
      return finish({ type: 'error', runId, code: 'bad-input', message: err.message, ...(err.where ? { where: err.where } : {}) });
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return finish({ type: 'error', runId, code: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  };

  // ---- before the job starts: nothing is written -------------------------------------
  let ctx: RunContext;
  let inputs: JobInputs;
  try {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
      throw new BadInputError(`The run id ${JSON.stringify(req.runId)} cannot be used as a file name. Use letters, digits, '.', '_' and '-' only.`, 'runId');
    }
    const config = resolveConfig(req.config ?? {}, req.configSource ?? 'config');
    if (typeof req.outDir !== 'string' || req.outDir.trim() === '') {
      throw new BadInputError('No output folder was given. Pass --out DIR (or set output.dir).', 'outDir');
    }
    const outDir = path.resolve(req.outDir);
    checkOutDir(outDir);
    inputs = findInputs(req, outDir);
    const backend = await initBackend(config.backend);
    // The loop that will train, decided now so jobStarted (panel, CLI header) names it.
    backend.trainer = chooseTrainer(backend, config.model);
    throwIfAborted(signal);
    ctx = new RunContext(runId, req.job, config, outDir, backend, emit, signal, deps);
    await ctx.data();
    throwIfAborted(signal);
    await fs.mkdir(outDir, { recursive: true });
    await removeTempFilesOfDeadRuns(outDir);
    ctx.emit({
      type: 'jobStarted',
      runId,
      job: req.job,
      config,
      backend,
      stages: stagesOf(req.job, config, inputs),
      startedAt: ctx.startedAt,
      dataset: ctx.dataset,
    });
  } catch (err) {
    return failEarly(err);
  }

  // ---- the job: every ending writes the run record ------------------------------------
  try {
    await runStages(ctx, req.job, inputs);
    ctx.throwIfCancelled();
    const recordPath = await ctx.writeRecord('done');
    return finish({ type: 'done', runId, durationMs: ctx.elapsedMs(), testAccuracy: ctx.testAccuracy(), recordPath });
  } catch (err) {
    const cancelled = err instanceof CancelledError || signal.aborted;
    try {
      await removeOwnTempFiles(ctx.outDir);
    } catch (cleanupErr) {
      ctx.warn('temp-cleanup', `Could not remove temporary files in ${ctx.outDir}: ${(cleanupErr as Error).message}`);
    }
    let terminal: TerminalEvent;
    if (cancelled) {
      terminal = { type: 'cancelled', runId, durationMs: ctx.elapsedMs() };
    } else if (err instanceof BadInputError) {
      terminal = { type: 'error', runId, code: 'bad-input', message: err.message, ...(err.where ? { where: err.where } : {}) };
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      terminal = { type: 'error', runId, code: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
    }
    try {
      await ctx.writeRecord(
        cancelled ? 'cancelled' : 'failed',
        terminal.type === 'error' ? { code: terminal.code, message: terminal.message, ...(terminal.where ? { where: terminal.where } : {}) } : undefined,
      );
    } catch (recordErr) {
      ctx.warn('run-record', `Could not write the run record: ${(recordErr as Error).message}`);
    }
    return finish(terminal);
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new CancelledError();
  }
}

function checkOutDir(outDir: string): void {
  // The nearest existing ancestor must be a folder (a file anywhere on the way is bad input).
  for (let p = outDir; ; p = path.dirname(p)) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) {
        throw new BadInputError(
          p === outDir
            ? `The output folder ${outDir} is a file. Pass --out with a folder path (it is created if missing), or move the file away.`
            : `The output folder ${outDir} cannot be created because ${p} is a file. Choose another --out folder.`,
          outDir,
        );
      }
      return;
    }
    if (path.dirname(p) === p) {
      return;
    }
  }
}

function modelJsonOf(p: string): string {
  return existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
}

/** The input model(s) of prune / quantize / evaluate, checked to exist. */
function findInputs(req: StartRequest, outDir: string): JobInputs {
  if (req.job === 'train' || req.job === 'pipeline') {
    return { models: [] };
  }
  if (req.inputModel) {
    const file = modelJsonOf(path.resolve(req.inputModel));
    if (!existsSync(file)) {
      throw new BadInputError(`The input model ${file} does not exist. Pass --model with a TF.js model.json (or its folder)${req.job === 'evaluate' ? ', a .h5 or a .tflite file' : ''}${req.job === 'sweep' ? ', or leave --model out to sweep the trained model in --out (trained first when missing)' : ''}.`, file);
    }
    return { models: [file] };
  }
  const baseline = path.join(outDir, BASELINE_DIR, 'model.json');
  const pruned = path.join(outDir, PRUNED_DIR, 'model.json');
  const found = (f: string): boolean => existsSync(f);
  switch (req.job) {
    case 'sweep':
      // The trained baseline in --out when there is one; otherwise the sweep trains it first.
      return { models: found(baseline) ? [baseline] : [] };
    case 'prune':
      if (!found(baseline)) {
        throw new BadInputError(`There is no trained model to prune at ${baseline}. Run \`train\` first with the same --out folder, or pass --model PATH to a TF.js model.json.`, baseline);
      }
      return { models: [baseline] };
    case 'quantize': {
      // Both models when both exist, so the comparison has the baseline and the pruned model.
      const models = [baseline, pruned].filter(found);
      if (models.length === 0) {
        throw new BadInputError(`There is no model to quantize in ${outDir} (looked for ${PRUNED_DIR}/model.json and ${BASELINE_DIR}/model.json). Run \`train\` or \`prune\` first, or pass --model PATH.`, outDir);
      }
      return { models };
    }
    case 'evaluate': {
      const model = [pruned, baseline].find(found);
      if (!model) {
        throw new BadInputError(`There is no model to evaluate in ${outDir}. Run \`train\` first, or pass --model PATH (model.json, .h5 or .tflite).`, outDir);
      }
      return { models: [model] };
    }
  }
}

async function walkTemps(dir: string, visit: (file: string, pid: number) => Promise<void>): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      await walkTemps(p, visit);
    } else if (e.name.startsWith(TEMP_MARK)) {
      await visit(p, Number.parseInt(e.name.slice(TEMP_MARK.length), 10));
    }
  }
}

/**
 * Temp files of this process (a cancelled or failed run). Like removeStaleTempFiles, but a
 * run in another process writing into the same folder keeps its temp files.
 */
export async function removeOwnTempFiles(outDir: string): Promise<void> {
  await walkTemps(outDir, async (file, pid) => {
    if (pid === process.pid || !Number.isFinite(pid)) {
      await fs.rm(file, { force: true });
    }
  });
}

/** Temp files left by a killed earlier run (its process is gone). */
export async function removeTempFilesOfDeadRuns(outDir: string): Promise<void> {
  await walkTemps(outDir, async (file, pid) => {
    if (!Number.isFinite(pid) || (pid !== process.pid && !isAlive(pid))) {
      await fs.rm(file, { force: true });
    }
  });
}
