/** The extension's run store: live events, run records read back from disk, tolerance of foreign files. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { RunRecord } from '../../src/protocol/engine';
import { readHistory, RunStore, type StoreChange } from '../../src/extension/runStore';

const backend = { tfjs: 'wasm', trainer: 'tfjs', requested: 'auto' };

function record(runId: string, startedAt: string): RunRecord {
  return {
    version: 1,
    runId,
    job: 'pipeline',
    status: 'done',
    startedAt,
    finishedAt: startedAt,
    durationMs: 1234,
    config: DEFAULT_CONFIG,
    backend,
    dataset: { name: 'mnist', train: 900, validation: 100, test: 500 },
    stages: [
      { stage: 'train', model: 'mnist_model', durationMs: 1, testAccuracy: 0.91, epochs: [{ epoch: 1, step: 15, durationMs: 1, loss: 0.5, accuracy: 0.85, valLoss: 0.4, valAccuracy: 0.88 }] },
      { stage: 'prune', model: 'pruned_mnist_model', durationMs: 1, epochs: [{ epoch: 1, step: 15, durationMs: 1, loss: 0.4, accuracy: 0.87, valLoss: 0.35, valAccuracy: 0.89, sparsity: { dense_1: 0.5 } }] },
    ],
    artifacts: [{ kind: 'tflite', model: 'pruned_mnist_model', path: 'pruned_mnist_model_quant.tflite', bytes: 27000 }],
    report: [],
    warnings: [{ code: 'w', message: 'm' }],
    timings: {},
    host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
  };
}

void describe('RunStore', () => {
  void it('follows a live run through its events and tells listeners', () => {
    const store = new RunStore();
    const changes: StoreChange[] = [];
    store.onDidChange((c) => changes.push(c));
    store.addLive('r1', 'train', '/ws/out', '2026-11-27T22:00:00.000Z');
    assert.equal(store.running()?.runId, 'r1');
    store.applyEvent('r1', { type: 'stageStarted', stage: 'train', model: 'mnist_model', epochs: 2, stepsPerEpoch: 10 });
    for (const batch of [3, 7]) {
      store.applyEvent('r1', { type: 'batchProgress', stage: 'train', epoch: 1, epochs: 2, batch, batches: 10, loss: 1, accuracy: 0.5 });
    }
    store.applyEvent('r1', {
      type: 'epochEnd',
      stage: 'train',
      model: 'mnist_model',
      epoch: 1,
      epochs: 2,
      step: 10,
      metrics: { loss: 0.5, accuracy: 0.8, valLoss: 0.45, valAccuracy: 0.82 },
      durationMs: 10,
    });
    store.applyEvent('r1', { type: 'artifactWritten', kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 100 });
    store.applyEvent('r1', { type: 'artifactWritten', kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 120 });
    const r = store.get('r1');
    assert.ok(r);
    assert.deepEqual(
      r.stages.map((s) => [s.stage, s.epochsDone, s.epochs, s.lastValAccuracy]),
      [['train', 1, 2, 0.82]],
    );
    assert.deepEqual(r.artifacts, [{ kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 120 }], 'rewritten artifact replaced');
    // batchProgress is kept only as the latest, appended last in the panel's view.
    const view = store.view(r);
    assert.equal(view.events.filter((e) => e.type === 'batchProgress').length, 1);
    assert.equal(view.events.at(-1)?.type, 'batchProgress');
    store.applyEvent('r1', { type: 'cancelled', runId: 'r1', durationMs: 50 });
    assert.equal(r.status, 'cancelled');
    assert.equal(r.progress, null);
    assert.equal(store.running(), undefined);
    assert.equal(changes[0].kind, 'runs');
    assert.equal(changes.filter((c) => c.kind === 'event').length, 7);
  });

  void it('keeps the report rows of every sweep point: rows merge by file path, a re-measured file is replaced', () => {
    const store = new RunStore();
    store.addLive('s', 'sweep', '/out');
    const row = (p: string, gzipBytes: number, accuracy: number) => ({
      model: p.replace('.tflite', ''),
      format: 'tflite' as const,
      variant: 'dynamic-int8',
      path: p,
      bytes: 104_000,
      gzipBytes,
      params: 101_770,
      nonzeros: 50_000,
      layers: [],
      accuracy,
      accuracyDelta: null,
      runtime: 'tflite-wasm',
      latencyUs: null,
    });
    store.applyEvent('s', { type: 'report', rows: [row('sweep/mnist_model_quant.tflite', 95_000, 0.977), row('sweep/mnist_model_full_int8.tflite', 93_000, 0.976)] });
    store.applyEvent('s', { type: 'report', rows: [row('sweep/pruned_s50_quant.tflite', 60_000, 0.976)] });
    store.applyEvent('s', { type: 'report', rows: [row('sweep/pruned_s50_quant.tflite', 61_000, 0.975)] });
    const report = store.get('s')?.report ?? [];
    assert.deepEqual(
      report.map((r) => [r.path, r.gzipBytes]),
      [
        ['sweep/mnist_model_quant.tflite', 95_000],
        ['sweep/mnist_model_full_int8.tflite', 93_000],
        ['sweep/pruned_s50_quant.tflite', 61_000],
      ],
    );
  });

  void it('item 12: one malformed record (deep inside) is skipped and reported; the others are shown, killed runs as failed, artifacts against the run folder', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mo-history-deep-'));
    try {
      mkdirSync(path.join(out, 'runs'));
      writeFileSync(path.join(out, 'runs', 'good.json'), JSON.stringify({ ...record('good', '2026-11-27T20:00:00.000Z'), runDir: 'runs/good' }));
      // Shapes the panel would choke on, deep down: an epoch's metrics as text, a report row without its numbers, an escaping artifact path.
      const badEpoch = record('bad-epoch', '2026-11-27T21:00:00.000Z');
      (badEpoch.stages[0].epochs[0] as unknown as Record<string, unknown>).valAccuracy = 'high';
      const badRow = record('bad-row', '2026-11-27T21:30:00.000Z');
      badRow.report = [{ model: 'm', format: 'tflite', variant: 'x', path: 'm.tflite' } as unknown as RunRecord['report'][number]];
      const escaping = record('escaping', '2026-11-27T21:40:00.000Z');
      escaping.artifacts = [{ kind: 'tflite', model: 'm', path: '../../etc/passwd', bytes: 1 }];
      for (const r of [badEpoch, badRow, escaping]) {
        writeFileSync(path.join(out, 'runs', `${r.runId}.json`), JSON.stringify(r));
      }
      // Written as 'running' by a process that is gone (pid 2^22+12345 does not exist): shown as failed.
      writeFileSync(path.join(out, 'runs', 'killed.json'), JSON.stringify({ ...record('killed', '2026-11-27T22:00:00.000Z'), status: 'running', finishedAt: '', pid: 2 ** 22 + 12345 }));
      // NaN metrics (no validation split) come back as null: still a valid record.
      const noVal = record('no-val', '2026-11-27T22:10:00.000Z');
      (noVal.stages[0].epochs[0] as unknown as Record<string, unknown>).valLoss = null;
      writeFileSync(path.join(out, 'runs', 'no-val.json'), JSON.stringify(noVal));
      const { records, skipped } = await readHistory(out);
      assert.deepEqual(records.map((r) => r.record.runId).sort(), ['good', 'killed', 'no-val']);
      assert.deepEqual(skipped, [
        'bad-epoch.json: stages[0].epochs[0].valAccuracy must be a number or null',
        'bad-row.json: report[0].bytes is missing; report[0].gzipBytes is missing; report[0].params is missing; report[0].nonzeros is missing; report[0].layers is missing',
        'escaping.json: artifacts[0].path must be a path inside the output folder',
      ]);
      const store = new RunStore();
      store.setHistory(records);
      assert.equal(store.get('killed')?.status, 'failed');
      assert.match(store.get('killed')?.error?.message ?? '', /ended before the run finished/);
      assert.equal(store.get('good')?.outDir, path.join(out, 'runs', 'good'), 'artifacts resolve in the run folder');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  void it('reads run records from <out>/runs, skips foreign files, keeps live runs', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'mo-history-'));
    try {
      mkdirSync(path.join(out, 'runs'));
      writeFileSync(path.join(out, 'runs', 'b.json'), JSON.stringify(record('b', '2026-11-27T21:00:00.000Z')));
      writeFileSync(path.join(out, 'runs', 'a.json'), JSON.stringify(record('a', '2026-11-27T20:00:00.000Z')));
      writeFileSync(path.join(out, 'runs', 'broken.json'), '{"version": 1,');
      writeFileSync(path.join(out, 'runs', 'other.json'), '{"hello": "world"}');
      writeFileSync(path.join(out, 'runs', 'notes.txt'), 'x');
      const { records, skipped } = await readHistory(out);
      assert.deepEqual(records.map((r) => r.record.runId).sort(), ['a', 'b']);
      assert.deepEqual(skipped, ['broken.json: not valid JSON', 'other.json: version must be 1 (a run record of this version of Model Optimizer)']);

      const store = new RunStore();
      store.addLive('live', 'train', out, '2026-11-27T22:00:00.000Z');
      store.setHistory(records);
      assert.deepEqual(
        store.all().map((r) => r.runId),
        ['a', 'b', 'live'],
        'oldest first',
      );
      const b = store.get('b');
      assert.ok(b);
      assert.equal(b.status, 'done');
      assert.deepEqual(b.stages.map((s) => [s.model, s.testAccuracy, s.sparsity]), [
        ['mnist_model', 0.91, undefined],
        ['pruned_mnist_model', undefined, { dense_1: 0.5 }],
      ]);
      assert.equal(b.warnings, 1);
      assert.equal(store.view(b).record?.runId, 'b');
      assert.deepEqual(await readHistory(path.join(out, 'missing')), { records: [], skipped: [] });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
