/**
 * The sweep in-process (runJob): a cancel inside a point keeps the finished points' table and
 * leaves no partial file; a second sweep reuses the baseline in --out instead of training.
 * And chooseTrainer: the loop jobStarted announces is the one createTrainer builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { kernelUnavailableReason } from '../../src/engine/kernel/kernelTrainer';
import { initMlp } from '../../src/engine/model/init';
import { runJob } from '../../src/engine/run';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { chooseTrainer, createTrainer } from '../../src/engine/train/createTrainer';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { ModelConfig, PartialRunConfig, PruningSchedule } from '../../src/protocol/config';
import type { EngineEvent, RunRecord, StartRequest } from '../../src/protocol/engine';
import type { SweepSummary } from '../../src/protocol/sweep';
import { freshOutDir } from './child-helpers';

const CONFIG: PartialRunConfig = {
  data: { trainLimit: 3000, testLimit: 500 },
  train: { epochs: 1 },
  // Mask updates every 10 steps, so one short epoch reaches each point's sparsity (merged over the default schedule).
  prune: { epochs: 1, schedule: { frequency: 10 } as unknown as PruningSchedule },
  sweep: { sparsities: [0.5, 0.8], tflite: ['dynamic-int8'] },
  backend: 'wasm',
};

function start(outDir: string, runId: string, config: PartialRunConfig = CONFIG): StartRequest {
  return { type: 'start', runId, job: 'sweep', config, configSource: 'test', outDir };
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => path.basename(f).startsWith(TEMP_MARK));
}

void test('cancel inside the second point: cancelled, the first point kept in its run folder\'s sweep.json (incomplete), nothing published, no partial files; the next sweep reuses the baseline', async () => {
  const out = freshOutDir('sweep-cancel');
  const trained = await runJob({ ...start(out, 'c0'), job: 'train' }, () => undefined, new AbortController().signal);
  assert.equal(trained.type, 'done', JSON.stringify(trained));
  const ac = new AbortController();
  const events: EngineEvent[] = [];
  const terminal = await runJob(
    start(out, 'c1'),
    (e) => {
      events.push(e);
      if (e.type === 'stageStarted' && e.stage === 'prune' && e.model === 'pruned_s80') {
        ac.abort();
      }
    },
    ac.signal,
  );
  assert.equal(terminal.type, 'cancelled');
  assert.equal(events.filter((e) => e.type === 'epochEnd' && e.model === 'pruned_s80').length, 0, 'the cancel landed inside the point, before its epoch ended');
  assert.ok(!existsSync(path.join(out, 'runs', 'c1', 'sweep', 'pruned_s80')), 'no model of the cancelled point');
  assert.ok(!existsSync(path.join(out, 'runs', 'c1', 'sweep', 'pruned_s80_quant.tflite')));
  assert.ok(!existsSync(path.join(out, 'sweep')), 'a cancelled run publishes nothing to the top');
  assert.deepEqual(tempFiles(out), []);
  const partial = JSON.parse(readFileSync(path.join(out, 'runs', 'c1', 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(partial.complete, false);
  assert.deepEqual(
    partial.rows.map((r) => r.path),
    ['sweep/mnist_model_float32.tflite', 'sweep/mnist_model_quant.tflite', 'sweep/pruned_s50_quant.tflite'],
  );
  assert.match(readFileSync(path.join(out, 'runs', 'c1', 'sweep', 'sweep.md'), 'utf8'), /\*\*Incomplete\*\*/);
  const record = JSON.parse(readFileSync(path.join(out, 'runs', 'c1.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'cancelled');
  assert.deepEqual(record.sweep, partial);

  // Again with one point: the trained baseline in --out is the input, nothing is trained.
  const events2: EngineEvent[] = [];
  const t2 = await runJob(start(out, 'c2', { ...CONFIG, sweep: { sparsities: [0.8], tflite: ['dynamic-int8'] } }), (e) => events2.push(e), new AbortController().signal);
  assert.equal(t2.type, 'done', JSON.stringify(t2));
  const started = events2.find((e) => e.type === 'jobStarted');
  assert.ok(started?.type === 'jobStarted');
  assert.deepEqual(started.stages, ['prune', 'export']);
  assert.ok(events2.some((e) => e.type === 'log' && e.message === 'sweep baseline: mnist_model/model.json (mnist_model)'));
  assert.ok(!events2.some((e) => e.type === 'stageStarted' && e.stage === 'train'));
  const full = JSON.parse(readFileSync(path.join(out, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(full.complete, true);
  assert.deepEqual(
    full.rows.map((r) => [r.path, r.targetSparsity]),
    [
      ['sweep/mnist_model_float32.tflite', 0],
      ['sweep/mnist_model_quant.tflite', 0],
      ['sweep/pruned_s80_quant.tflite', 0.8],
    ],
  );
  // The same baseline file on the same test images: the same accuracy as in the first run.
  assert.equal(full.baselineAccuracy, partial.baselineAccuracy);
  assert.deepEqual(tempFiles(out), []);
});

void test('chooseTrainer decides the loop from backend + model config, and createTrainer builds that loop', async () => {
  const wasm = await initBackend('wasm');
  const kernel = kernelUnavailableReason() === '';
  if (!kernel) {
    console.log(`# SIMD kernel not built here (${kernelUnavailableReason()}): every choice must be tfjs`);
  }
  const configs: [ModelConfig, 'simd-kernel' | 'tfjs'][] = [
    [DEFAULT_CONFIG.model, kernel ? 'simd-kernel' : 'tfjs'],
    [{ ...DEFAULT_CONFIG.model, hidden: [64, 32] }, kernel ? 'simd-kernel' : 'tfjs'],
    [{ ...DEFAULT_CONFIG.model, hidden: [] }, kernel ? 'simd-kernel' : 'tfjs'],
    [{ ...DEFAULT_CONFIG.model, hiddenActivation: 'linear' }, 'tfjs'],
    [{ ...DEFAULT_CONFIG.model, outputActivation: 'linear' }, 'tfjs'],
  ];
  for (const [cfg, expected] of configs) {
    assert.equal(chooseTrainer(wasm, cfg), expected, JSON.stringify(cfg));
    const t = await createTrainer(mlpToGraph(initMlp(cfg, 784, 10, 1, 'm')), 1e-3, { ...wasm }, 1);
    assert.equal(t.name, expected, `createTrainer follows chooseTrainer for ${JSON.stringify(cfg)}`);
    t.dispose();
  }
  assert.equal(chooseTrainer({ tfjs: 'cpu' }, DEFAULT_CONFIG.model), 'tfjs');
  assert.equal(chooseTrainer({ tfjs: 'tensorflow' }, DEFAULT_CONFIG.model), 'tfjs');

  // jobStarted already names the loop that then trains (before, it always said 'tfjs').
  const out = freshOutDir('sweep-trainer');
  const events: EngineEvent[] = [];
  const t = await runJob(
    { type: 'start', runId: 't1', job: 'train', config: { data: { trainLimit: 600, testLimit: 100 }, train: { epochs: 1 }, backend: 'wasm' }, outDir: out },
    // A copy as sent: in-process the engine later updates the same BackendInfo object.
    (e) => events.push(structuredClone(e)),
    new AbortController().signal,
  );
  assert.equal(t.type, 'done');
  const started = events.find((e) => e.type === 'jobStarted');
  assert.ok(started?.type === 'jobStarted');
  assert.equal(started.backend.trainer, kernel ? 'simd-kernel' : 'tfjs');
  const record = JSON.parse(readFileSync(path.join(out, 'runs', 't1.json'), 'utf8')) as RunRecord;
  assert.equal(record.backend.trainer, started.backend.trainer);
});
