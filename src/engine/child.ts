/**
 * The engine child process (bundled to dist/engine.js, forked by the extension with an IPC
 * channel). Protocol: sends `ready`; takes exactly one `start`; forwards every EngineEvent
 * with process.send; `cancel` aborts the run at the next batch boundary; exits with code 0
 * after the terminal event. A lost parent (disconnect) aborts the run and exits. An uncaught
 * error is reported as an `error` event and the process exits with code 1.
 * Started with `--sweep-worker`, the same bundle is a sweep's worker process (sweepWorker.ts).
 */
import { isTerminal } from '../protocol/engine';
import type { EngineEvent, EngineRequest, StartRequest } from '../protocol/engine';
import { runJob } from './run';
import { SWEEP_WORKER_FLAG } from './jobs/sweepMessages';
import { startSweepWorker } from './sweepWorker';

const controller = new AbortController();
let runId = '';
let started = false;
let exiting = false;
let lastSend: Promise<void> = Promise.resolve();
let terminalSent = false;

function send(event: EngineEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    try {
      process.send(event, undefined, undefined, () => resolve());
    } catch {
      resolve(); // the channel closed: nobody is listening any more
    }
  });
}

function exit(code: number): void {
  if (exiting) {
    return;
  }
  exiting = true;
  // Let queued IPC messages flush before leaving.
  setImmediate(() => {
    if (process.connected) {
      process.disconnect();
    }
    process.exit(code);
  });
}

function crash(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  if (terminalSent) {
    // The run already ended; nothing more may be sent after a terminal event.
    process.stderr.write(`engine error after the run ended: ${e.stack ?? e.message}\n`);
    exit(1);
    return;
  }
  terminalSent = true;
  void send({ type: 'error', runId, code: 'internal', message: `Engine crashed: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) }).then(() => exit(1));
}

async function start(req: StartRequest): Promise<void> {
  runId = req.runId;
  await runJob(
    req,
    (e) => {
      if (isTerminal(e)) {
        terminalSent = true;
      }
      lastSend = send(e);
    },
    controller.signal,
  );
  // The terminal event was the last one sent; leave once the channel has taken it.
  await lastSend;
  exit(0);
}

function onMessage(msg: unknown): void {
  const req = msg as EngineRequest;
  if (typeof req !== 'object' || req === null) {
    return;
  }
  switch (req.type) {
    case 'start':
      if (started) {
        void send({ type: 'log', level: 'info', message: 'ignored a second start: one run per engine process' });
        return;
      }
      started = true;
      start(req).catch(crash);
      return;
    case 'cancel':
      controller.abort();
      if (!started) {
        exit(0);
      }
      return;
    default:
      void send({ type: 'log', level: 'info', message: `ignored unknown request ${JSON.stringify(msg).slice(0, 100)}` });
  }
}

function startEngineChild(): void {
  if (!process.send) {
    process.stderr.write('dist/engine.js is the engine child process: it must be forked with an IPC channel (use the CLI, dist/cli.js, from a shell).\n');
    process.exit(2);
  }

  process.on('message', onMessage);
  process.on('disconnect', () => {
    // The extension is gone: stop at the next batch and leave without waiting for the run.
    controller.abort();
    setTimeout(() => process.exit(started ? 1 : 0), 2000).unref();
  });
  // A terminal's Ctrl-C reaches the whole process group: here it is a cancel like the parent's
  // (which decides whether to wait or to kill), never an exit without the run record.
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  void send({ type: 'ready', pid: process.pid });
}

// The same bundle serves as a sweep's worker processes (jobs/sweepPool.ts forks it with this flag).
if (process.argv.includes(SWEEP_WORKER_FLAG)) {
  startSweepWorker();
} else {
  startEngineChild();
}
