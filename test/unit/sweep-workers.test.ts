/**
 * Sweep points in worker processes (issue 15): how many workers (cores ÷ threads per worker,
 * lowered for memory), and the real thing through runJob with the engine bundle as the worker:
 * the same files, rows and event sequence as one point after another in the engine's process;
 * a cancel stops every worker; a worker killed from outside fails its point with the reason
 * while the other points keep their results.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { planSweepWorkers, threadsPerWorker } from '../../src/engine/jobs/sweepWorkers';
import { pointConfig, sparsityPoints } from '../../src/engine/jobs/sweepPoints';
import { resolveConfig } from '../../src/engine/config';
import { loadData } from '../../src/engine/data/load';
import { runJob } from '../../src/engine/run';
import { createTrainer } from '../../src/engine/train/createTrainer';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import type { PartialRunConfig, PruningSchedule } from '../../src/protocol/config';
import type { EngineEvent, RunRecord, StartRequest } from '../../src/protocol/engine';
import type { SweepSummary } from '../../src/protocol/sweep';
import { buildBundles, freshOutDir } from './child-helpers';

const MiB = 1024 * 1024;

void test('planSweepWorkers: auto = ⌊cores ÷ threads per worker⌋, never more than the points, lowered when memory is short', () => {
  const base = { requested: 'auto' as const, cores: 8, threadsPerWorker: 1, points: 4, perWorkerBytes: 300 * MiB, parentBytes: 200 * MiB, limitBytes: 64 * 1024 * MiB, freeBytes: 64 * 1024 * MiB };
  assert.deepEqual(planSweepWorkers(base), { workers: 4, auto: 8, notes: [] }, '8 cores, 4 points: 4 workers');
  assert.deepEqual(planSweepWorkers({ ...base, points: 10, threadsPerWorker: 2 }), { workers: 4, auto: 4, notes: [] }, '8 cores ÷ 2 threads');
  assert.deepEqual(planSweepWorkers({ ...base, cores: 3, threadsPerWorker: 2 }), { workers: 1, auto: 1, notes: [] }, '⌊3 ÷ 2⌋ = 1');
  assert.deepEqual(planSweepWorkers({ ...base, cores: 1 }), { workers: 1, auto: 1, notes: [] });
  assert.deepEqual(planSweepWorkers({ ...base, requested: 1 }), { workers: 1, auto: 8, notes: [] });

  const over = planSweepWorkers({ ...base, cores: 2, requested: 3 });
  assert.equal(over.workers, 3, 'an explicit count is honoured');
  assert.match(over.notes[0], /sweep\.workers 3 is more than this machine runs side by side \(2 core\(s\), 1 thread\(s\) per worker: "auto" would be 2\)/);

  // Budget = min(1 GiB limit − 200 MiB held, free) = 824 MiB → ⌊824 / 300⌋ = 2 workers of 300 MiB.
  const mem = planSweepWorkers({ ...base, limitBytes: 1024 * MiB });
  assert.equal(mem.workers, 2);
  assert.match(mem.notes[0], /Running 2 sweep workers instead of 4: each worker needs about 300 MiB .* and 824 MiB is available \(limit 1\.0 GiB minus 200 MiB this process holds/);
  // Free memory is the tighter bound: 500 MiB → 1 worker, the points one after another.
  const free = planSweepWorkers({ ...base, freeBytes: 500 * MiB });
  assert.equal(free.workers, 1);
  assert.match(free.notes[0], /^Running the points one after another: .* 500 MiB is available/);
  // One worker never needs the check (it is the engine's own process, checked before the run).
  assert.deepEqual(planSweepWorkers({ ...base, requested: 1, freeBytes: 0 }).notes, []);
});

void test('threadsPerWorker: 1 on wasm, the kernel\'s threads for the SIMD kernel, every core for native TensorFlow', () => {
  assert.equal(threadsPerWorker({ tfjs: 'wasm', trainer: 'tfjs-graph', requested: 'auto' }, 8), 1);
  assert.equal(threadsPerWorker({ tfjs: 'tensorflow', trainer: 'tfjs', requested: 'auto' }, 8), 8);
  const saved = process.env.MODEL_OPTIMIZER_KERNEL_THREADS;
  try {
    delete process.env.MODEL_OPTIMIZER_KERNEL_THREADS;
    assert.equal(threadsPerWorker({ tfjs: 'wasm', trainer: 'simd-kernel', requested: 'auto' }, 8), 1);
  } finally {
    if (saved !== undefined) {
      process.env.MODEL_OPTIMIZER_KERNEL_THREADS = saved;
    }
  }
});

void test('a sweep point is a config overlay: only its prune fields change', () => {
  const cfg = resolveConfig({ sweep: { sparsities: [0.5, 0.8], layers: ['dense'], epochs: 2 }, prune: { epochs: 3 } });
  const points = sparsityPoints(cfg);
  assert.deepEqual(points.map((p) => [p.index, p.name, p.targetSparsity]), [[0, 'pruned_s50', 0.5], [1, 'pruned_s80', 0.8]]);
  const c = pointConfig(cfg, points[1]);
  assert.equal(c.prune.epochs, 2);
  assert.deepEqual(c.prune.layers, ['dense']);
  assert.equal(c.prune.schedule.kind === 'polynomial_decay' && c.prune.schedule.finalSparsity, 0.8);
  assert.deepEqual({ ...c, prune: cfg.prune }, cfg, 'every other section is the run\'s');
  assert.equal(cfg.prune.epochs, 3, 'the run\'s config is not modified');
});

// ---- the real thing ------------------------------------------------------------------------

const CONFIG: PartialRunConfig = {
  data: { trainLimit: 3000, testLimit: 500 },
  train: { epochs: 1 },
  prune: { epochs: 1, schedule: { frequency: 10 } as unknown as PruningSchedule },
  sweep: { sparsities: [0.5, 0.8, 0.9], tflite: ['dynamic-int8'] },
  backend: 'wasm',
};

let engine = '';
let baseline = '';

before(async () => {
  engine = (await buildBundles()).engine;
  const out = freshOutDir('sweepw-base');
  const t = await runJob({ type: 'start', runId: 'base', job: 'train', config: CONFIG, configSource: 'test', outDir: out }, () => undefined, new AbortController().signal);
  assert.equal(t.type, 'done', JSON.stringify(t));
  baseline = path.join(out, 'mnist_model', 'model.json');
});

function start(outDir: string, runId: string, config: PartialRunConfig): StartRequest {
  return { type: 'start', runId, job: 'sweep', config, configSource: 'test', outDir, inputModel: baseline };
}

async function sweep(tag: string, workers: number, config: PartialRunConfig = CONFIG, onEvent?: (e: EngineEvent, ac: AbortController) => void, inputModel = baseline) {
  const out = freshOutDir(tag);
  const events: EngineEvent[] = [];
  const ac = new AbortController();
  const terminal = await runJob(
    { ...start(out, tag, { ...config, sweep: { ...config.sweep, workers } }), inputModel },
    (e) => {
      events.push(e);
      onEvent?.(e, ac);
    },
    ac.signal,
    { loadData, createTrainer, sweepWorkerScript: engine },
  );
  return { out, events, terminal, runDir: path.join(out, 'runs', tag) };
}

/**
 * sha256 of every file below dir: the models and TFLite files. TensorBoard event files (named by
 * time and pid) and the sweep tables (they hold measured latencies) are compared separately.
 */
function fileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const abs = path.join(dir, f);
    if (statSync(abs).isFile() && !f.includes('tfevents') && !/sweep\.(json|md)$/.test(f)) {
      out[f.split(path.sep).join('/')] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
  }
  return out;
}

/** The events a panel draws from, without times, logs and per-batch progress. */
function shape(events: EngineEvent[]): unknown[] {
  return events
    .filter((e) => e.type !== 'log' && e.type !== 'batchProgress' && e.type !== 'ready')
    .map((e) => {
      switch (e.type) {
        case 'epochEnd':
          return [e.type, e.model, e.point, e.epoch, e.step, e.metrics, e.sparsity];
        case 'artifactWritten':
          // Sizes of the TensorBoard logs, the record and the sweep tables vary with the times and latencies they hold.
          return [e.type, e.model, e.path.includes('tfevents') ? 'tfevents' : e.path.startsWith('runs/') ? 'record' : e.path, e.path.includes('tfevents') || e.kind === 'run-record' || e.kind === 'report' ? 0 : e.bytes];
        case 'report':
          return [e.type, e.rows.map((r) => [r.path, r.accuracy, r.nonzeros, r.bytes, r.accuracyDelta, r.targetSparsity])];
        case 'pruningStep':
          return [e.type, e.point, e.step, e.targetSparsity, e.layers];
        case 'jobStarted':
          return [e.type, e.stages];
        case 'done':
          return [e.type, e.testAccuracy];
        default:
          return [e.type, 'stage' in e ? e.stage : null, 'model' in e ? e.model : null, 'point' in e ? e.point : null];
      }
    });
}

function workerPids(events: EngineEvent[]): number[] {
  const pids = events.flatMap((e) => (e.type === 'log' ? [/^sweep worker \d+ \(pid (\d+)\): pruned_s\d+$/.exec(e.message)?.[1]] : [])).filter((x): x is string => x !== undefined);
  return [...new Set(pids.map(Number))];
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => path.basename(f).startsWith(TEMP_MARK));
}

void test('2 workers give the same files (byte for byte), rows, zero counts, records and event sequence as 1', async () => {
  const one = await sweep('sweepw-1', 1);
  const two = await sweep('sweepw-2', 2);
  assert.equal(one.terminal.type, 'done', JSON.stringify(one.terminal));
  assert.equal(two.terminal.type, 'done', JSON.stringify(two.terminal));
  assert.equal(workerPids(one.events).length, 0, 'workers 1: every point in the engine\'s process');
  const pids = workerPids(two.events);
  assert.equal(pids.length, 2, `workers 2: two worker processes ran the points (${pids.join(', ')})`);
  assert.ok(!pids.includes(process.pid));
  assert.ok(two.events.some((e) => e.type === 'log' && /^sweep: 3 points in 2 worker processes/.test(e.message)));

  assert.deepEqual(fileHashes(two.runDir), fileHashes(one.runDir), 'every file of the run folder identical');
  const s1 = JSON.parse(readFileSync(path.join(one.runDir, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  const s2 = JSON.parse(readFileSync(path.join(two.runDir, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(s2.complete, true);
  const noLatency = (x: SweepSummary) => JSON.stringify({ ...x, rows: x.rows.map((r) => ({ ...r, latencyUs: null })) });
  assert.equal(noLatency(s2), noLatency(s1), 'the same table but for measured latencies');
  assert.ok(Object.keys(fileHashes(two.runDir)).filter((f) => f.endsWith('.tflite')).length === 5);
  assert.deepEqual(s2.rows.map((r) => r.path), ['sweep/mnist_model_float32.tflite', 'sweep/mnist_model_quant.tflite', 'sweep/pruned_s50_quant.tflite', 'sweep/pruned_s80_quant.tflite', 'sweep/pruned_s90_quant.tflite']);
  // The zero counts follow the targets: ≈ 50 / 80 / 90 % of the 101 632 kernel weights are zero.
  const kernels = 784 * 128 + 128 * 10;
  const biases = 128 + 10;
  for (const [i, target] of [0.5, 0.8, 0.9].entries()) {
    const zeros = kernels + biases - s2.rows[2 + i].nonzeros;
    assert.ok(Math.abs(zeros / kernels - target) < 0.01, `${s2.rows[2 + i].path}: ${zeros} zeros of ${kernels} kernel weights (target ${target})`);
  }

  assert.deepEqual(shape(two.events), shape(one.events), 'the same events in the same order');
  for (const e of two.events) {
    if ((e.type === 'epochEnd' || e.type === 'batchProgress' || e.type === 'pruningStep') && !('point' in e && e.point)) {
      assert.fail(`a point's progress event without its point: ${JSON.stringify(e).slice(0, 200)}`);
    }
  }
  const r1 = JSON.parse(readFileSync(path.join(one.out, 'runs', 'sweepw-1.json'), 'utf8')) as RunRecord;
  const r2 = JSON.parse(readFileSync(path.join(two.out, 'runs', 'sweepw-2.json'), 'utf8')) as RunRecord;
  const stages = (r: RunRecord) => r.stages.map((s) => [s.stage, s.model, s.testAccuracy, s.epochs.map((e) => [e.loss, e.valAccuracy, e.sparsity]), s.pruning?.maskUpdates]);
  assert.deepEqual(stages(r2), stages(r1));
  assert.deepEqual(r2.artifacts.map((a) => a.path.replace(/tfevents.*/, 'tfevents')), r1.artifacts.map((a) => a.path.replace(/tfevents.*/, 'tfevents')));
  assert.deepEqual(r2.sweep?.rows.map((r) => r.accuracy), r1.sweep?.rows.map((r) => r.accuracy));
  assert.ok(r2.timings.prune > 0 && r2.timings.evaluate > 0, 'the workers\' timings reach the record');
  // Published like a sequential sweep.
  assert.deepEqual(fileHashes(path.join(two.out, 'sweep')), fileHashes(path.join(one.out, 'sweep')));
});

void test('a CNN with Dropout (GraphTrainer, seeded masks) gives the same files and rows with 2 workers as with 1', async () => {
  const cnn: PartialRunConfig = {
    ...CONFIG,
    data: { trainLimit: 1500, testLimit: 300 },
    model: { input: [28, 28, 1], layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 10, activation: 'softmax' }] },
    sweep: { sparsities: [0.5, 0.8], tflite: ['full-int8'] },
  };
  const out = freshOutDir('sweepw-cnnbase');
  const t = await runJob({ type: 'start', runId: 'cnn', job: 'train', config: cnn, configSource: 'test', outDir: out }, () => undefined, new AbortController().signal);
  assert.equal(t.type, 'done', JSON.stringify(t));
  const model = path.join(out, 'mnist_model', 'model.json');
  const one = await sweep('sweepw-cnn1', 1, cnn, undefined, model);
  const two = await sweep('sweepw-cnn2', 2, cnn, undefined, model);
  assert.equal(two.terminal.type, 'done', JSON.stringify(two.terminal));
  assert.equal(workerPids(two.events).length, 2);
  assert.ok(two.events.some((e) => e.type === 'jobStarted' && e.backend.trainer === 'tfjs-graph'));
  const h = fileHashes(two.runDir);
  assert.deepEqual(Object.keys(h).filter((f) => f.endsWith('.tflite')), ['sweep/mnist_model_float32.tflite', 'sweep/mnist_model_full_int8.tflite', 'sweep/pruned_s50_full_int8.tflite', 'sweep/pruned_s80_full_int8.tflite']);
  assert.deepEqual(h, fileHashes(one.runDir));
  assert.deepEqual(shape(two.events), shape(one.events));
});

void test('cancel stops every worker at once: no worker left, no point finished after it, no temp file, record cancelled', async () => {
  const long: PartialRunConfig = { ...CONFIG, sweep: { ...CONFIG.sweep, epochs: 200 } };
  let seen = 0;
  let cancelledAt = -1;
  const r = await sweep('sweepw-cancel', 2, long, (e, ac) => {
    seen++;
    // Both workers are busy once the second point has been handed out.
    if (e.type === 'log' && /^sweep worker \d+ \(pid \d+\): pruned_s80$/.test(e.message) && !ac.signal.aborted) {
      cancelledAt = seen;
      ac.abort();
    }
  });
  assert.ok(cancelledAt > 0, 'the second point was handed out');
  // Each worker stops at its next batch boundary: at most the epoch it was in ends after the cancel.
  const after = r.events.slice(cancelledAt).filter((e) => e.type === 'epochEnd');
  assert.ok(after.length <= 2, `${after.length} epochs ended after the cancel`);
  assert.equal(r.terminal.type, 'cancelled', JSON.stringify(r.terminal));
  const pids = workerPids(r.events);
  assert.equal(pids.length, 2);
  for (const pid of pids) {
    assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone when the run ends`);
  }
  const epochs = r.events.filter((e) => e.type === 'epochEnd');
  assert.ok(epochs.length < 200, `the 200-epoch points stopped early (${epochs.length} epochs ended)`);
  assert.ok(!r.events.some((e) => e.type === 'stageStarted' && e.model === 'pruned_s90'), 'no point started after the cancel');
  assert.deepEqual(tempFiles(r.out), []);
  const record = JSON.parse(readFileSync(path.join(r.out, 'runs', 'sweepw-cancel.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'cancelled');
  assert.equal(record.sweep?.complete, false);
});

void test('a worker killed from outside fails its point with the reason; the other points keep their files and rows', async () => {
  const long: PartialRunConfig = { ...CONFIG, sweep: { ...CONFIG.sweep, epochs: 3 } };
  let killed = 0;
  const r = await sweep('sweepw-crash', 2, long, (e) => {
    const m = e.type === 'log' ? /^sweep worker \d+ \(pid (\d+)\): pruned_s80$/.exec(e.message) : null;
    if (m && !killed) {
      killed = Number(m[1]);
      process.kill(killed, 'SIGKILL');
    }
  });
  assert.ok(killed > 0);
  assert.equal(r.terminal.type, 'error', JSON.stringify(r.terminal));
  assert.ok(r.terminal.type === 'error');
  assert.equal(r.terminal.code, 'internal');
  assert.match(r.terminal.message, /^1 of 3 sweep points failed \(pruned_s80: The sweep worker running pruned_s80 \(pid \d+\) was killed by SIGKILL \(out of memory\?\) before the point finished.*\)\. The other points' files and rows are in sweep\/sweep\.md of the run folder\.$/);
  assert.ok(r.events.some((e) => e.type === 'warning' && e.code === 'sweep-point-failed' && /pruned_s80/.test(e.message)));
  const s = JSON.parse(readFileSync(path.join(r.runDir, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(s.complete, false);
  assert.deepEqual(s.rows.map((x) => x.path), ['sweep/mnist_model_float32.tflite', 'sweep/mnist_model_quant.tflite', 'sweep/pruned_s50_quant.tflite', 'sweep/pruned_s90_quant.tflite']);
  for (const x of s.rows) {
    assert.ok(statSync(path.join(r.runDir, ...x.path.split('/'))).size === x.bytes, `${x.path} on disk`);
  }
  const record = JSON.parse(readFileSync(path.join(r.out, 'runs', 'sweepw-crash.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'failed');
  assert.ok(record.artifacts.some((a) => a.path === 'sweep/pruned_s90_quant.tflite'), 'the later point is in the record');
  assert.deepEqual(tempFiles(r.out), []);
});

void test('too little memory for 2 workers: one after another in the engine, with a warning saying why', async () => {
  const r = await sweep('sweepw-mem', 2, { ...CONFIG, train: { ...CONFIG.train, memoryLimitMB: 1 }, sweep: { ...CONFIG.sweep, sparsities: [0.5, 0.8] } });
  assert.equal(r.terminal.type, 'done', JSON.stringify(r.terminal));
  const w = r.events.find((e) => e.type === 'warning' && e.code === 'sweep-workers');
  assert.ok(w?.type === 'warning');
  assert.match(w.message, /^Running the points one after another: each worker needs about \d+ MiB .*\(limit 1\.0 MiB minus \d+ MiB this process holds/);
  assert.deepEqual(workerPids(r.events), []);
});
