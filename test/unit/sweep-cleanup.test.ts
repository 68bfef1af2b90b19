/**
 * A completed sweep removes the files of earlier sweeps' points it did not run (and only those,
 * only in <out>/sweep/); a cancelled sweep removes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { sweepPointOf } from '../../src/engine/jobs/sweep';
import { runJob } from '../../src/engine/run';
import type { PartialRunConfig, PruningSchedule } from '../../src/protocol/config';
import type { EngineEvent, StartRequest } from '../../src/protocol/engine';
import type { SweepSummary } from '../../src/protocol/sweep';
import { freshOutDir } from './child-helpers';

const CONFIG: PartialRunConfig = {
  data: { trainLimit: 3000, testLimit: 500 },
  train: { epochs: 1 },
  prune: { epochs: 1, schedule: { frequency: 10 } as unknown as PruningSchedule },
  backend: 'wasm',
};

function start(outDir: string, runId: string, sparsities: number[]): StartRequest {
  return { type: 'start', runId, job: 'sweep', config: { ...CONFIG, sweep: { sparsities, tflite: ['dynamic-int8'] } }, configSource: 'test', outDir };
}

const S75 = ['pruned_s75/model.json', 'pruned_s75/group1-shard1of1.bin', 'pruned_s75_quant.tflite'];
const S50 = ['pruned_s50/model.json', 'pruned_s50/group1-shard1of1.bin', 'pruned_s50_quant.tflite'];
// Names near the pattern but not a point's own file: they must survive every sweep.
const DECOYS = ['notes.txt', 'pruned_s75.tflite', 'pruned_s75_notes.txt', 'my_pruned_s75_quant.tflite', 'pruned_s75_quant.tflite.bak', 'pruned_s75x'];

function present(out: string, files: string[]): string[] {
  return files.filter((f) => existsSync(path.join(out, 'sweep', ...f.split('/'))));
}

void test('sweepPointOf: a point folder or a TFLite variant of it, nothing else', () => {
  assert.equal(sweepPointOf('pruned_s75', true), 'pruned_s75');
  assert.equal(sweepPointOf('pruned_s87_5', true), 'pruned_s87_5');
  assert.equal(sweepPointOf('pruned_s75_quant.tflite', false), 'pruned_s75');
  assert.equal(sweepPointOf('pruned_s87_5_quant.tflite', false), 'pruned_s87_5');
  assert.equal(sweepPointOf('pruned_s87_5_float16.tflite', false), 'pruned_s87_5');
  assert.equal(sweepPointOf('pruned_s90_float32.tflite', false), 'pruned_s90');
  assert.equal(sweepPointOf('pruned_s90_full_int8.tflite', false), 'pruned_s90');
  for (const name of DECOYS) {
    assert.equal(sweepPointOf(name, false), null, name);
    assert.equal(sweepPointOf(name, true), null, name);
  }
  assert.equal(sweepPointOf('pruned_s75', false), null, 'a file named like a point folder is not one');
  assert.equal(sweepPointOf('pruned_s75_quant.tflite', true), null, 'a folder named like a TFLite file is not one');
  assert.equal(sweepPointOf('mnist_model_quant.tflite', false), null, 'the baseline is no point');
  assert.equal(sweepPointOf('sweep.json', false), null);
});

void test('[0.5, 0.75] then a cancelled [0.5] keeps s75; a completed [0.5] removes s75 files only', async () => {
  const out = freshOutDir('sweep-cleanup');
  const first = await runJob(start(out, 'a', [0.5, 0.75]), () => undefined, new AbortController().signal);
  assert.equal(first.type, 'done', JSON.stringify(first));
  assert.deepEqual(present(out, [...S50, ...S75]), [...S50, ...S75]);
  for (const d of DECOYS) {
    writeFileSync(path.join(out, 'sweep', d), 'not the sweep\'s');
  }
  // A file the user put into an old point's folder keeps that folder.
  mkdirSync(path.join(out, 'sweep', 'pruned_s75', 'mine'));
  writeFileSync(path.join(out, 'sweep', 'pruned_s75', 'mine', 'keep.txt'), 'mine');
  // Same names outside <out>/sweep/ are never touched.
  writeFileSync(path.join(out, 'pruned_s75_quant.tflite'), 'outside');
  const logs75 = path.join(out, 'logs', 'sweep', 'pruned_s75');
  assert.ok(existsSync(logs75), 'the first sweep wrote TensorBoard logs for s75 (outside sweep/)');

  // Cancelled at the last moment: every point of the second sweep is done and its table written.
  const ac = new AbortController();
  const events: EngineEvent[] = [];
  const second = await runJob(
    start(out, 'b', [0.5]),
    (e) => {
      events.push(e);
      if (e.type === 'report' && e.rows.some((r) => r.model === 'pruned_s50')) {
        ac.abort();
      }
    },
    ac.signal,
  );
  assert.equal(second.type, 'cancelled');
  assert.deepEqual(present(out, [...S50, ...S75]), [...S50, ...S75], 'a cancelled sweep removes nothing of the earlier one');
  assert.ok(!events.some((e) => e.type === 'log' && e.message.startsWith('sweep: removed')), 'and logs no removal');

  const logs: string[] = [];
  const third = await runJob(start(out, 'c', [0.5]), (e) => e.type === 'log' && logs.push(e.message), new AbortController().signal);
  assert.equal(third.type, 'done', JSON.stringify(third));
  assert.deepEqual(present(out, S75), [], 's75 files gone');
  assert.deepEqual(present(out, S50), S50, 's50 files present');
  assert.deepEqual(present(out, DECOYS), DECOYS, 'names outside the pattern stay');
  assert.deepEqual(readdirSync(path.join(out, 'sweep', 'pruned_s75'), { recursive: true }).map(String).sort(), ['mine', path.join('mine', 'keep.txt')]);
  assert.equal(readFileSync(path.join(out, 'pruned_s75_quant.tflite'), 'utf8'), 'outside');
  // s75's TensorBoard logs belong to the s75 point too: off the top, kept in the first sweep's run folder.
  assert.ok(!existsSync(logs75), 'the s75 TensorBoard logs left the top with the point');
  assert.ok(existsSync(path.join(out, 'runs', 'a', 'logs', 'sweep', 'pruned_s75')), 'and stay in the first sweep\'s run folder');
  assert.deepEqual(present(path.join(out, 'runs', 'a'), S75), S75, 'as do its s75 files');
  assert.ok(existsSync(path.join(out, 'sweep', 'mnist_model_quant.tflite')));
  const removal = logs.filter((m) => m.startsWith('published '));
  assert.equal(removal.length, 1, logs.join('\n'));
  for (const f of ['sweep/pruned_s75/model.json', 'sweep/pruned_s75/group1-shard1of1.bin', 'sweep/pruned_s75_quant.tflite']) {
    assert.ok(removal[0].includes(f) || /and \d+ more/.test(removal[0]), `${f} announced: ${removal[0]}`);
  }
  // What is left of the points is what sweep.json lists.
  const summary = JSON.parse(readFileSync(path.join(out, 'sweep', 'sweep.json'), 'utf8')) as SweepSummary;
  assert.equal(summary.complete, true);
  const listed = summary.rows.map((r) => r.path).filter((p) => p.startsWith('sweep/pruned_s'));
  assert.deepEqual(listed, ['sweep/pruned_s50_quant.tflite']);
});
