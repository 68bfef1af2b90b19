/**
 * Issue 13, output/process side, through the CLI bundle run as a child (like cli-e2e): stop
 * requests end the process even while the engine is blocked in a read or a synchronous step,
 * a closed stdout cancels cleanly, a killed engine leaves a finished record, a config too big
 * for memory is refused before anything is allocated, and file-system problems are exit 2.
 * The blocked engine is simulated by cli-stall-preload.mjs (node --import), never by real hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineEvent, RunRecord } from '../../src/protocol/engine';
import { entryFromRecord } from '../../src/extension/runStore';
import { buildBundles, freshOutDir } from './child-helpers';

const PRELOAD = pathToFileURL(path.join(import.meta.dirname, 'cli-stall-preload.mjs')).href;

interface Running {
  child: ChildProcessWithoutNullStreams;
  events: EngineEvent[];
  stderr: () => string;
  /** Resolves with the exit code (or signal) and the time the process ended. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves once `pred` holds for the output seen so far. */
  until(pred: () => boolean): Promise<void>;
}

async function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, preload = false): Promise<Running> {
  const { cli } = await buildBundles();
  const child = spawn(process.execPath, [...(preload ? ['--import', PRELOAD] : []), cli, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const events: EngineEvent[] = [];
  let err = '';
  let pending = '';
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of waiters.splice(0)) {
      if (w.pred()) {
        w.resolve();
      } else {
        waiters.push(w);
      }
    }
  };
  child.stdout.on('data', (c: Buffer) => {
    pending += c.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (args.includes('--json')) {
        events.push(JSON.parse(line) as EngineEvent);
      }
    }
    check();
  });
  child.stdout.on('error', () => undefined);
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    check();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal, at: performance.now() });
      check();
    }),
  );
  return {
    child,
    events,
    stderr: () => err,
    exit,
    until: (pred) =>
      new Promise<void>((resolve, reject) => {
        if (pred()) {
          resolve();
          return;
        }
        waiters.push({ pred, resolve });
        void exit.then(() => {
          if (!pred()) {
            reject(new Error(`the CLI ended first; stderr:\n${err}`));
          }
        });
      }),
  };
}

function onlyRecord(out: string): RunRecord {
  const names = readdirSync(path.join(out, 'runs')).filter((n) => n.endsWith('.json'));
  assert.equal(names.length, 1, names.join(', '));
  return JSON.parse(readFileSync(path.join(out, 'runs', names[0]), 'utf8')) as RunRecord;
}

const TRAIN = ['train', '--json', '--backend', 'wasm', '--train-limit', '3000', '--test-limit', '300'];

void test('item 1: SIGTERM while the engine is blocked in a read ends the CLI (the run had not started: nothing written)', async () => {
  const out = freshOutDir('stop-read');
  const r = await startCli([...TRAIN, '--out', path.join(out, 'o')], out, { MO_TEST_STALL: 'read' }, true);
  await r.until(() => r.stderr().includes('STALLED-READ'));
  const t = performance.now();
  r.child.kill('SIGTERM');
  const end = await r.exit;
  console.log(`# SIGTERM → exit during a blocked read: ${((end.at - t) / 1000).toFixed(2)} s`);
  assert.equal(end.code, 1, r.stderr());
  assert.equal(r.events.at(-1)?.type, 'cancelled');
  assert.ok(!existsSync(path.join(out, 'o', 'run.lock')));
});

void test('item 1: SIGTERM while the engine spins in a synchronous step: the engine is ended, the record says cancelled, the lock is gone', async () => {
  const out = freshOutDir('stop-sync');
  const flag = path.join(out, 'stall-now');
  const o = path.join(out, 'o');
  const r = await startCli([...TRAIN, '--epochs', '3', '--out', o], out, { MO_TEST_STALL: `sync:${flag}` }, true);
  await r.until(() => r.events.some((e) => e.type === 'batchProgress'));
  writeFileSync(flag, '');
  await r.until(() => r.stderr().includes('STALLED-SYNC'));
  const t = performance.now();
  r.child.kill('SIGTERM');
  const end = await r.exit;
  console.log(`# SIGTERM → exit during a synchronous step that never yields: ${((end.at - t) / 1000).toFixed(2)} s`);
  assert.equal(end.code, 1, r.stderr());
  assert.equal(r.events.at(-1)?.type, 'cancelled');
  const record = onlyRecord(o);
  assert.equal(record.status, 'cancelled');
  assert.ok(record.warnings.some((w) => w.code === 'killed'), JSON.stringify(record.warnings));
  assert.ok(!existsSync(path.join(o, 'run.lock')), 'the killed engine\'s lock was released');
  assert.ok(!existsSync(path.join(o, 'mnist_model')), 'nothing was published');
});

void test('item 13: a closed stdout (train --json | head) cancels the run cleanly: exit 1, no EPIPE crash, a cancelled record', async () => {
  const out = freshOutDir('epipe');
  const o = path.join(out, 'o');
  const r = await startCli([...TRAIN, '--epochs', '3', '--out', o], out);
  await r.until(() => r.events.some((e) => e.type === 'batchProgress'));
  r.child.stdout.destroy();
  const end = await r.exit;
  assert.equal(end.code, 1, r.stderr());
  assert.match(r.stderr(), /standard output was closed \(EPIPE\); cancelling the run/);
  assert.doesNotMatch(r.stderr(), /Error: write EPIPE|internal error|at .*\(.*\.js:\d+/);
  assert.equal(onlyRecord(o).status, 'cancelled');
});

void test('item 15: an engine killed outright (SIGKILL) leaves a record that says so: failed, not missing', async () => {
  const out = freshOutDir('sigkill');
  const o = path.join(out, 'o');
  const r = await startCli([...TRAIN, '--epochs', '3', '--out', o], out);
  await r.until(() => r.events.some((e) => e.type === 'batchProgress'));
  const running = onlyRecord(o);
  assert.equal(running.status, 'running');
  assert.ok(running.pid && running.pid !== r.child.pid, 'the record names the engine process');
  process.kill(running.pid, 'SIGKILL');
  const end = await r.exit;
  assert.equal(end.code, 1, r.stderr());
  const record = onlyRecord(o);
  assert.equal(record.status, 'failed');
  assert.match(record.error?.message ?? '', /killed by SIGKILL/);
  // Had nobody finished it (the CLI killed too), the extension still shows it as failed, not running.
  const entry = entryFromRecord(running, o, () => false);
  assert.equal(entry.status, 'failed');
  assert.match(entry.error?.message ?? '', /ended before the run finished/);
});

void test('item 6: model.hidden [65536, 65536] is refused before anything is allocated, with the estimate; nothing written', async () => {
  const out = freshOutDir('memory');
  writeFileSync(path.join(out, 'big.json'), JSON.stringify({ model: { hidden: [65536, 65536] } }));
  const r = await startCli(['train', '--config', 'big.json', '--out', path.join(out, 'o')], out);
  const t = performance.now();
  const end = await r.exit;
  console.log(`# refusing model.hidden [65536, 65536]: ${((end.at - t) / 1000).toFixed(2)} s after spawn`);
  assert.equal(end.code, 2, r.stderr());
  assert.match(r.stderr(), /would need about [\d.]+ GiB of memory \(4,347,\d{3},\d{3} parameters: weights [\d.]+ GiB, gradients [\d.]+ GiB, optimizer state [\d.]+ GiB.*more than the limit of .*model\.hidden/s);
  assert.ok(!existsSync(path.join(out, 'o')));
  // The limit is the user's: a tiny one refuses even the reference model, naming train.memoryLimitMB.
  writeFileSync(path.join(out, 'tiny.json'), JSON.stringify({ train: { memoryLimitMB: 1 } }));
  const r2 = await startCli(['train', '--config', 'tiny.json', '--train-limit', '1000', '--out', path.join(out, 'o')], out);
  assert.equal((await r2.exit).code, 2);
  assert.match(r2.stderr(), /more than the limit of 1\.0 MiB.*train\.memoryLimitMB/s);
});

void test('item 8: a too-long output name and <out>/runs being a file are exit 2 with the problem and the fix', async () => {
  const out = freshOutDir('fs-errors');
  const long = await startCli(['train', '--train-limit', '500', '--test-limit', '100', '--out', path.join(out, 'x'.repeat(300))], out);
  assert.equal((await long.exit).code, 2, long.stderr());
  assert.match(long.stderr(), /too long for the file system.*Choose a shorter output folder path/s);
  assert.doesNotMatch(long.stderr(), /internal error|This is a bug/);

  const o = path.join(out, 'o');
  mkdirSync(o);
  writeFileSync(path.join(o, 'runs'), 'not a folder');
  const runsFile = await startCli(['train', '--train-limit', '500', '--test-limit', '100', '--out', o], out);
  assert.equal((await runsFile.exit).code, 2, runsFile.stderr());
  assert.match(runsFile.stderr(), /runs is a file, but the run needs a folder there.*Move or rename the file, or choose another output folder/s);
  assert.equal(readFileSync(path.join(o, 'runs'), 'utf8'), 'not a folder');
});

void test('items 15 + 4: validationSplit 0 prints val_loss "—" (not NaN); a run refused by the lock prints the one error style, naming the running run', async () => {
  const out = freshOutDir('styles');
  writeFileSync(path.join(out, 'noval.json'), JSON.stringify({ train: { validationSplit: 0, epochs: 1 } }));
  const r = await startCli(['train', '--config', 'noval.json', '--backend', 'wasm', '--train-limit', '1000', '--test-limit', '200', '--out', path.join(out, 'o')], out);
  let stdout = '';
  r.child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  assert.equal((await r.exit).code, 0, r.stderr());
  assert.match(stdout, /epoch 1\/1 .*val_loss — {2}val_accuracy —/);
  assert.doesNotMatch(stdout, /NaN/);

  // Another run holds the folder (this test process is alive): exit 2, one paragraph in the CLI's style.
  const o = path.join(out, 'o');
  writeFileSync(path.join(o, 'run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), runId: 'the-other-run', job: 'sweep', startedAt: '2026-12-04T20:00:00.000Z' }));
  const refused = await startCli(['train', '--train-limit', '500', '--test-limit', '100', '--out', o], out);
  assert.equal((await refused.exit).code, 2, refused.stderr());
  assert.match(refused.stderr(), /^model-optimizer: (bad input in .*: )?Another run is writing to the output folder .*run the-other-run \(sweep, pid \d+, started 2026-12-04T20:00:00\.000Z\)\. .*--wait/m);
  assert.doesNotMatch(refused.stderr(), /^Error/m);
});
