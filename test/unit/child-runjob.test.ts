/**
 * runJob in-process with injected data/trainer factories: how each kind of ending is
 * reported and what it leaves on disk (nothing before jobStarted; a run record after).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runJob } from '../../src/engine/run';
import type { RunContextDeps } from '../../src/engine/jobs/context';
import { sampleSet, splitData, type SplitData, type ImageSet } from '../../src/engine/data/dataset';
import { BadInputError } from '../../src/engine/errors';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import type { EngineEvent, RunRecord, StartRequest } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';

function set(count: number): ImageSet {
  return sampleSet(new Uint8Array(count * 784), new Uint8Array(count), [28, 28, 1], 10);
}
const tinyData = (): Promise<SplitData> => Promise.resolve(splitData('synthetic', set(90), set(10), set(20)));

function deps(over: Partial<RunContextDeps> = {}): RunContextDeps {
  return {
    loadData: tinyData,
    createTrainer: () => Promise.reject(new Error('trainer exploded')),
    ...over,
  };
}

function req(outDir: string, over: Partial<StartRequest> = {}): StartRequest {
  return { type: 'start', runId: 'r1', job: 'train', config: { backend: 'cpu' }, configSource: 'test.json', outDir, ...over };
}

async function run(r: StartRequest, d: RunContextDeps, signal = new AbortController().signal): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const terminal = await runJob(r, (e) => events.push(e), signal, d);
  assert.equal(events[events.length - 1], terminal, 'the terminal event is emitted last and returned');
  return events;
}

void test('an internal error after jobStarted: error internal with stack, record "failed" with the error', async () => {
  const out = freshOutDir('runjob-fail');
  const events = await run(req(out), deps());
  const last = events[events.length - 1];
  assert.ok(last.type === 'error' && last.code === 'internal' && last.message === 'trainer exploded' && last.stack?.includes('trainer exploded'), JSON.stringify(last));
  assert.deepEqual(
    events.filter((e) => e.type !== 'log').map((e) => e.type),
    ['jobStarted', 'stageStarted', 'artifactWritten', 'error'],
  );
  const record = JSON.parse(readFileSync(path.join(out, 'runs', 'r1.json'), 'utf8')) as RunRecord;
  assert.equal(record.status, 'failed');
  assert.deepEqual(record.error, { code: 'internal', message: 'trainer exploded' });
  assert.deepEqual(record.dataset, {
    name: 'synthetic',
    train: 90,
    validation: 10,
    test: 20,
    shape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    normalization: { kind: 'scale', mean: [0], std: [255] },
    dtype: 'uint8',
    exportedInput: 'normalised values: x / 255 (data.normalize "scale"), applied before calling the model',
  });
  assert.deepEqual(record.artifacts, []);
  assert.equal(record.config.backend, 'cpu');
  assert.ok(!readdirSync(out, { recursive: true }).map(String).some((f) => path.basename(f).startsWith(TEMP_MARK)));
});

void test('problems found before jobStarted are bad input and write nothing', async () => {
  const parent = freshOutDir('runjob-early');
  const out = path.join(parent, 'out');
  const cases: [StartRequest, RunContextDeps, string | undefined, RegExp][] = [
    [req(out, { config: { train: { epochs: -1 } } }), deps(), 'test.json: train.epochs', /whole number ≥ 1/],
    [req(out, { runId: '../evil' }), deps(), 'runId', /cannot be used as a file name/],
    [req(out, { job: 'prune' }), deps(), path.join(out, 'mnist_model', 'model.json'), /no trained model to prune/],
    [req(out, { job: 'evaluate', inputModel: path.join(parent, 'x.tflite') }), deps(), path.join(parent, 'x.tflite'), /does not exist/],
    [req(out), deps({ loadData: () => Promise.reject(new BadInputError('bad IDX magic', 'train-images.idx')) }), 'train-images.idx', /bad IDX magic/],
  ];
  for (const [r, d, where, message] of cases) {
    const events = await run(r, d);
    assert.equal(events.length, 1, JSON.stringify(events));
    const e = events[0];
    assert.ok(e.type === 'error' && e.code === 'bad-input', JSON.stringify(e));
    assert.equal(e.where, where);
    assert.match(e.message, message);
    assert.equal(existsSync(out), false, 'no output folder created');
  }
  const file = path.join(parent, 'file');
  writeFileSync(file, '');
  for (const o of [file, path.join(file, 'sub')]) {
    const [e] = await run(req(o), deps());
    assert.ok(e.type === 'error' && e.code === 'bad-input' && /is a file/.test(e.message), JSON.stringify(e));
  }
});

void test('cancelled before the job starts: cancelled, nothing written', async () => {
  const out = path.join(freshOutDir('runjob-precancel'), 'out');
  const ac = new AbortController();
  ac.abort();
  const events = await run(req(out), deps({ createTrainer: () => Promise.reject(new Error('must not be reached')) }), ac.signal);
  assert.deepEqual(events.map((e) => e.type), ['cancelled']);
  assert.equal(existsSync(out), false);
});

void test('temp files of a dead earlier run are swept at start; live ones are kept', async () => {
  const out = freshOutDir('runjob-sweep');
  const dead = path.join(out, `${TEMP_MARK}999999999-abc-model.json`);
  const live = path.join(out, `${TEMP_MARK}${process.ppid}-abc-weights.bin`);
  writeFileSync(dead, 'half');
  writeFileSync(live, 'busy');
  await run(req(out), deps());
  assert.equal(existsSync(dead), false);
  assert.equal(existsSync(live), true);
});
