/**
 * `model-optimizer` CLI (bundled to dist/cli.js). Parses arguments, reads the config, runs
 * the engine in-process with `runJob`, and prints either JSON lines (--json) or text.
 * Exit codes: 0 done, 1 failed or cancelled, 2 bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PartialRunConfig } from '../protocol/config';
import type { EngineEvent, TerminalEvent } from '../protocol/engine';
import { loadConfigFile, resolveConfig } from '../engine/config';
import { BadInputError } from '../engine/errors';
import { applyOverrides, HELP, parseArgs, UsageError } from './args';
import type { CliArgs } from './args';
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

/** The one-paragraph stderr message for a problem the user can fix. */
function badInput(message: string, where?: string): string {
  // A list of several config problems names each field itself.
  const prefix = where && !message.includes(`${where}:`) ? `bad input in ${where}: ` : '';
  return `model-optimizer: ${prefix}${message}\n`;
}

async function run(argv: string[]): Promise<number> {
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
      partial = await loadConfigFile(path.resolve(configFile));
      source = path.basename(configFile);
    }
    resolveConfig(args.overrides, 'command line');
    partial = applyOverrides(partial, args.overrides);
    if (Object.keys(args.overrides).length > 0) {
      source = `${source} + command line`;
    }
    outDir = path.resolve(args.out ?? resolveConfig(partial, source).output.dir);
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
  const printer = new HumanPrinter({ out: process.stdout, err: process.stderr }, args.verbose);
  printer.setOutDir(outDir);
  const emit = args.json ? printJson : (e: EngineEvent): void => printer.handle(e);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      process.stderr.write('\nCancelling at the end of the current batch… (press Ctrl-C again to quit immediately)\n');
    } else {
      process.stderr.write('Quitting without cleanup.\n');
      process.exit(1);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const { runJob } = await import('../engine/run');
    const terminal = await runJob(
      { type: 'start', runId, job, config: partial, configSource: source, outDir, wait: args.wait, ...(args.model ? { inputModel: path.resolve(args.model) } : {}) },
      emit,
      controller.signal,
    );
    if (args.json && terminal.type === 'error' && terminal.code === 'bad-input') {
      process.stderr.write(badInput(terminal.message, terminal.where));
    }
    return exitCodeOf(terminal);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
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
