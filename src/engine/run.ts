/**
 * `runJob`: one run from a StartRequest to its terminal event. Shared by the child process
 * (dist/engine.js), the CLI (in-process) and the tests.
 *
 * Before `jobStarted` (config, output folder, input model, backend, data, memory estimate,
 * the output folder's run lock) a problem is reported as an `error` event and nothing but the
 * lock is written. After it, the run writes only into its own folder `<out>/runs/<runId>/`,
 * its record `<out>/runs/<runId>.json` says 'running' (with the pid, so a killed run is seen
 * as such), and every ending — done, failed or cancelled — rewrites the record. Only a run
 * that completes publishes its files to the top of the output folder (output/publish.ts).
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RunConfig } from '../protocol/config';
import type { EngineEvent, StartRequest, TerminalEvent } from '../protocol/engine';
import { initBackend } from './backend';
import { resolveConfig } from './config';
import type { SplitData } from './data/dataset';
import { loadData } from './data/load';
import type { LoadProgress } from './data/load';
import { RunContext } from './jobs/context';
import type { RunContextDeps } from './jobs/context';
import { BASELINE_DIR, PRUNED_DIR, runStages, stagesOf } from './jobs/pipeline';
import { loadInputModel, modelNameOf, type JobInputs } from './jobs/inputs';
import { withModelLabels, writeTmMetadata } from './jobs/labels';
import { BadInputError, CancelledError } from './errors';
import { assertFitsInMemory, defaultMemoryLimitBytes, denseStackFootprint, estimateTrainingMemory } from './memory/estimate';
import { userFixableFsError } from './output/fsErrors';
import { publishRun, runDirOf } from './output/publish';
import { acquireRunLock, describeHolder } from './output/runLock';
import type { RunLock } from './output/runLock';
import { chooseTrainer, createTrainer } from './train/createTrainer';
import { buildConfigModel, checkModelConfig } from './graph/fromConfig';
import { analyzeGraph } from './graph/analyze';
import { layerTable } from './graph/stats';
import { TEMP_MARK, confineWrites, mkdirSafe } from './util/atomic';
import { isAlive } from './util/process';

export type Emit = (event: EngineEvent) => void;

const DEFAULT_DEPS: RunContextDeps = { loadData, createTrainer };

export async function runJob(req: StartRequest, emit: Emit, signal: AbortSignal, deps: RunContextDeps = DEFAULT_DEPS): Promise<TerminalEvent> {
  const t0 = performance.now();
  const runId = typeof req.runId === 'string' ? req.runId : '';
  let lock: RunLock | undefined;
  let unconfine: (() => void) | undefined;
  const finish = <T extends TerminalEvent>(event: T): T => {
    emit(event);
    return event;
  };
  const failEarly = (err: unknown, outDir: string): TerminalEvent => {
    if (err instanceof CancelledError || signal.aborted) {
      return finish({ type: 'cancelled', runId, durationMs: performance.now() - t0 });
    }
    const fixable = err instanceof BadInputError ? err : userFixableFsError(err, outDir);
    if (fixable) {
      return finish({ type: 'error', runId, code: 'bad-input', message: fixable.message, ...(fixable.where ? { where: fixable.where } : {}) });
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return finish({ type: 'error', runId, code: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  };

  try {
    // ---- before the job starts: nothing is written but the lock ---------------------------
    let ctx: RunContext;
    let inputs: JobInputs;
    let outDir = typeof req.outDir === 'string' ? path.resolve(req.outDir) : '';
    try {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
        throw new BadInputError(`The run id ${JSON.stringify(req.runId)} cannot be used as a file name. Use letters, digits, '.', '_' and '-' only.`, 'runId');
      }
      const resolved = resolveConfig(req.config ?? {}, req.configSource ?? 'config', { modelFile: !!req.inputModel });
      if (typeof req.outDir !== 'string' || req.outDir.trim() === '') {
        throw new BadInputError('No output folder was given. Pass --out DIR (or set output.dir).', 'outDir');
      }
      checkOutDir(outDir);
      inputs = findInputs(req, outDir);
      // A Teachable Machine export's labels.txt beside the model names its classes (unless data.classNames does).
      const { config, from: classNamesFrom } = await withModelLabels(resolved, inputs.models[0]);
      if (classNamesFrom) {
        emit({ type: 'log', level: 'info', message: `class names from ${classNamesFrom}: ${(config.data.classNames ?? []).join(', ')}` });
      }
      checkModelConfig(config);
      const backend = await initBackend(config.backend);
      // The loop that will train, decided now so jobStarted (panel, CLI header) names it.
      backend.trainer = chooseTrainer(backend, config.model, config.train.freeze);
      throwIfAborted(signal);
      const tData = performance.now();
      // Image folders take a while: typed progress events (panel bar, status bar, CLI line), and a cancel stops the decoding.
      const onProgress = (p: LoadProgress): void => emit({ type: 'dataProgress', phase: p.phase, done: p.done, total: p.total });
      const data = await deps.loadData(config, { signal, onProgress, ...(classNamesFrom ? { classNamesFrom } : {}) });
      const dataMs = performance.now() - tData;
      throwIfAborted(signal);
      const stages = stagesOf(req.job, config, inputs);
      if (inputs.models[0] && (stages.includes('train') || stages.includes('prune'))) {
        // --model: the loop follows the file's layers (a CNN trains on 'tfjs-graph'), not
        // config.model. A file that does not load is reported by the job itself.
        const graph = await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0])).catch(() => undefined);
        if (graph) {
          backend.trainer = chooseTrainer(backend, graph, config.train.freeze);
        }
      }
      if (!(data.train.images instanceof Uint8Array) && backend.trainer === 'simd-kernel') {
        // Float inputs train with TF.js ops (the SIMD kernel takes uint8 pixels): say so from jobStarted on.
        backend.trainer = 'tfjs';
      }
      checkMemory(req, config, data, inputs);
      await fs.mkdir(outDir, { recursive: true });
      // Writes go to the real folder; links further down are refused (util/atomic.ts).
      outDir = await fs.realpath(outDir);
      lock = await acquireRunLock(outDir, { runId, job: req.job, startedAt: new Date().toISOString() }, {
        wait: req.wait === true,
        signal,
        onWait: (h) => emit({ type: 'log', level: 'info', message: `waiting for ${describeHolder(h)} to finish writing to ${outDir}` }),
        onStale: (h) => emit({ type: 'log', level: 'info', message: `took over the lock of ${describeHolder(h)}: its process is gone` }),
      });
      unconfine = confineWrites(outDir);
      const runDir = path.join(outDir, ...runDirOf(runId).split('/'));
      ctx = new RunContext(runId, req.job, config, runDir, backend, emit, signal, { ...deps, loadData: () => Promise.resolve(data) }, outDir);
      await ctx.data();
      ctx.addTiming('data', dataMs);
      await removeTempFilesOfDeadRuns(outDir);
      await mkdirSafe(runDir);
      await ctx.writeRecord('running');
      ctx.emit({
        type: 'jobStarted',
        runId,
        job: req.job,
        config,
        backend,
        stages,
        startedAt: ctx.startedAt,
        dataset: ctx.dataset,
        runDir: runDirOf(runId),
      });
    } catch (err) {
      return failEarly(err, outDir);
    }

    // ---- the job: every ending writes the run record ------------------------------------
    try {
      await runStages(ctx, req.job, inputs);
      // A Teachable Machine TF.js export in: its metadata.json goes with every TF.js folder written.
      await writeTmMetadata(ctx, inputs.models[0]);
      ctx.throwIfCancelled();
      const published = await publishRun(ctx.outRoot, runId, req.job, inputs.models, ctx.artifacts);
      if (published) {
        ctx.log(
          `published ${published.published.length} file(s) of this run to ${ctx.outRoot}` +
            (published.withdrawn.length > 0
              ? `; ${published.withdrawn.length} file(s) of earlier runs no longer match it and were taken off the top (they stay in runs/<run-id>/): ` +
                `${published.withdrawn.slice(0, 5).join(', ')}${published.withdrawn.length > 5 ? ` and ${published.withdrawn.length - 5} more` : ''}`
              : ''),
        );
        if (published.kept.length > 0) {
          ctx.warn('publish-kept', `Left ${published.kept.join(', ')} at the top of ${ctx.outRoot}: changed since an earlier run wrote it, so it is not part of the current set (see current-set.json).`);
        }
      }
      const recordPath = await ctx.writeRecord('done');
      return finish({ type: 'done', runId, durationMs: ctx.elapsedMs(), testAccuracy: ctx.testAccuracy(), recordPath, backend: ctx.backend });
    } catch (err) {
      const cancelled = err instanceof CancelledError || signal.aborted;
      try {
        await removeOwnTempFiles(ctx.outRoot);
        // A run that completed no file leaves no empty run folder behind.
        await removeEmptyFolders(ctx.outDir);
      } catch (cleanupErr) {
        ctx.warn('temp-cleanup', `Could not remove temporary files in ${ctx.outRoot}: ${(cleanupErr as Error).message}`);
      }
      let terminal: TerminalEvent;
      const fixable = err instanceof BadInputError ? err : userFixableFsError(err, ctx.outRoot);
      if (cancelled) {
        terminal = { type: 'cancelled', runId, durationMs: ctx.elapsedMs() };
      } else if (fixable) {
        terminal = { type: 'error', runId, code: 'bad-input', message: fixable.message, ...(fixable.where ? { where: fixable.where } : {}) };
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
  } finally {
    unconfine?.();
    await lock?.release();
  }
}

/** Refuses a config-defined model that cannot fit in memory before anything is allocated. */
function checkMemory(req: StartRequest, config: RunConfig, data: SplitData, inputs: JobInputs): void {
  const trains = req.job === 'train' || req.job === 'pipeline' || ((req.job === 'sweep' || req.job === 'sensitivity') && inputs.models.length === 0);
  if (!trains) {
    return;
  }
  const limit = config.train.memoryLimitMB > 0 ? config.train.memoryLimitMB * 1024 * 1024 : defaultMemoryLimitBytes();
  const sets = [data.train, data.validation, data.test];
  const estimate = estimateTrainingMemory({
    // A config-defined model: every layer's weights and per-sample activations; else the reference MLP's.
    layers: config.model.layers
      ? layerTable(analyzeGraph(buildConfigModel(config.model, 'model', 0))).map((r) => ({ name: r.name, params: r.params, activations: r.outputShape.reduce((a, b) => a * b, 1) }))
      : denseStackFootprint(data.train.features, config.model.hidden, data.train.numClasses),
    inputValues: data.train.features,
    batchSize: config.train.batchSize,
    datasetBytes: sets.reduce((n, s) => n + s.images.byteLength + s.labels.byteLength, 0),
    // Pruning keeps a mask per weight (and fine-tunes a copy) in pipelines and sweeps.
    extraCopies: req.job === 'train' ? 0 : 2,
  });
  assertFitsInMemory(estimate, limit, `${req.configSource ?? 'config'}: ${config.model.layers ? 'model.layers' : 'model.hidden'}`, 'Use fewer or narrower layers (model.hidden or model.layers), a smaller train.batchSize, or less data (data.trainLimit).');
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
  if ((req.job === 'train' || req.job === 'pipeline') && !req.inputModel) {
    return { models: [] };
  }
  if (req.inputModel) {
    const file = modelJsonOf(path.resolve(req.inputModel));
    if (!existsSync(file)) {
      throw new BadInputError(`The input model ${file} does not exist. Pass --model with a Keras .h5 / .keras file or a TF.js model.json (or its folder)${req.job === 'evaluate' ? ', or a .tflite file' : ''}${req.job === 'sweep' ? ', or leave --model out to sweep the trained model in --out (trained first when missing)' : ''}.`, file);
    }
    return { models: [file] };
  }
  const baseline = path.join(outDir, BASELINE_DIR, 'model.json');
  const pruned = path.join(outDir, PRUNED_DIR, 'model.json');
  const found = (f: string): boolean => existsSync(f);
  switch (req.job) {
    case 'sweep':
    case 'sensitivity':
      // The trained baseline in --out when there is one; otherwise the job trains it first.
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
    case 'qat':
    case 'cluster': {
      // The pruned model when there is one (pruning-preserving QAT / clustering), else the trained one.
      const model = [pruned, baseline].find(found);
      if (!model) {
        throw new BadInputError(`There is no model for ${req.job} in ${outDir} (looked for ${PRUNED_DIR}/model.json and ${BASELINE_DIR}/model.json). Run \`train\` (and \`prune\`) first with the same --out folder, or pass --model PATH.`, outDir);
      }
      return { models: [model] };
    }
    case 'evaluate': {
      const model = [pruned, baseline].find(found);
      if (!model) {
        throw new BadInputError(`There is no model to evaluate in ${outDir}. Run \`train\` first, or pass --model PATH (model.json, .h5 or .tflite).`, outDir);
      }
      return { models: [model] };
    }
    default:
      // train / pipeline without --model were handled above.
      return { models: [] };
  }
}

/** Removes `dir` and its sub-folders when they hold no file (links are not followed). */
async function removeEmptyFolders(dir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      await removeEmptyFolders(path.join(dir, e.name));
    }
  }
  await fs.rmdir(dir).catch(() => undefined);
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

