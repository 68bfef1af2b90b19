/**
 * Runs the engine (dist/engine.js) in a child process and turns its IPC messages into typed
 * EngineEvents. No `vscode` import: unit tests drive this class in plain Node.
 *
 * One run at a time per instance; every `start` forks a fresh child, so a crashed or killed
 * child never affects the next run. Every run ends with exactly one terminal event
 * (done / cancelled / error), synthesized here when the child dies without sending one.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { EngineEvent, StartRequest, TerminalEvent } from '../protocol/engine';
import { isTerminal } from '../protocol/engine';

export interface EngineProcessOptions {
  /** After `cancel()`, kill the child if it has not ended within this time (default 10 s). */
  killTimeoutMs?: number;
  /** After `dispose()` of a running child: grace time to stop cleanly before SIGKILL (default 3 s). */
  disposeGraceMs?: number;
  /** Kill the child if it does not say `ready` within this time (default 30 s). */
  readyTimeoutMs?: number;
  /** Extra Node flags for the child (e.g. ['--enable-source-maps']). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Disposable {
  dispose(): void;
}

export type EngineEventListener = (event: EngineEvent) => void;
/** Lines the child wrote to stdout/stderr (not protocol messages), for an output channel. */
export type EngineOutputListener = (text: string, stream: 'stdout' | 'stderr') => void;

const STDERR_TAIL = 4000;

export class EngineProcess implements Disposable {
  private child?: ChildProcess;
  private readonly eventListeners = new Set<EngineEventListener>();
  private readonly outputListeners = new Set<EngineOutputListener>();
  private killTimer?: NodeJS.Timeout;
  private readyTimer?: NodeJS.Timeout;
  private cancelRequested = false;
  private disposed = false;

  constructor(
    /** Absolute path of dist/engine.js. */
    readonly enginePath: string,
    private readonly options: EngineProcessOptions = {},
  ) {}

  /** True while a run's child process is alive. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** The child's process id while running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  onEvent(listener: EngineEventListener): Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onOutput(listener: EngineOutputListener): Disposable {
    this.outputListeners.add(listener);
    return { dispose: () => this.outputListeners.delete(listener) };
  }

  /**
   * Forks the engine, sends `req` once it is ready, and resolves with the run's terminal
   * event (never rejects; a crash resolves with an `error` event). Throws synchronously-ish
   * (rejects) only when a run is already active or the instance is disposed.
   */
  start(req: StartRequest): Promise<TerminalEvent> {
    if (this.disposed) {
      return Promise.reject(new Error('EngineProcess is disposed'));
    }
    if (this.child) {
      return Promise.reject(new Error('A run is already active in this EngineProcess; cancel it or wait for it to end.'));
    }
    this.cancelRequested = false;
    return new Promise<TerminalEvent>((resolve) => {
      let terminal: TerminalEvent | undefined;
      let stderrTail = '';
      let ended = false;
      const child = fork(this.enginePath, [], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: this.options.execArgv ?? [],
        env: this.options.env ?? process.env,
        cwd: this.options.cwd,
        serialization: 'json',
      });
      this.child = child;

      const end = (event: TerminalEvent): void => {
        if (ended) {
          return;
        }
        ended = true;
        clearTimeout(this.readyTimer);
        clearTimeout(this.killTimer);
        if (!terminal) {
          terminal = event;
          this.dispatch(event);
        }
        resolve(terminal);
      };

      const output = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (stream === 'stderr') {
          stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
        }
        for (const l of this.outputListeners) {
          l(text, stream);
        }
      };
      child.stdout?.on('data', output('stdout'));
      child.stderr?.on('data', output('stderr'));

      this.readyTimer = setTimeout(() => {
        stderrTail += '\n(the engine did not report ready in time)';
        child.kill('SIGKILL');
      }, this.options.readyTimeoutMs ?? 30_000);

      child.on('message', (msg: unknown) => {
        if (!isEngineEvent(msg) || terminal) {
          return;
        }
        if (msg.type === 'ready') {
          clearTimeout(this.readyTimer);
          this.dispatch(msg);
          if (this.cancelRequested) {
            // Cancelled before the run began: tell the child, report the run as cancelled.
            this.trySend({ type: 'cancel' });
            end({ type: 'cancelled', runId: req.runId, durationMs: 0 });
            return;
          }
          this.trySend(req);
          return;
        }
        if (isTerminal(msg)) {
          terminal = msg;
          this.dispatch(msg);
          // The run is over: resolve now; the child exits by itself (killed if it lingers).
          if (this.child === child) {
            this.child = undefined;
          }
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGKILL');
            }
          }, 5000).unref();
          end(msg);
          return;
        }
        this.dispatch(msg);
      });

      child.on('error', (err) => {
        // Spawn failure or a failed send; the 'exit' handler reports a death.
        stderrTail += `\n${err.message}`;
        if (child.exitCode === null && child.signalCode === null && child.pid === undefined) {
          this.child = undefined;
          end({ type: 'error', runId: req.runId, code: 'internal', message: `Could not start the engine (${this.enginePath}): ${err.message}` });
        }
      });

      child.on('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
        }
        if (terminal) {
          end(terminal);
          return;
        }
        if (this.cancelRequested) {
          end({ type: 'cancelled', runId: req.runId, durationMs: 0 });
          return;
        }
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = stderrTail.trim() ? ` Last output: ${stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
        end({
          type: 'error',
          runId: req.runId,
          code: 'internal',
          message: `The engine process ${how} before the run finished.${tail}`,
        });
      });
    });
  }

  /** Asks the run to stop at the next batch; kills the child if it has not ended in time. */
  cancel(): void {
    const child = this.child;
    if (!child) {
      return;
    }
    this.cancelRequested = true;
    this.trySend({ type: 'cancel' });
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      if (this.child === child) {
        child.kill('SIGKILL');
      }
    }, this.options.killTimeoutMs ?? 10_000);
  }

  /**
   * Ends a running child (its run ends as cancelled): cancel + disconnect, so the engine stops
   * at the next batch and writes its run record, then SIGKILL after the grace time.
   * The instance cannot start runs afterwards.
   */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.readyTimer);
    const child = this.child;
    if (!child) {
      return;
    }
    this.cancelRequested = true;
    this.trySend({ type: 'cancel' });
    if (child.connected) {
      child.disconnect();
    }
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }, this.options.disposeGraceMs ?? 3000);
  }

  private trySend(msg: StartRequest | { type: 'cancel' }): void {
    const child = this.child;
    if (child?.connected) {
      try {
        child.send(msg);
      } catch {
        // The child is exiting; its 'exit' event reports the outcome.
      }
    }
  }

  private dispatch(event: EngineEvent): void {
    for (const l of [...this.eventListeners]) {
      try {
        l(event);
      } catch (err) {
        // A listener bug must not break the run's event stream.
        console.error('EngineProcess listener failed:', err);
      }
    }
  }
}

function isEngineEvent(msg: unknown): msg is EngineEvent {
  return typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string';
}
