/**
 * A sweep worker: the engine bundle (dist/engine.js) started with `--sweep-worker` by the
 * sweep's pool (jobs/sweepPool.ts). It takes the run's config, data and baseline once, then
 * runs points one at a time with the same code as a sweep in one process (runSweepPoint) and
 * sends back everything the point did, in order. It writes only below the run's folder,
 * confined like the engine itself. `cancel` stops the point at its next batch (its temp files
 * removed); a closed channel (the engine is gone) ends the worker.
 */
import { resourceUsage } from 'node:process';
import { initBackend } from './backend';
import { BadInputError, CancelledError } from './errors';
import type { SplitData } from './data/dataset';
import type { ModelGraph } from './graph/types';
import type { FromWorker, InitMessage, PointActivity, ToWorker } from './jobs/sweepMessages';
import { runSweepPoint, type SweepPoint } from './jobs/sweepPoints';
import type { StageContext } from './jobs/types';
import { userFixableFsError } from './output/fsErrors';
import { removeOwnTempFiles } from './run';
import { createTrainer } from './train/createTrainer';
import { confineWrites } from './util/atomic';

interface WorkerState {
  init: InitMessage;
  data: SplitData;
  baseline: ModelGraph;
  controller: AbortController;
}

let state: WorkerState | undefined;
let busy = false;

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    try {
      process.send(msg, undefined, undefined, () => resolve());
    } catch {
      resolve();
    }
  });
}

function pointContext(s: WorkerState, index: number): StageContext {
  const { init } = s;
  const activity = (a: PointActivity): void => void send({ type: 'activity', index, activity: a });
  const emit: StageContext['emit'] = (event) => activity({ kind: 'event', event });
  const signal = s.controller.signal;
  return {
    runId: init.runId,
    config: init.config,
    outDir: init.outDir,
    outRoot: init.outRoot,
    backend: init.backend,
    signal,
    emit,
    throwIfCancelled: () => {
      if (signal.aborted) {
        throw new CancelledError();
      }
    },
    data: () => Promise.resolve(s.data),
    createTrainer: (model, lr) => {
      const inputDtype = s.data.train.images instanceof Uint8Array ? 'uint8' : 'float32';
      return createTrainer(model, lr, { ...init.backend }, init.config.train.seed, inputDtype);
    },
    addStageRecord: (record) => activity({ kind: 'stageRecord', record }),
    addArtifact: (kind, model, relPath, bytes) => emit({ type: 'artifactWritten', kind, model, path: relPath.split('\\').join('/'), bytes }),
    warn: (code, message) => emit({ type: 'warning', code, message }),
    log: (message) => emit({ type: 'log', level: 'info', message }),
    addTiming: (phase, ms) => activity({ kind: 'timing', phase, ms }),
  };
}

async function runPoint(point: SweepPoint): Promise<void> {
  const s = state;
  if (!s) {
    await send({ type: 'pointFailed', index: point.index, code: 'internal', message: 'the worker received a point before its init' });
    return;
  }
  busy = true;
  try {
    const result = await runSweepPoint(pointContext(s, point.index), s.baseline, point);
    await send({ type: 'pointDone', index: point.index, result, maxRssBytes: resourceUsage().maxRSS * 1024 });
  } catch (err) {
    const cancelled = err instanceof CancelledError || s.controller.signal.aborted;
    if (cancelled) {
      await removeOwnTempFiles(s.init.outRoot).catch(() => undefined);
      await send({ type: 'pointFailed', index: point.index, code: 'cancelled', message: 'cancelled' });
      return;
    }
    await removeOwnTempFiles(s.init.outRoot).catch(() => undefined);
    const fixable = err instanceof BadInputError ? err : userFixableFsError(err, s.init.outRoot);
    if (fixable) {
      await send({ type: 'pointFailed', index: point.index, code: 'bad-input', message: fixable.message, ...(fixable.where ? { where: fixable.where } : {}) });
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      await send({ type: 'pointFailed', index: point.index, code: 'internal', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  } finally {
    busy = false;
  }
}

async function initWorker(msg: InitMessage): Promise<void> {
  try {
    const backend = await initBackend(msg.config.backend);
    if (backend.tfjs !== msg.backend.tfjs) {
      throw new Error(`the worker's TF.js backend is '${backend.tfjs}', the engine's '${msg.backend.tfjs}'`);
    }
    confineWrites(msg.outRoot);
    state = { init: msg, data: msg.data, baseline: msg.baseline, controller: new AbortController() };
    const cpu = process.cpuUsage();
    await send({ type: 'inited', cpuMs: (cpu.user + cpu.system) / 1000, ...(backend.detail ? { detail: backend.detail } : {}) });
  } catch (err) {
    await send({ type: 'initFailed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
}

function onMessage(raw: unknown): void {
  const msg = raw as ToWorker;
  if (typeof msg !== 'object' || msg === null) {
    return;
  }
  switch (msg.type) {
    case 'init':
      void initWorker(msg);
      return;
    case 'point':
      if (busy) {
        void send({ type: 'pointFailed', index: msg.point.index, code: 'internal', message: 'the worker was given a point while it ran another' });
        return;
      }
      void runPoint(msg.point);
      return;
    case 'cancel':
      state?.controller.abort();
      if (!busy) {
        process.exit(0);
      }
      return;
    default:
      return;
  }
}

/** Entry point (child.ts calls it when started with SWEEP_WORKER_FLAG). */
export function startSweepWorker(): void {
  if (!process.send) {
    process.stderr.write('a sweep worker must be started by the engine with an IPC channel\n');
    process.exit(2);
  }
  process.on('message', onMessage);
  // The engine is gone (or done with this worker): stop the point at its next batch and leave.
  process.on('disconnect', () => {
    state?.controller.abort();
    if (!busy) {
      process.exit(0);
    }
    setTimeout(() => process.exit(1), 2000).unref();
  });
  // Ctrl-C in a terminal reaches the whole process group: the engine decides; here it is a cancel.
  const onSignal = (): void => state?.controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void send({ type: 'ready', pid: process.pid });
}
