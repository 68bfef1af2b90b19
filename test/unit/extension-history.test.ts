/**
 * The run history's pure parts: which stage wrote which file, a run's key figures, the progress
 * every stage reports, deleting a run's files, report.md, comparing configs and two files, and
 * finding TensorBoard.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import { compareConfigs } from '../../src/protocol/compare';
import type { ModelReport, RunRecord } from '../../src/protocol/engine';
import { entryFromRecord, RunStore } from '../../src/extension/runStore';
import { bestAccuracy, fileGroup, runFigures, smallestFile } from '../../src/extension/runFiles';
import { deleteRunFiles, planDeletion } from '../../src/extension/runDeletion';
import { buildReportMarkdown } from '../../src/extension/report';
import { compareFilesMarkdown } from '../../src/extension/fileComparison';
import { commonLogDir, findOnPath } from '../../src/extension/tensorboard';
import { mergeSettings } from '../../src/extension/settings';

const backend = { tfjs: 'wasm', trainer: 'tfjs', requested: 'auto' };

function row(path: string, model: string, format: ModelReport['format'], variant: string, bytes: number, gzip: number, acc: number | null): ModelReport {
  return { model, format, variant, path, bytes, gzipBytes: gzip, params: 101_770, nonzeros: 50_000, layers: [{ name: 'dense_1', sparsity: 0.5 }], accuracy: acc, accuracyDelta: acc === null ? null : acc - 0.97, runtime: 'tflite-wasm', latencyUs: 12.5 };
}

function pipelineRecord(runId: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    runId,
    job: 'pipeline',
    status: 'done',
    startedAt: '2026-11-27T20:00:00.000Z',
    finishedAt: '2026-11-27T20:02:00.000Z',
    durationMs: 3 * 3600_000 + 61_000,
    config: DEFAULT_CONFIG,
    backend,
    dataset: { name: 'mnist', train: 900, validation: 100, test: 500 },
    stages: [
      { stage: 'train', model: 'mnist_model', durationMs: 1, testAccuracy: 0.97, epochs: [{ epoch: 1, step: 15, durationMs: 1, loss: 0.5, accuracy: 0.85, valLoss: 0.4, valAccuracy: 0.88 }] },
      { stage: 'prune', model: 'pruned_mnist_model', durationMs: 1, testAccuracy: 0.975, epochs: [] },
      { stage: 'export', model: 'pruned_mnist_model', durationMs: 1, epochs: [] },
    ],
    artifacts: [
      { kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 400_000 },
      { kind: 'tensorboard', model: 'mnist_model', path: 'logs/train/events.out.tfevents.1', bytes: 100 },
      { kind: 'tfjs', model: 'pruned_mnist_model', path: 'pruned_mnist_model/model.json', bytes: 400_000 },
      { kind: 'tensorboard', model: 'pruned_mnist_model', path: 'logs/prune/events.out.tfevents.2', bytes: 100 },
      { kind: 'keras-h5', model: 'mnist_model', path: 'mnist_model.h5', bytes: 415_000 },
      { kind: 'tflite', model: 'pruned_mnist_model', path: 'pruned_mnist_model_quant.tflite', bytes: 104_000 },
      { kind: 'report', model: 'pruned_mnist_model', path: 'comparison.md', bytes: 900 },
      { kind: 'run-record', model: '', path: `runs/${runId}.json`, bytes: 5000 },
    ],
    report: [row('mnist_model.h5', 'mnist_model', 'keras-h5', 'float32', 415_000, 380_000, 0.97), row('pruned_mnist_model_quant.tflite', 'pruned_mnist_model', 'tflite', 'dynamic-int8', 104_000, 78_234, 0.9787)],
    warnings: [],
    timings: {},
    host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
    ...over,
  };
}

void describe('run history', () => {
  void it('groups each file under the stage that wrote it; TensorBoard files apart; the record hidden', () => {
    const r = entryFromRecord(pipelineRecord('a'), '/out');
    const groups = r.artifacts.map((a) => [a.path, fileGroup(r, a)]);
    assert.deepEqual(groups, [
      ['mnist_model/model.json', { kind: 'stage', index: 0 }],
      ['logs/train/events.out.tfevents.1', { kind: 'tensorboard' }],
      ['pruned_mnist_model/model.json', { kind: 'stage', index: 1 }],
      ['logs/prune/events.out.tfevents.2', { kind: 'tensorboard' }],
      ['mnist_model.h5', { kind: 'stage', index: 2 }],
      ['pruned_mnist_model_quant.tflite', { kind: 'stage', index: 2 }],
      ['comparison.md', { kind: 'stage', index: 2 }],
      ['runs/a.json', null],
    ]);
    // An evaluate run has no stage for its inputs: they go under "Files".
    assert.deepEqual(fileGroup({ stages: [] }, { kind: 'tflite', model: 'x' }), { kind: 'files' });
  });

  void it('key figures: duration (h min above an hour), best accuracy, smallest gzip file', () => {
    const r = entryFromRecord(pipelineRecord('a'), '/out');
    assert.equal(bestAccuracy(r), 0.9787);
    assert.deepEqual(smallestFile(r)?.path, 'pruned_mnist_model_quant.tflite');
    assert.equal(runFigures(r, 'Nov 27'), 'Nov 27 · 3 h 1 min · 97.87 % · 76.4 KiB gzip');
    assert.equal(runFigures({ ...r, status: 'failed' }, 'Nov 27'), 'failed · Nov 27 · 3 h 1 min · 97.87 % · 76.4 KiB gzip');
  });

  void it('every stage reports its own progress: no stale "pruning 1/1 · 100 %" through the export', () => {
    const store = new RunStore();
    store.addLive('r', 'pipeline', '/out');
    // Loading the data comes first, before jobStarted (70 000 PNG files take a while).
    store.applyEvent('r', { type: 'dataProgress', phase: 'decoding images', done: 17500, total: 70000 });
    assert.deepEqual(store.get('r')?.activity, { stage: 'data', text: 'loading data · decoding images 17500/70000 (25 %)', overall: 0 });
    assert.equal(store.get('r')?.events.length, 0, 'progress is not kept as history');
    store.applyEvent('r', { type: 'jobStarted', runId: 'r', job: 'pipeline', config: DEFAULT_CONFIG, backend, stages: ['train', 'prune', 'export'], startedAt: '', dataset: { name: 'mnist', train: 1, validation: 1, test: 1 } });
    store.applyEvent('r', { type: 'stageStarted', stage: 'prune', model: 'pruned_mnist_model', epochs: 1, stepsPerEpoch: 10 });
    store.applyEvent('r', { type: 'batchProgress', stage: 'prune', epoch: 1, epochs: 1, batch: 10, batches: 10, loss: 0.1, accuracy: 0.9 });
    assert.equal(store.get('r')?.activity?.text, 'pruning pruned_mnist_model · epoch 1/1 · 100 %');
    assert.equal(store.get('r')?.activity?.overall, 2 / 3);
    store.applyEvent('r', { type: 'stageStarted', stage: 'export', model: 'pruned_mnist_model' });
    assert.equal(store.get('r')?.activity?.text, 'export pruned_mnist_model');
    assert.equal(store.get('r')?.progress, null, 'the fit is over');
    store.applyEvent('r', { type: 'stageProgress', stage: 'export', task: 'calibrating and writing pruned_mnist_model_full_int8.tflite', done: 3, total: 6 });
    assert.equal(store.get('r')?.activity?.text, 'export · calibrating and writing pruned_mnist_model_full_int8.tflite (4/6)');
    assert.equal(store.get('r')?.activity?.overall, (2 + 0.5) / 3);
    store.applyEvent('r', { type: 'stageProgress', stage: 'export', task: 'evaluating mnist_model.h5', done: 0, total: 7 });
    assert.equal(store.get('r')?.activity?.text, 'export · evaluating mnist_model.h5 (1/7)');
    store.applyEvent('r', { type: 'done', runId: 'r', durationMs: 1, testAccuracy: {}, recordPath: 'runs/r.json' });
    assert.equal(store.get('r')?.activity, null);
  });

  void it('deletes the run record and the files only it wrote; shared files, symlink targets and outside paths stay', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mo-delete-'));
    try {
      const out = path.join(dir, 'out');
      const outside = path.join(dir, 'precious.txt');
      writeFileSync(outside, 'keep');
      const write = (rel: string, content = 'x'): void => {
        mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
        writeFileSync(path.join(out, rel), content);
      };
      write('runs/a.json');
      write('runs/b.json');
      write('mnist_model/model.json', JSON.stringify({ weightsManifest: [{ paths: ['group1-shard1of1.bin', '../../precious.txt'] }] }));
      write('mnist_model/group1-shard1of1.bin');
      write('logs/train/events.out.tfevents.1');
      write('shared.tflite');
      symlinkSync(outside, path.join(out, 'link.tflite'));
      const plan = planDeletion(['mnist_model/model.json', 'logs/train/events.out.tfevents.1', 'shared.tflite', 'link.tflite', '../precious.txt'], new Set(['shared.tflite']));
      assert.deepEqual(plan.shared, ['shared.tflite']);
      return deleteRunFiles(out, 'a', plan).then((removed) => {
        assert.deepEqual(removed.sort(), ['link.tflite', 'logs/train/events.out.tfevents.1', 'mnist_model/group1-shard1of1.bin', 'mnist_model/model.json', 'runs/a.json'].sort());
        assert.ok(existsSync(outside), 'the symlink target and the path outside the output folder are untouched');
        assert.ok(existsSync(path.join(out, 'shared.tflite')), 'a file another run lists is kept');
        assert.ok(existsSync(path.join(out, 'runs/b.json')), 'other runs keep their records');
        assert.equal(existsSync(path.join(out, 'mnist_model')), false, 'an emptied model folder is removed');
        assert.equal(existsSync(path.join(out, 'logs')), false, 'emptied log folders are removed');
        assert.deepEqual(readdirSync(out).sort(), ['runs', 'shared.tflite']);
      });
    } finally {
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 1000).unref();
    }
  });

  void it('report.md: runs, config differences, charts beside it, merged model table', () => {
    const a = entryFromRecord(pipelineRecord('run-a'), '/out');
    const b = entryFromRecord(pipelineRecord('run-b', { config: { ...DEFAULT_CONFIG, train: { ...DEFAULT_CONFIG.train, epochs: 9 } } }), '/out');
    const md = buildReportMarkdown([a, b], [{ title: 'Validation accuracy', file: 'comparison-report-compare-accuracy.png' }], '2026-12-04T21:00:00Z');
    assert.match(md, /^# Model Optimizer: 2 runs compared/);
    assert.match(md, /\| `train\.epochs` \| `5` \| `9` \|/);
    assert.doesNotMatch(md, /`train\.batchSize`/, 'only differences are listed');
    assert.match(md, /!\[Validation accuracy\]\(comparison-report-compare-accuracy\.png\)/);
    assert.match(md, /\| run-b \| pruned_mnist_model_quant\.tflite \| tflite dynamic-int8 \| 101\.6 KiB \| 76\.4 KiB \| dense_1 50\.0 % \| 97\.87 % \| \+0\.87 pt \| 12\.5 µs \|/);
    assert.deepEqual(
      compareConfigs([{ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 3] }, d: true }]),
      [
        { key: 'a.b', values: ['1', '1'], differs: false },
        { key: 'a.c', values: ['[1,2]', '[1,3]'], differs: true },
        { key: 'd', values: ['—', 'true'], differs: true },
      ],
    );
  });

  void it('Compare With…: two files side by side with ratios and the accuracy change', () => {
    const r = pipelineRecord('a').report;
    const md = compareFilesMarkdown({ label: 'h5', path: r[0].path, bytes: r[0].bytes, row: r[0] }, { label: 'quant', path: r[1].path, bytes: r[1].bytes, row: r[1] });
    assert.match(md, /\| Size \| 405\.3 KiB \| 101\.6 KiB \| 3\.99× smaller \|/);
    assert.match(md, /\| Test accuracy \| 97\.00 % \| 97\.87 % \| \+0\.87 pt \|/);
    assert.match(compareFilesMarkdown({ label: 'x', path: 'x', bytes: 1, row: null }, { label: 'y', path: 'y', bytes: 2, row: null }), /Evaluate/);
  });

  void it('TensorBoard: the log folder of a run, and tensorboard found on PATH only when executable', () => {
    assert.equal(commonLogDir(['logs/train/events.1', 'logs/prune/events.2']), 'logs');
    assert.equal(commonLogDir(['logs/prune/events.2']), 'logs');
    const dir = mkdtempSync(path.join(tmpdir(), 'mo-path-'));
    try {
      const exe = path.join(dir, 'tensorboard');
      writeFileSync(exe, '#!/bin/sh\n');
      chmodSync(exe, 0o644);
      assert.equal(findOnPath('tensorboard', { PATH: dir }), undefined, 'not executable');
      chmodSync(exe, 0o755);
      assert.equal(findOnPath('tensorboard', { PATH: `/nonexistent${path.delimiter}${dir}` }), exe);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('settings fill in only what model-optimizer.json leaves out', () => {
    const settings = { backend: 'cpu' as const, epochs: 12, sweepSparsities: [0.6, 0.9] };
    assert.deepEqual(mergeSettings({}, settings), { backend: 'cpu', train: { epochs: 12 }, sweep: { sparsities: [0.6, 0.9] } });
    const file = { backend: 'wasm' as const, train: { epochs: 3, batchSize: 32 }, sweep: { sparsities: [0.5] } };
    assert.deepEqual(mergeSettings(file, settings), file, 'every value in the file wins');
    assert.deepEqual(mergeSettings({ train: { batchSize: 32 } }, { backend: 'auto' }), { backend: 'auto', train: { batchSize: 32 } }, 'unset settings add nothing');
  });

  void it("a finished live run in its own run folder keeps its files' paths once the record is attached", () => {
    const store = new RunStore();
    store.addLive('r1', 'pipeline', '/out');
    store.applyEvent('r1', { type: 'jobStarted', runId: 'r1', job: 'pipeline', config: DEFAULT_CONFIG, backend, stages: ['train'], startedAt: '', dataset: { name: 'mnist', train: 1, validation: 1, test: 1 }, runDir: 'runs/r1' });
    store.applyEvent('r1', { type: 'done', runId: 'r1', durationMs: 1, testAccuracy: {}, recordPath: 'runs/r1.json' });
    assert.equal(store.get('r1')?.outDir, path.resolve('/out/runs/r1'));
    store.attachRecord('r1', { ...pipelineRecord('r1'), runDir: 'runs/r1' });
    assert.equal(store.get('r1')?.outDir, path.resolve('/out/runs/r1'), 'not /out/runs/r1/runs/r1');
    assert.equal(store.get('r1')?.outRoot, '/out');
  });
});
