/**
 * `model-optimizer` CLI (bundled to dist/cli.js). Parses arguments, reads the config, runs
 * the engine in-process with `runJob`, and prints either JSON lines (--json) or text.
 * Exit codes: 0 done, 1 failed or cancelled, 2 bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PartialRunConfig } from '../protocol/config';
import type { EngineEvent, StartRequest, TerminalEvent } from '../protocol/engine';
import { loadConfigFile, resolveConfig } from '../engine/config';
import { BadInputError } from '../engine/errors';
import { finalizeKilledRun } from '../engine/output/finalize';
import { EngineProcess } from '../extension/engineProcess';
import { applyOverrides, HELP, parseArgs, UsageError } from './args';
import type { CliArgs } from './args';
import { runDeploy } from './deploy';
import { problemText } from './format';
import { HumanPrinter } from './human';

export function exitCodeOf(t: TerminalEvent): number {
  if (t.type === 'done') {
    return 0;
  }
  return t.type === 'error' && t.code === 'bad-input' ? 2 : 1;
}

function newRunId(job: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${job}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

function version(): string {
  // dist/cli.js → ../package.json; src/cli/main.ts (tsx) → ../../package.json
  for (const rel of ['..', path.join('..', '..')]) {
    const file = path.join(__dirname, rel, 'package.json');
    if (existsSync(file)) {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    }
  }
  return 'unknown';
}

const badInput = problemText;

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'deploy') {
    // Not an engine job: analyses a file and writes C sources, in this process.
    return runDeploy(argv.slice(1));
  }
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(badInput(err.message));
      return 2;
    }
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const job = args.command;
  const runId = newRunId(job);
  const printJson = (e: EngineEvent): void => {
    process.stdout.write(`${JSON.stringify(e)}\n`);
  };

  // Config file (explicit, or ./model-optimizer.json when present) + flag overrides.
  let partial: PartialRunConfig = {};
  let source = 'defaults';
  let outDir: string;
  try {
    const configFile = args.config ?? (existsSync('model-optimizer.json') ? 'model-optimizer.json' : undefined);
    if (configFile) {
      partial = await loadConfigFile(path.resolve(configFile), { modelFile: !!args.model });
      source = path.basename(configFile);
    }
    resolveConfig(args.overrides, 'command line', { modelFile: !!args.model });
    partial = applyOverrides(partial, args.overrides);
    if (Object.keys(args.overrides).length > 0) {
      source = `${source} + command line`;
    }
    outDir = path.resolve(args.out ?? resolveConfig(partial, source, { modelFile: !!args.model }).output.dir);
  } catch (err) {
    if (err instanceof BadInputError) {
      if (args.json) {
        printJson({ type: 'error', runId, code: 'bad-input', message: err.message, ...(err.where ? { where: err.where } : {}) });
      }
      process.stderr.write(badInput(err.message, err.where));
      return 2;
    }
    throw err;
  }

  if (args.json) {
    // stdout carries only events: library chatter (console.log in a runtime) goes to stderr.
    console.log = console.info = console.debug = (...a: unknown[]): void => console.error(...a);
  }
  // A closed stdout (`model-optimizer train --json | head`) is a stop request, not a crash.
  let stdoutClosed = false;
  const stop = new AbortController();
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (!stdoutClosed) {
      stdoutClosed = true;
      process.stderr.write(`model-optimizer: standard output was closed (${err.code ?? err.message}); cancelling the run.\n`);
      stop.abort();
    }
  });
  const out = {
    write: (chunk: string): boolean => (stdoutClosed ? true : process.stdout.write(chunk)),
    get isTTY(): boolean | undefined {
      return process.stdout.isTTY;
    },
  } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  const printer = new HumanPrinter({ out, err: process.stderr }, args.verbose);
  printer.setOutDir(outDir);
  const emit = args.json ? (e: EngineEvent): void => void out.write(`${JSON.stringify(e)}\n`) : (e: EngineEvent): void => printer.handle(e);

  let interrupts = 0;
  let quitNow: (() => void) | undefined;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      stop.abort();
      process.stderr.write(`\nCancelling at the end of the current batch (stopped outright after ${STOP_GRACE_MS / 1000} s)… press Ctrl-C again to quit immediately\n`);
    } else {
      process.stderr.write('Quitting now.\n');
      quitNow?.();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const req: StartRequest = { type: 'start', runId, job, config: partial, configSource: source, outDir, wait: args.wait, ...(args.model ? { inputModel: path.resolve(args.model) } : {}) };
  try {
    const terminal = await runEngine(req, emit, stop.signal, (fn) => (quitNow = fn));
    if (args.json && terminal.type === 'error' && terminal.code === 'bad-input') {
      process.stderr.write(badInput(terminal.message, terminal.where));
    }
    return exitCodeOf(terminal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** After a stop request, how long the engine may take to stop at a batch boundary before it is killed. */
const STOP_GRACE_MS = 3000;

/**
 * Runs the job in the engine child process (dist/engine.js beside dist/cli.js), so this
 * process stays responsive whatever the engine does: a stop request (Ctrl-C, SIGTERM, a closed
 * stdout) asks the engine to cancel, and if it has not ended within STOP_GRACE_MS (blocked in
 * a read or a long synchronous step) it is killed and its run record and lock are finished
 * here. Without the bundle (running from source) the engine runs in-process.
 */
async function runEngine(req: StartRequest, emit: (e: EngineEvent) => void, signal: AbortSignal, onQuitNow: (fn: () => void) => void): Promise<TerminalEvent> {
  const enginePath = path.join(__dirname, 'engine.js');
  if (!existsSync(enginePath)) {
    const { runJob } = await import('../engine/run');
    return runJob(req, emit, signal);
  }
  const engine = new EngineProcess(enginePath, { killTimeoutMs: STOP_GRACE_MS, disposeGraceMs: 200, execArgv: process.execArgv });
  // The engine's own stdout/stderr (library chatter) never mixes with our stdout.
  engine.onOutput((text) => process.stderr.write(text));
  engine.onEvent((e) => {
    if (e.type !== 'ready') {
      emit(e);
    }
  });
  let killed = false;
  const cancel = (): void => engine.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  onQuitNow(() => {
    killed = true;
    engine.dispose();
  });
  const pidAtStart = (): number | undefined => engine.pid;
  let enginePid: number | undefined;
  const off = engine.onEvent((e) => {
    if (e.type === 'ready') {
      enginePid = e.pid;
    }
  });
  const t0 = performance.now();
  const terminal = await engine.start(req);
  off.dispose();
  signal.removeEventListener('abort', cancel);
  const pid = enginePid ?? pidAtStart();
  if (pid !== undefined && (signal.aborted || killed)) {
    // Killed before it could finish its record: finish it here (no-op when the engine did).
    await finalizeKilledRun(req.outDir, req.runId, pid, 'cancelled', `The run did not stop within ${STOP_GRACE_MS / 1000} s of the stop request and was ended.`);
  } else if (pid !== undefined && terminal.type === 'error') {
    await finalizeKilledRun(req.outDir, req.runId, pid, 'failed', terminal.message);
  }
  if (terminal.type === 'cancelled' && terminal.durationMs === 0) {
    return { ...terminal, durationMs: performance.now() - t0 };
  }
  return terminal;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`model-optimizer: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
