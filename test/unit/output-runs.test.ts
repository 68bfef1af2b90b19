/**
 * The output folder as a user sees it across runs (issue 13, output side): each run writes into
 * its own folder and only a completed run publishes a consistent set to the top; one run per
 * output folder (run.lock); a 'running' record from the start; a full disk or read-only file
 * system is bad input and keeps the earlier files; symlinks inside the output folder are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runJob } from '../../src/engine/run';
import { withFsLayer } from '../../src/engine/util/atomic';
import { CURRENT_SET_FILE, type CurrentSet } from '../../src/engine/output/publish';
import { LOCK_FILE } from '../../src/engine/output/runLock';
import { runRecordProblems } from '../../src/protocol/runRecordSchema';
import type { PartialRunConfig } from '../../src/protocol/config';
import type { EngineEvent, JobKind, RunRecord, StartRequest, TerminalEvent } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';

const CONFIG: PartialRunConfig = {
  data: { trainLimit: 2000, testLimit: 300 },
  train: { epochs: 1 },
  prune: { epochs: 1 },
  quantize: { tflite: ['dynamic-int8'], tfjs: [] },
  backend: 'wasm',
};

function req(outDir: string, runId: string, job: JobKind, config: PartialRunConfig = CONFIG): StartRequest {
  return { type: 'start', runId, job, config, configSource: 'test', outDir };
}

async function run(outDir: string, runId: string, job: JobKind, onEvent?: (e: EngineEvent) => void, config?: PartialRunConfig): Promise<{ t: TerminalEvent; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  const t = await runJob(req(outDir, runId, job, config), (e) => {
    events.push(e);
    onEvent?.(e);
  }, new AbortController().signal);
  return { t, events };
}

/** Files (not folders) outside runs/, POSIX, sorted. */
function top(out: string): string[] {
  return readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(out, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .filter((f) => !f.startsWith('runs/'))
    .sort();
}

function readSet(out: string): CurrentSet {
  return JSON.parse(readFileSync(path.join(out, CURRENT_SET_FILE), 'utf8')) as CurrentSet;
}

void test('item 14: pipeline then train: the top shows the new baseline alone, the pipeline\'s files stay in its run folder; then prune and quantize build one consistent set', async () => {
  const out = freshOutDir('out-consistent');
  const p = await run(out, 'p1', 'pipeline');
  assert.equal(p.t.type, 'done', JSON.stringify(p.t));
  assert.ok(existsSync(path.join(out, 'comparison.md')));
  assert.ok(existsSync(path.join(out, 'pruned_mnist_model', 'model.json')));
  const started = p.events.find((e) => e.type === 'jobStarted');
  assert.ok(started?.type === 'jobStarted' && started.runDir === 'runs/p1');

  const t = await run(out, 't1', 'train');
  assert.equal(t.t.type, 'done', JSON.stringify(t.t));
  const files = top(out);
  assert.deepEqual(files.filter((f) => !f.startsWith('logs/')), [CURRENT_SET_FILE, 'mnist_model/group1-shard1of1.bin', 'mnist_model/model.json']);
  assert.ok(files.some((f) => f.startsWith('logs/train/events.out.tfevents')), files.join(', '));
  assert.ok(!files.some((f) => f.startsWith('logs/prune')), 'the pruning curves of the old pipeline left the top');
  // Nothing is lost: the pipeline's files are all in its run folder, and its record lists only files that exist.
  const rec = JSON.parse(readFileSync(path.join(out, 'runs', 'p1.json'), 'utf8')) as RunRecord;
  assert.equal(rec.runDir, 'runs/p1');
  assert.deepEqual(runRecordProblems(rec), [], 'the engine\'s records pass the schema the extension checks them with');
  for (const a of rec.artifacts.filter((x) => x.kind !== 'run-record')) {
    assert.ok(existsSync(path.join(out, 'runs', 'p1', ...a.path.split('/'))), a.path);
  }
  assert.ok(t.events.some((e) => e.type === 'log' && /taken off the top/.test(e.message)), 'the withdrawal is announced');
  // The published baseline is the train run's, byte for byte.
  assert.deepEqual(readFileSync(path.join(out, 'mnist_model', 'model.json')), readFileSync(path.join(out, 'runs', 't1', 'mnist_model', 'model.json')));
  assert.deepEqual(Object.values(readSet(out).files).map((f) => f.run), Object.values(readSet(out).files).map(() => 't1'));

  // prune builds on the baseline (kept), quantize on both: comparison.md describes exactly the models at the top.
  assert.equal((await run(out, 'pr1', 'prune')).t.type, 'done');
  const q = await run(out, 'q1', 'quantize');
  assert.equal(q.t.type, 'done', JSON.stringify(q.t));
  const set = readSet(out);
  assert.equal(set.files['mnist_model/model.json'].run, 't1');
  assert.equal(set.files['pruned_mnist_model/model.json'].run, 'pr1');
  assert.equal(set.files['comparison.md'].run, 'q1');
  for (const rel of Object.keys(set.files)) {
    assert.ok(existsSync(path.join(out, ...rel.split('/'))), `${rel} of the set is at the top`);
  }
  const md = readFileSync(path.join(out, 'comparison.md'), 'utf8');
  assert.match(md, /mnist_model_quant\.tflite/);
  assert.match(md, /pruned_mnist_model_quant\.tflite/);
  // Pruning again replaces the pruned model: the exports and the comparison of the old one leave the top.
  assert.equal((await run(out, 'pr2', 'prune')).t.type, 'done');
  assert.ok(!existsSync(path.join(out, 'comparison.md')), 'comparison.md described the previous pruned model');
  assert.ok(!existsSync(path.join(out, 'pruned_mnist_model_quant.tflite')));
  assert.ok(existsSync(path.join(out, 'runs', 'q1', 'comparison.md')));
  assert.equal(readSet(out).files['pruned_mnist_model/model.json'].run, 'pr2');
});

void test('item 4: a second run on the same output folder is refused naming the running one; a stale lock (dead pid) is taken over', async () => {
  const out = freshOutDir('out-lock');
  // A live holder: this very process, as another run id.
  writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), runId: 'other-run', job: 'pipeline', startedAt: '2026-01-01T00:00:00.000Z' }));
  const refused = await run(out, 'second', 'train');
  assert.equal(refused.t.type, 'error');
  assert.ok(refused.t.type === 'error' && refused.t.code === 'bad-input');
  assert.match(refused.t.type === 'error' ? refused.t.message : '', /Another run is writing to the output folder .*run other-run \(pipeline, pid \d+, started 2026-01-01T00:00:00\.000Z\).*--wait/);
  assert.ok(!existsSync(path.join(out, 'runs')), 'the refused run wrote nothing');
  assert.ok(existsSync(path.join(out, LOCK_FILE)), 'and left the other run\'s lock alone');

  // A dead holder: a pid that does not exist.
  writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), runId: 'dead-run', job: 'train', startedAt: '2026-01-01T00:00:00.000Z' }));
  const taken = await run(out, 'third', 'train');
  assert.equal(taken.t.type, 'done', JSON.stringify(taken.t));
  assert.ok(taken.events.some((e) => e.type === 'log' && /took over the lock of run dead-run/.test(e.message)));
  assert.ok(!existsSync(path.join(out, LOCK_FILE)), 'the lock is released at the end');
});

void test('item 4: with wait, the second run starts once the first has released the lock', async () => {
  const out = freshOutDir('out-lock-wait');
  writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), runId: 'first', job: 'train', startedAt: '2026-01-01T00:00:00.000Z' }));
  const events: EngineEvent[] = [];
  const waiting = runJob({ ...req(out, 'waiter', 'train'), wait: true }, (e) => {
    events.push(e);
  }, new AbortController().signal);
  // Released once the waiter said it waits (a condition, not a sleep).
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (events.some((e) => e.type === 'log' && /waiting for run first/.test(e.message))) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  assert.ok(!events.some((e) => e.type === 'jobStarted'), 'nothing started while the lock was held');
  readdirSync(out); // the folder is still only the lock
  await import('node:fs/promises').then((f) => f.rm(path.join(out, LOCK_FILE)));
  const t = await waiting;
  assert.equal(t.type, 'done', JSON.stringify(t));
});

void test('item 15: the run record says running (with the pid) from the start, and its final status at the end', async () => {
  const out = freshOutDir('out-running');
  let seen: RunRecord | undefined;
  const r = await run(out, 'r1', 'train', (e) => {
    if (e.type === 'jobStarted') {
      seen = JSON.parse(readFileSync(path.join(out, 'runs', 'r1.json'), 'utf8')) as RunRecord;
    }
  });
  assert.equal(r.t.type, 'done');
  assert.equal(seen?.status, 'running');
  assert.equal(seen?.pid, process.pid);
  assert.equal(seen?.finishedAt, '');
  const final = JSON.parse(readFileSync(path.join(out, 'runs', 'r1.json'), 'utf8')) as RunRecord;
  assert.equal(final.status, 'done');
  assert.ok(final.finishedAt !== '');
});

function errnoError(code: string, file: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: simulated, write '${file}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = file;
  return e;
}

void test('items 8 + 10: disk full while the next train writes its TensorBoard logs: exit-2 style bad input naming the fix; the earlier run\'s logs, model and set stay; the failed record lists only files that exist', async () => {
  const out = freshOutDir('out-enospc');
  assert.equal((await run(out, 'ok', 'train')).t.type, 'done');
  const before = top(out);
  const setBefore = readFileSync(path.join(out, CURRENT_SET_FILE), 'utf8');
  const logsBefore = before.filter((f) => f.startsWith('logs/train/'));
  assert.equal(logsBefore.length, 1);

  const real = await import('node:fs/promises');
  const failed = await withFsLayer(
    {
      writeFile: async (file, data) => {
        if (path.basename(file).includes('events.out.tfevents')) {
          throw errnoError('ENOSPC', file);
        }
        await real.writeFile(file, data);
      },
    },
    () => run(out, 'full', 'train'),
  );
  assert.equal(failed.t.type, 'error');
  assert.ok(failed.t.type === 'error' && failed.t.code === 'bad-input', JSON.stringify(failed.t));
  assert.match(failed.t.type === 'error' ? failed.t.message : '', /The disk is full .*Free some space .*files of earlier runs were kept/);
  assert.deepEqual(top(out), before, 'the top of the output folder is exactly as before');
  assert.equal(readFileSync(path.join(out, CURRENT_SET_FILE), 'utf8'), setBefore);
  const rec = JSON.parse(readFileSync(path.join(out, 'runs', 'full.json'), 'utf8')) as RunRecord;
  assert.equal(rec.status, 'failed');
  for (const a of rec.artifacts) {
    assert.ok(existsSync(path.join(out, 'runs', 'full', ...a.path.split('/'))), `listed ${a.path} exists`);
  }
});

void test('item 8: a read-only file system is reported as such (not ENOENT), with the fix', async () => {
  const out = freshOutDir('out-erofs');
  const t = await withFsLayer(
    {
      mkdir: (dir) => Promise.reject(errnoError('EROFS', dir)),
    },
    () => run(path.join(out, 'sub'), 'ro', 'train'),
  );
  assert.equal(t.t.type, 'error');
  assert.ok(t.t.type === 'error' && t.t.code === 'bad-input', JSON.stringify(t.t));
  assert.match(t.t.type === 'error' ? t.t.message : '', /read-only file system.*Choose an output folder you can write to/);
});

void test('item 5: a symlink inside the output folder is refused, and nothing is written through it', async () => {
  const out = freshOutDir('out-symlink');
  const elsewhere = freshOutDir('out-symlink-target');
  mkdirSync(path.join(out, 'runs'));
  symlinkSync(elsewhere, path.join(out, 'runs', 'linked'));
  const viaRunFolder = await run(out, 'linked', 'train');
  assert.equal(viaRunFolder.t.type, 'error');
  assert.match(viaRunFolder.t.type === 'error' ? viaRunFolder.t.message : '', /is a symbolic link inside the output folder/);
  assert.deepEqual(readdirSync(elsewhere), [], 'nothing landed outside');

  // A link at a published name (<out>/mnist_model → elsewhere): the run completes in its folder, publishing refuses.
  const out2 = freshOutDir('out-symlink2');
  symlinkSync(elsewhere, path.join(out2, 'mnist_model'));
  const viaTop = await run(out2, 'top', 'train');
  assert.equal(viaTop.t.type, 'error');
  assert.ok(viaTop.t.type === 'error' && viaTop.t.code === 'bad-input');
  assert.match(viaTop.t.type === 'error' ? viaTop.t.message : '', /mnist_model is a symbolic link/);
  assert.deepEqual(readdirSync(elsewhere), [], 'the folder the link points to is untouched');
  // A link under logs/ (logsDir) too.
  const out3 = freshOutDir('out-symlink3');
  mkdirSync(path.join(out3, 'logs'));
  symlinkSync(elsewhere, path.join(out3, 'logs', 'train'));
  const viaLogs = await run(out3, 'logs', 'train');
  assert.equal(viaLogs.t.type, 'error');
  assert.deepEqual(readdirSync(elsewhere), []);
});
