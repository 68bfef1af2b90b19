/**
 * The sweep's worker pool against a stand-in worker (sweep-fake-worker.mjs) whose points take
 * known, different times: what a point does reaches the run in point order even when a later
 * point finishes first; a worker that exits fails only its point and a new worker runs the rest;
 * a worker that ignores cancel is killed after CANCEL_GRACE_MS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { RunContext } from '../../src/engine/jobs/context';
import { CANCEL_GRACE_MS, runPointsInWorkers, type PointOutcome } from '../../src/engine/jobs/sweepPool';
import type { SweepPoint } from '../../src/engine/jobs/sweepPoints';
import type { SplitData } from '../../src/engine/data/dataset';
import type { ModelGraph } from '../../src/engine/graph/types';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { EngineEvent } from '../../src/protocol/engine';

const FAKE = path.join(import.meta.dirname, 'sweep-fake-worker.mjs');
const set = { images: new Uint8Array(4), labels: new Int32Array(1), count: 1, features: 4, shape: [2, 2, 1], numClasses: 2, classNames: ['a', 'b'] };
const DATA: SplitData = { name: 'tiny', train: set, validation: set, test: set, shape: [2, 2, 1], numClasses: 2, classNames: ['a', 'b'], normalization: { kind: 'scale', mean: [0], std: [255] }, sourceDtype: 'uint8', warnings: [] };
const MODEL: ModelGraph = { name: 'm', layers: [], inputs: [], outputs: [] };

function points(...names: string[]): SweepPoint[] {
  return names.map((name, index) => ({ index, name, targetSparsity: 0.5, overlay: {} }));
}

async function runPool(names: string[], workers: number, onEvent?: (e: EngineEvent, ac: AbortController) => void, env?: NodeJS.ProcessEnv) {
  const events: EngineEvent[] = [];
  const ends: PointOutcome[] = [];
  const ac = new AbortController();
  const ctx = new RunContext('r', 'sweep', DEFAULT_CONFIG, '/nonexistent-out/runs/r', { tfjs: 'wasm', trainer: 'simd-kernel', requested: 'wasm' }, (e) => {
    events.push(e);
    onEvent?.(e, ac);
  }, ac.signal, { loadData: () => Promise.resolve(DATA), createTrainer: () => Promise.reject(new Error('unused')) }, '/nonexistent-out');
  const pts = points(...names);
  await runPointsInWorkers(ctx, MODEL, DATA, pts, { workers, script: FAKE, ...(env ? { env } : {}) }, (o) => {
    // The end of a point comes after everything it did, and in point order.
    events.push({ type: 'log', level: 'info', message: `end ${o.point.name} ${o.ok ? 'ok' : o.code}` });
    ends.push(o);
    return Promise.resolve();
  });
  const lines = events.flatMap((e) => (e.type === 'log' && !e.message.startsWith('sweep worker') ? [e.message] : []));
  return { events, ends, lines, ctx };
}

void test('a later point that finishes first is held back: the run sees point 0, then point 1, in order', async () => {
  const { lines, ctx } = await runPool(['slow-a', 'fast-b', 'fast-c'], 2);
  assert.deepEqual(lines, ['slow-a 1', 'slow-a 2', 'slow-a 3', 'end slow-a ok', 'fast-b 1', 'fast-b 2', 'fast-b 3', 'end fast-b ok', 'fast-c 1', 'fast-c 2', 'fast-c 3', 'end fast-c ok']);
  assert.deepEqual(ctx.stages.map((s) => s.model), ['slow-a', 'fast-b', 'fast-c'], 'stage records in point order');
  assert.equal(ctx.timings.prune, 9, 'every timing added');
});

void test('a worker that exits fails only its point, with the exit code; a new worker runs the points left', async () => {
  // One worker, so the points after the crash can only run in a replacement, whatever the machine's load
  // (with two, the survivor may take every point left before the crash is seen, and no replacement is
  // needed). The replacement runs slow-b after the first worker has left: the pool waits for it too.
  const { lines, ends, events } = await runPool(['crash-a', 'slow-b', 'fast-c'], 1);
  assert.deepEqual(lines.filter((l) => l.startsWith('end')), ['end crash-a internal', 'end slow-b ok', 'end fast-c ok']);
  const crashed = ends[0];
  assert.ok(!crashed.ok);
  assert.match(crashed.message, /^The sweep worker running crash-a \(pid \d+\) exited with code 3 before the point finished$/);
  assert.ok(lines.indexOf('crash-a 1') < lines.indexOf('end crash-a internal'), 'what the point did before it died is kept');
  const ranBy = new Map(events.flatMap((e) => {
    const m = e.type === 'log' ? /^sweep worker \d+ \(pid (\d+)\): ([a-z]+-[a-z])$/.exec(e.message) : null;
    return m ? [[m[2], m[1]] as const] : [];
  }));
  assert.equal(ranBy.size, 3, 'every point was handed to a worker');
  assert.notEqual(ranBy.get('slow-b'), ranBy.get('crash-a'), 'a new worker replaced the dead one');
  assert.equal(ranBy.get('fast-c'), ranBy.get('slow-b'), 'the replacement runs the points left');
});

void test('cancel: a worker that ignores it is killed after the grace period; every point ends, in order', async () => {
  let cancelledAt = 0;
  const { lines } = await runPool(['stuck-a', 'stuck-b', 'fast-c'], 2, (e, ac) => {
    if (e.type === 'log' && e.message === 'stuck-a 1' && !ac.signal.aborted) {
      cancelledAt = Date.now();
      ac.abort();
    }
  });
  assert.ok(cancelledAt > 0);
  assert.deepEqual(lines.filter((l) => l.startsWith('end')), ['end stuck-a cancelled', 'end stuck-b cancelled', 'end fast-c cancelled']);
  // A lower bound only: the kill waits for the grace period, then the run goes on.
  assert.ok(Date.now() - cancelledAt >= CANCEL_GRACE_MS - 50, 'the stuck worker was given the grace period');
});

void test('bad input in a point stops handing out points: the rest end not run', async () => {
  const { lines, ends } = await runPool(['fast-z', 'bad-a', 'fast-c', 'fast-d'], 1);
  assert.deepEqual(lines.filter((l) => l.startsWith('end')), ['end fast-z ok', 'end bad-a bad-input', 'end fast-c cancelled', 'end fast-d cancelled']);
  const bad = ends[1];
  assert.ok(!bad.ok && bad.code === 'bad-input' && bad.where === 'm.json: prune');
  assert.ok(!ends[2].ok && /not run: an earlier point failed on bad input/.test(ends[2].message));
});

void test('workers that cannot start: every point ends failed with the worker\'s own message', async () => {
  const { ends } = await runPool(['fast-a', 'fast-b'], 2, undefined, { FAKE_INIT_FAIL: '1' });
  assert.deepEqual(ends.map((e) => [e.point.name, e.ok]), [['fast-a', false], ['fast-b', false]]);
  for (const e of ends) {
    assert.ok(!e.ok && e.code === 'internal');
    assert.match(e.message, /^a sweep worker \(pid \d+\) exited with code 1 before it could run a point: .*no backend here/);
  }
});
