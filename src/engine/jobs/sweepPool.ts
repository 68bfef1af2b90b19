/**
 * Runs sweep points in parallel worker processes (the engine bundle forked with
 * SWEEP_WORKER_FLAG, see sweepWorker.ts), one point per worker at a time.
 *
 * The run's one event stream stays what a sequential sweep sends: everything a point does
 * (events, stage records) is delivered in point order — the lowest unfinished point streams
 * live, later points are held back and delivered as soon as the points before them are done —
 * so the panel, the CLI and the run record see the same sequence as with one worker.
 * Timings are added as they come.
 *
 * A cancel reaches every worker at once; a worker that has not ended within CANCEL_GRACE_MS is
 * killed. A worker that dies (crash, killed by the OS) fails its point with the reason and the
 * tail of its stderr; the other points go on (a new worker takes the dead one's place) and
 * keep their results. Temp files of dead workers are removed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { SplitData } from '../data/dataset';
import type { ModelGraph } from '../graph/types';
import { formatBytes } from '../memory/estimate';
import type { RunContext } from './context';
import { SWEEP_WORKER_FLAG, type FromWorker, type PointActivity, type ToWorker } from './sweepMessages';
import type { PointResult, SweepPoint } from './sweepPoints';

/** After a cancel, how long a worker may take to stop at a batch boundary before it is killed. */
export const CANCEL_GRACE_MS = 2000;
const STDERR_TAIL = 4000;

export interface PoolOptions {
  workers: number;
  /** The engine bundle to fork (dist/engine.js). */
  script: string;
  execArgv?: string[];
  /** Test hook: extra environment for the workers. */
  env?: NodeJS.ProcessEnv;
  /** Nothing a point did reaches the run before this resolves (the workers run meanwhile). */
  gate?: Promise<void>;
  /** Stops every worker like a cancel (the caller's own reason: the run failed elsewhere). */
  stop?: AbortSignal;
}

export type PointOutcome =
  | { ok: true; point: SweepPoint; result: PointResult; maxRssBytes: number }
  | { ok: false; point: SweepPoint; code: 'bad-input' | 'internal' | 'cancelled'; message: string; where?: string; stack?: string };

/**
 * Runs `points` and calls `onPointEnd` for each in point order, after all of that point's
 * activity was applied to `ctx`. Resolves when every worker has exited.
 */
export async function runPointsInWorkers(
  ctx: RunContext,
  baseline: ModelGraph,
  data: SplitData,
  points: readonly SweepPoint[],
  opts: PoolOptions,
  onPointEnd: (outcome: PointOutcome) => Promise<void>,
): Promise<void> {
  // ---- ordered delivery -----------------------------------------------------------------------
  type Item = { kind: 'activity'; activity: PointActivity } | { kind: 'end'; outcome: PointOutcome };
  const held = new Map<number, Item[]>();
  let lead = 0;
  let chain: Promise<void> = opts.gate ?? Promise.resolve();
  const apply = async (item: Item): Promise<void> => {
    if (item.kind === 'end') {
      await onPointEnd(item.outcome);
      return;
    }
    const a = item.activity;
    switch (a.kind) {
      case 'event':
        ctx.emit(a.event);
        return;
      case 'stageRecord':
        ctx.addStageRecord(a.record);
        return;
      case 'timing':
        ctx.addTiming(a.phase, a.ms);
        return;
    }
  };
  const pump = async (): Promise<void> => {
    while (lead < points.length) {
      const items = held.get(lead) ?? [];
      held.set(lead, []);
      let ended = false;
      for (const item of items) {
        await apply(item);
        ended ||= item.kind === 'end';
      }
      if (!ended) {
        return;
      }
      held.delete(lead);
      lead++;
    }
  };
  const deliver = (index: number, item: Item): void => {
    if (item.kind === 'activity' && item.activity.kind === 'timing') {
      ctx.addTiming(item.activity.phase, item.activity.ms);
      return;
    }
    const list = held.get(index) ?? [];
    list.push(item);
    held.set(index, list);
    if (index === lead) {
      chain = chain.then(pump);
    }
  };

  // ---- the workers ----------------------------------------------------------------------------
  const queue = [...points];
  const ended = new Set<number>();
  let workerTrouble = '';
  let sent: SplitData | undefined;
  let stopDispatch = false;
  const live = new Set<ChildProcess>();
  const exits: Promise<void>[] = [];
  let killTimer: NodeJS.Timeout | undefined;
  const cancelAll = (): void => {
    stopDispatch = true;
    for (const child of live) {
      send(child, { type: 'cancel' });
    }
    killTimer ??= setTimeout(() => {
      for (const child of live) {
        child.kill('SIGKILL');
      }
    }, CANCEL_GRACE_MS);
  };
  ctx.signal.addEventListener('abort', cancelAll, { once: true });
  opts.stop?.addEventListener('abort', cancelAll, { once: true });
  const stopped = (): boolean => ctx.signal.aborted || opts.stop?.aborted === true;

  const endPoint = (outcome: PointOutcome): void => {
    if (ended.has(outcome.point.index)) {
      return;
    }
    ended.add(outcome.point.index);
    if (!outcome.ok && outcome.code === 'bad-input') {
      // The user's to fix, and the other points would most likely fail the same way.
      stopDispatch = true;
    }
    deliver(outcome.point.index, { kind: 'end', outcome });
  };

  const startWorker = (slot: number): void => {
    if (stopDispatch || queue.length === 0 || stopped()) {
      return;
    }
    const forkedAt = performance.now();
    const child = fork(opts.script, [SWEEP_WORKER_FLAG], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: opts.execArgv ?? [],
      env: { ...process.env, ...opts.env },
    });
    live.add(child);
    let current: SweepPoint | undefined;
    let stderrTail = '';
    child.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString('utf8')).slice(-STDERR_TAIL);
      process.stderr.write(d);
    });
    const next = (): void => {
      current = stopDispatch || stopped() ? undefined : queue.shift();
      if (current) {
        ctx.log(`sweep worker ${slot + 1} (pid ${child.pid}): ${current.name}`);
        send(child, { type: 'point', point: current });
      } else if (child.connected) {
        child.disconnect();
      }
    };
    child.on('message', (raw: unknown) => {
      const msg = raw as FromWorker;
      switch (msg.type) {
        case 'ready':
          sent ??= compact(data);
          send(child, { type: 'init', runId: ctx.runId, config: ctx.config, outDir: ctx.outDir, outRoot: ctx.outRoot, backend: ctx.backend, data: sent, baseline });
          return;
        case 'inited':
          ctx.log(`sweep worker ${slot + 1} (pid ${child.pid}) started in ${((performance.now() - forkedAt) / 1000).toFixed(2)} s, ${(msg.cpuMs / 1000).toFixed(2)} s CPU (${msg.detail ?? ctx.backend.tfjs})`);
          next();
          return;
        case 'initFailed':
          stderrTail += `\n${msg.message}`;
          return;
        case 'activity':
          deliver(msg.index, { kind: 'activity', activity: msg.activity });
          return;
        case 'pointDone':
          ctx.log(`sweep worker ${slot + 1} (pid ${child.pid}): ${points[msg.index].name} done; the worker's peak memory so far ${formatBytes(msg.maxRssBytes)}`);
          current = undefined;
          endPoint({ ok: true, point: points[msg.index], result: msg.result, maxRssBytes: msg.maxRssBytes });
          next();
          return;
        case 'pointFailed':
          current = undefined;
          endPoint({ ok: false, point: points[msg.index], code: msg.code, message: msg.message, ...(msg.where ? { where: msg.where } : {}), ...(msg.stack ? { stack: msg.stack } : {}) });
          next();
          return;
      }
    });
    exits.push(
      new Promise<void>((resolve) => {
        child.on('error', (err) => {
          stderrTail += `\n${err.message}`;
        });
        child.on('exit', (code, signal) => {
          live.delete(child);
          const lost = current;
          current = undefined;
          if (!lost && code !== 0 && !stopped()) {
            // Died before it took a point (could not start, or failed to initialise).
            const tail = stderrTail.trim() ? `: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
            workerTrouble = `a sweep worker (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before it could run a point${tail}`;
          }
          if (lost) {
            if (stopped()) {
              endPoint({ ok: false, point: lost, code: 'cancelled', message: 'cancelled' });
            } else {
              const how = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exited with code ${code}`;
              const tail = stderrTail.trim() ? `; its last output: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
              endPoint({ ok: false, point: lost, code: 'internal', message: `The sweep worker running ${lost.name} (pid ${child.pid}) ${how} before the point finished${tail}` });
              // Another worker takes its place for the points still waiting.
              startWorker(slot);
            }
          }
          resolve();
        });
      }),
    );
  };

  try {
    for (let i = 0; i < Math.min(opts.workers, points.length); i++) {
      startWorker(i);
    }
    // Workers may be replaced while we wait (a replacement adds its exit): wait until none is pending.
    for (let seen = 0; seen < exits.length; ) {
      const batch = exits.slice(seen);
      seen = exits.length;
      await Promise.all(batch);
    }
    // A point nobody ran (dispatch stopped by a cancel or a bad input) still ends, in order.
    for (const p of points) {
      if (!ended.has(p.index)) {
        if (stopped() || stopDispatch) {
          endPoint({ ok: false, point: p, code: 'cancelled', message: stopped() ? 'cancelled' : 'not run: an earlier point failed on bad input' });
        } else {
          endPoint({ ok: false, point: p, code: 'internal', message: workerTrouble || 'no sweep worker was left to run it' });
        }
      }
    }
    await chain;
  } finally {
    ctx.signal.removeEventListener('abort', cancelAll);
    opts.stop?.removeEventListener('abort', cancelAll);
    clearTimeout(killTimer);
    for (const child of live) {
      child.kill('SIGKILL');
    }
  }
}

function send(child: ChildProcess, msg: ToWorker): void {
  if (!child.connected) {
    return;
  }
  try {
    child.send(msg);
  } catch {
    // The worker is gone; its 'exit' handler reports it.
  }
}

/** The data with every typed array its own exact-size copy, so a view into a bigger buffer sends only its part. */
function compact(d: SplitData): SplitData {
  const set = (s: SplitData['train']): SplitData['train'] => ({ ...s, images: own(s.images), labels: own(s.labels) });
  return { ...d, train: set(d.train), validation: set(d.validation), test: set(d.test) };
}

function own<T extends Uint8Array | Float32Array | Int32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}
