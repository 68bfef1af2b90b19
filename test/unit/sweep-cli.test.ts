/**
 * `model-optimizer sweep` end to end (CLI bundle, --json) on a small MNIST subset: the
 * events, every point's files, sparsity counted in the saved files, sweep.json / sweep.md /
 * the run record, and a bad --sparsities value (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadMlpFile } from './mlp-files';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import type { EngineEvent, ModelReport, RunRecord } from '../../src/protocol/engine';
import type { SweepSummary } from '../../src/protocol/sweep';
import { freshOutDir, runCli, type CliRun } from './child-helpers';

async function cli(args: string[], cwd: string): Promise<CliRun & { events: EngineEvent[] }> {
  const r = await runCli(args, cwd);
  const events = args.includes('--json') ? r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as EngineEvent) : [];
  return { ...r, events };
}

function zerosOf(a: Float32Array): number {
  let z = 0;
  for (const v of a) {
    if (v === 0) {
      z++;
    }
  }
  return z;
}

void test('sweep --json: baseline trained first, every point pruned, exported, measured; Pareto table and record', async () => {
  const out = freshOutDir('sweep-cli');
  // Mask updates every 10 steps so 1 epoch of 85 steps reaches the final sparsity; one variant keeps it short.
  writeFileSync(path.join(out, 'sweep.json'), JSON.stringify({ prune: { schedule: { frequency: 10 } }, sweep: { tflite: ['dynamic-int8'] } }));
  const r = await cli(
    ['sweep', '--json', '--config', 'sweep.json', '--sparsities', '0.5,0.8', '--epochs', '1', '--prune-epochs', '1', '--train-limit', '6000', '--test-limit', '1000', '--backend', 'wasm', '--out', out],
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const started = r.events[0];
  assert.ok(started.type === 'jobStarted');
  assert.equal(started.job, 'sweep');
  assert.deepEqual(started.stages, ['train', 'prune', 'export'], 'no model in --out: the sweep trains its baseline first');
  assert.deepEqual(started.config.sweep.sparsities, [0.5, 0.8]);
  assert.equal(r.events.at(-1)?.type, 'done');

  const stages = r.events.flatMap((e) => (e.type === 'stageStarted' ? [`${e.stage}:${e.model}`] : []));
  assert.deepEqual(stages, ['train:mnist_model', 'export:mnist_model', 'prune:pruned_s50', 'export:pruned_s50', 'prune:pruned_s80', 'export:pruned_s80']);

  // Rows arrive as they are measured, the float32 baseline first.
  const reports = r.events.filter((e): e is Extract<EngineEvent, { type: 'report' }> => e.type === 'report');
  assert.equal(reports.length, 3, 'one report per point (baseline, 0.5, 0.8)');
  assert.equal(reports[0].rows[0].path, 'sweep/mnist_model_float32.tflite');
  assert.equal(reports[0].rows[0].variant, 'float32');
  assert.equal(reports[0].rows[0].accuracyDelta, 0);
  const rows: ModelReport[] = reports.flatMap((e) => e.rows);
  assert.deepEqual(
    rows.map((x) => [x.path, x.targetSparsity]),
    [
      ['sweep/mnist_model_float32.tflite', 0],
      ['sweep/mnist_model_quant.tflite', 0],
      ['sweep/pruned_s50_quant.tflite', 0.5],
      ['sweep/pruned_s80_quant.tflite', 0.8],
    ],
  );
  const base = rows[0].accuracy;
  assert.ok(base !== null && base > 0.8, `baseline accuracy ${base} shows learning`);
  for (const x of rows) {
    assert.ok(x.accuracy !== null && x.latencyUs !== null && x.gzipBytes > 0 && x.gzipBytes < x.bytes, x.path);
    assert.equal(x.accuracyDelta, Math.round((x.accuracy - base) * 1e6) / 1e6, x.path);
    assert.ok(existsSync(path.join(out, x.path)), x.path);
  }

  // Sparsity counted in the saved TF.js files equals each target within one weight; the int8
  // files keep every zero (quantization may only add zeros).
  for (const [s, name] of [
    [0.5, 'pruned_s50'],
    [0.8, 'pruned_s80'],
  ] as const) {
    const saved = await loadMlpFile(path.join(out, 'sweep', name, 'model.json'));
    for (const layer of saved.layers) {
      const size = layer.kernel.length;
      assert.ok(Math.abs(zerosOf(layer.kernel) / size - s) <= 1 / size, `${name} ${layer.name}: ${zerosOf(layer.kernel) / size} vs ${s}`);
      assert.equal(zerosOf(layer.bias), 0, 'biases are not pruned');
    }
    const tfl = rows.find((x) => x.model === name);
    assert.ok(tfl);
    for (const l of tfl.layers) {
      const size = saved.layers.find((x) => x.name === l.name)!.kernel.length;
      assert.ok(l.sparsity >= s - 1 / size && l.sparsity < s + 0.05, `${tfl.path} ${l.name} ${l.sparsity}`);
    }
  }

  // sweep.json: complete, rows with Pareto marks checked by brute force, a recommendation within budget.
  const summary = JSON.parse(readFileSync(path.join(out, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(summary.complete, true);
  assert.equal(summary.baselineAccuracy, base);
  assert.deepEqual(summary.rows.map((x) => x.path), rows.map((x) => x.path));
  for (const x of summary.rows) {
    const beaten = summary.rows.some((o) => o !== x && o.gzipBytes <= x.gzipBytes && o.accuracy! >= x.accuracy! && (o.gzipBytes < x.gzipBytes || o.accuracy! > x.accuracy!));
    assert.equal(x.pareto, !beaten, x.path);
  }
  const within = summary.rows.filter((x) => x.accuracy! >= base - 0.01 - 1e-9);
  const smallest = Math.min(...within.map((x) => x.gzipBytes));
  const rec = summary.rows.find((x) => x.path === summary.recommended);
  assert.ok(rec && rec.gzipBytes === smallest && rec.pareto, JSON.stringify(summary.recommended));
  const s80 = summary.rows.find((x) => x.model === 'pruned_s80')!;
  assert.ok(Math.abs(s80.measuredSparsity - 0.8) < 0.01, String(s80.measuredSparsity));
  assert.ok(s80.gzipBytes < summary.rows[1].gzipBytes, 'the 80 % pruned int8 file is smaller than the unpruned int8 file');

  const md = readFileSync(path.join(out, 'sweep', 'sweep.md'), 'utf8');
  assert.match(md, new RegExp(`\\*\\*Recommendation\\*\\*.*Deploy ${summary.recommended!.replace(/[.]/g, '\\.')}`));
  assert.equal(md.split('\n').filter((l) => l.startsWith('| ') && l.includes('sweep/')).length, 4);

  // The run record: every point's stages, the summary, and the loop jobStarted announced is the one that ran.
  const done = r.events.at(-1);
  assert.ok(done?.type === 'done');
  assert.deepEqual(Object.keys(done.testAccuracy).sort(), ['mnist_model', 'pruned_s50', 'pruned_s80']);
  const record = JSON.parse(readFileSync(path.join(out, done.recordPath), 'utf8')) as RunRecord;
  assert.equal(record.job, 'sweep');
  assert.deepEqual(record.sweep, summary);
  assert.deepEqual(
    record.stages.map((s) => `${s.stage}:${s.model}`),
    ['train:mnist_model', 'export:mnist_model', 'prune:pruned_s50', 'export:pruned_s50', 'prune:pruned_s80', 'export:pruned_s80'],
  );
  assert.deepEqual(
    record.stages.filter((s) => s.stage === 'prune').map((s) => [s.pruning?.finalTargetSparsity, s.pruning?.layers]),
    [
      [0.5, ['dense', 'dense_1']],
      [Math.fround(0.8), ['dense', 'dense_1']], // the schedule computes in float32, like tfmot
    ],
  );
  assert.deepEqual(record.report.map((x) => x.path), rows.map((x) => x.path));
  assert.equal(started.backend.trainer, record.backend.trainer);
  const loopLog = r.events.find((e) => e.type === 'log' && e.message.startsWith('training loop: '));
  assert.ok(loopLog?.type === 'log' && loopLog.message.startsWith(`training loop: ${started.backend.trainer}`), 'jobStarted named the loop that trained');
  assert.ok(!readdirSync(out, { recursive: true }).map(String).some((f) => path.basename(f).startsWith(TEMP_MARK)));
});

void test('sweep with a bad --sparsities value: exit 2, a clear message, nothing written', async () => {
  const out = freshOutDir('sweep-bad');
  const r = await cli(['sweep', '--sparsities', '0.5,80', '--out', path.join(out, 'o')], out);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^model-optimizer: --sparsities: 80 is not in \[0, 1\); a sparsity is the fraction of weights set to zero \(for 80 % write 0\.8\)\. Example: --sparsities 0\.5,0\.8,0\.9\.\n$/);
  assert.ok(!existsSync(path.join(out, 'o')));
  const r2 = await cli(['sweep', '--sparsities', 'half', '--out', path.join(out, 'o')], out);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /"half" in "half" is not a number/);
});
