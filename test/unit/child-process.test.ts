/**
 * The engine child process driven through EngineProcess (the class the extension uses):
 * event order of a real tiny training run, cancel mid-epoch, a killed child, a crashed or
 * hung child, and that the next run after a kill works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent, RunRecord, StartRequest } from '../../src/protocol/engine';
import { EngineProcess } from '../../src/extension/engineProcess';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import { buildBundles, freshOutDir, TINY_CONFIG } from './child-helpers';

const FAKE = path.join(import.meta.dirname, 'child-fake-engine.mjs');

function request(outDir: string, runId: string, job: StartRequest['job'] = 'train'): StartRequest {
  return { type: 'start', runId, job, config: TINY_CONFIG, configSource: 'test', outDir };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Event types in order, with consecutive repeats collapsed and logs/warnings dropped. */
function shape(events: EngineEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'log' || e.type === 'warning') {
      continue;
    }
    if (out[out.length - 1] !== e.type) {
      out.push(e.type);
    }
  }
  return out;
}

void test('a tiny training run: events in order, model and run record on disk, no temp files', async () => {
  const { engine } = await buildBundles();
  const outDir = freshOutDir('child-ok');
  const ep = new EngineProcess(engine);
  const events: EngineEvent[] = [];
  ep.onEvent((e) => events.push(e));
  const terminal = await ep.start(request(outDir, 'ok-run'));
  assert.equal(terminal.type, 'done', JSON.stringify(terminal));
  assert.deepEqual(shape(events), ['ready', 'jobStarted', 'stageStarted', 'batchProgress', 'epochEnd', 'artifactWritten', 'done']);
  assert.equal(events.filter((e) => e.type === 'done').length, 1, 'exactly one terminal event');
  assert.equal(events[events.length - 1].type, 'done', 'nothing after the terminal event');

  const started = events.find((e) => e.type === 'jobStarted');
  assert.ok(started?.type === 'jobStarted');
  assert.deepEqual(started.dataset, {
    name: 'mnist',
    train: 2700,
    validation: 300,
    test: 1000,
    shape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    normalization: { kind: 'scale', mean: [0], std: [255] },
    dtype: 'uint8',
    exportedInput: 'normalised values: x / 255 (data.normalize "scale"), applied before calling the model',
  });
  assert.equal(started.backend.tfjs, 'wasm');
  assert.equal(started.config.train.epochs, 1);

  const artifacts = events.filter((e) => e.type === 'artifactWritten');
  assert.ok(artifacts.some((a) => a.path === 'mnist_model/model.json' && a.kind === 'tfjs' && a.bytes > 0), JSON.stringify(artifacts));
  assert.ok(artifacts.some((a) => a.path === 'runs/ok-run.json' && a.kind === 'run-record'));
  assert.ok(existsSync(path.join(outDir, 'mnist_model', 'model.json')));
  assert.deepEqual(filesUnder(outDir).filter((f) => path.basename(f).startsWith(TEMP_MARK)), []);

  // The run record: complete, consistent with the events.
  const record = JSON.parse(readFileSync(path.join(outDir, 'runs', 'ok-run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'done');
  assert.equal(record.job, 'train');
  assert.equal(record.backend.tfjs, 'wasm');
  assert.equal(record.stages.length, 1);
  assert.equal(record.stages[0].epochs.length, 1);
  const epochEnd = events.find((e) => e.type === 'epochEnd');
  assert.ok(epochEnd?.type === 'epochEnd');
  assert.equal(record.stages[0].epochs[0].valAccuracy, epochEnd.metrics.valAccuracy);
  // 43 Adam steps on 2700 images reach ~0.8 on held-out data; chance is 0.1 and an untrained
  // network stays near it, so > 0.6 means the child really trained.
  assert.ok(epochEnd.metrics.valAccuracy > 0.6, `val accuracy ${epochEnd.metrics.valAccuracy}`);
  assert.ok(terminal.type === 'done' && terminal.testAccuracy.mnist_model > 0.6, JSON.stringify(terminal));
  assert.equal(record.stages[0].testAccuracy, terminal.testAccuracy.mnist_model);
  assert.ok(record.artifacts.some((a) => a.path === 'mnist_model/model.json'));
  assert.ok(record.timings.total > 0 && record.timings.train > 0, JSON.stringify(record.timings));
  assert.ok(record.host.cores >= 1 && record.host.cpu.length > 0);
  assert.equal(ep.running, false);
});

void test('cancel mid-epoch: cancelled, no model.json, no temp files, record says cancelled', async () => {
  const { engine } = await buildBundles();
  const outDir = freshOutDir('child-cancel');
  const ep = new EngineProcess(engine);
  const events: EngineEvent[] = [];
  ep.onEvent((e) => {
    events.push(e);
    if (e.type === 'batchProgress' && e.batch < e.batches && events.filter((x) => x.type === 'batchProgress').length === 1) {
      ep.cancel();
    }
  });
  // All 54 000 training images and 3 epochs: the run cannot finish before the cancel lands,
  // even on a loaded machine.
  const req = request(outDir, 'cancel-run');
  req.config = { ...TINY_CONFIG, data: { trainLimit: 0, testLimit: 1000 }, train: { epochs: 3 } };
  const terminal = await ep.start(req);
  assert.equal(terminal.type, 'cancelled', JSON.stringify(terminal));
  assert.equal(events[events.length - 1].type, 'cancelled');
  const progress = events.filter((e) => e.type === 'batchProgress');
  const lastProgress = progress[progress.length - 1];
  assert.ok(lastProgress.type === 'batchProgress' && lastProgress.batch < lastProgress.batches, 'stopped inside an epoch');
  assert.ok(events.filter((e) => e.type === 'epochEnd').length < 3);
  assert.ok(!events.some((e) => e.type === 'artifactWritten' && e.kind === 'tfjs'));
  const files = filesUnder(outDir);
  assert.ok(!files.some((f) => f.endsWith('model.json')), files.join(', '));
  assert.ok(!files.some((f) => path.basename(f).startsWith(TEMP_MARK)), files.join(', '));
  const record = JSON.parse(readFileSync(path.join(outDir, 'runs', 'cancel-run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'cancelled');
  assert.deepEqual(record.artifacts, []);
});

void test('a child killed with SIGKILL is reported as failed, and the next run works', async () => {
  const { engine } = await buildBundles();
  const outDir = freshOutDir('child-kill');
  const ep = new EngineProcess(engine);
  const events: EngineEvent[] = [];
  let killed = false;
  ep.onEvent((e) => {
    events.push(e);
    if (e.type === 'batchProgress' && ep.pid !== undefined && !killed) {
      killed = true;
      process.kill(ep.pid, 'SIGKILL');
    }
  });
  const req = request(outDir, 'killed-run');
  req.config = { ...TINY_CONFIG, data: { trainLimit: 0, testLimit: 1000 }, train: { epochs: 3 } };
  const terminal = await ep.start(req);
  assert.equal(terminal.type, 'error');
  assert.ok(terminal.type === 'error' && terminal.code === 'internal' && /SIGKILL/.test(terminal.message), JSON.stringify(terminal));
  assert.equal(events.filter((e) => e.type === 'error').length, 1);
  assert.equal(ep.running, false);

  // Same instance, same output folder: a new child, a clean run.
  events.length = 0;
  const next = await ep.start(request(outDir, 'after-kill'));
  assert.equal(next.type, 'done', JSON.stringify(next));
  assert.ok(existsSync(path.join(outDir, 'runs', 'after-kill.json')));
  assert.ok(!filesUnder(outDir).some((f) => path.basename(f).startsWith(TEMP_MARK)));
});

void test('bad config through the child: error bad-input with where, nothing written', async () => {
  const { engine } = await buildBundles();
  const outDir = path.join(freshOutDir('child-bad'), 'not-created');
  const ep = new EngineProcess(engine);
  const terminal = await ep.start({ ...request(outDir, 'bad-run'), config: { train: { epochs: 0 } }, configSource: 'model-optimizer.json' });
  assert.equal(terminal.type, 'error');
  assert.ok(terminal.type === 'error' && terminal.code === 'bad-input' && terminal.where === 'model-optimizer.json: train.epochs', JSON.stringify(terminal));
  assert.equal(existsSync(outDir), false);
});

void test('a child that crashes without a terminal event → error with exit code and stderr', async () => {
  const ep = new EngineProcess(FAKE, { env: { ...process.env, FAKE_ENGINE_MODE: 'crash' } });
  const events: EngineEvent[] = [];
  ep.onEvent((e) => events.push(e));
  const terminal = await ep.start(request('/tmp/unused', 'crash-run'));
  assert.equal(terminal.type, 'error');
  assert.ok(terminal.type === 'error' && terminal.code === 'internal');
  assert.match(terminal.message, /exited with code 3/);
  assert.match(terminal.message, /simulated fatal error/);
  assert.deepEqual(events.map((e) => e.type), ['ready', 'error']);
});

void test('a child that ignores cancel is killed after the timeout and the run ends cancelled', async () => {
  const ep = new EngineProcess(FAKE, { env: { ...process.env, FAKE_ENGINE_MODE: 'hang' }, killTimeoutMs: 300 });
  let sawReady = false;
  ep.onEvent((e) => {
    if (e.type === 'ready') {
      sawReady = true;
      setTimeout(() => ep.cancel(), 50);
    }
  });
  const t0 = Date.now();
  const terminal = await ep.start(request('/tmp/unused', 'hang-run'));
  assert.ok(sawReady);
  assert.equal(terminal.type, 'cancelled');
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(ep.running, false);
});

void test('one run at a time; dispose kills a running child', async () => {
  const ep = new EngineProcess(FAKE, { env: { ...process.env, FAKE_ENGINE_MODE: 'hang' }, disposeGraceMs: 200 });
  const first = ep.start(request('/tmp/unused', 'r1'));
  await assert.rejects(ep.start(request('/tmp/unused', 'r2')), /already active/);
  await new Promise((r) => setTimeout(r, 200));
  ep.dispose();
  assert.equal((await first).type, 'cancelled');
  await assert.rejects(ep.start(request('/tmp/unused', 'r3')), /disposed/);

  const ok = new EngineProcess(FAKE, { env: { ...process.env, FAKE_ENGINE_MODE: 'done' } });
  assert.equal((await ok.start(request('/tmp/unused', 'r4'))).type, 'done');
});

void test('dispose mid-run (window closing): the child stops at a batch boundary and records the run as cancelled', async () => {
  const { engine } = await buildBundles();
  const outDir = freshOutDir('child-dispose');
  const ep = new EngineProcess(engine);
  let disposed = false;
  ep.onEvent((e) => {
    if (e.type === 'batchProgress' && !disposed) {
      disposed = true;
      ep.dispose();
    }
  });
  const req = request(outDir, 'dispose-run');
  req.config = { ...TINY_CONFIG, data: { trainLimit: 0, testLimit: 1000 }, train: { epochs: 3 } };
  const terminal = await ep.start(req);
  assert.equal(terminal.type, 'cancelled');
  const record = JSON.parse(readFileSync(path.join(outDir, 'runs', 'dispose-run.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'cancelled');
  assert.ok(!filesUnder(outDir).some((f) => f.endsWith('model.json') || path.basename(f).startsWith(TEMP_MARK)));
});
