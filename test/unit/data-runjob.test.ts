/**
 * A train job on an image folder, end to end through runJob with the real loader: typed data-load progress and
 * the class-sorted tail-split warning reach the event stream, the run record names the classes,
 * shape and normalisation, and the model learns the (trivially separable) classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runJob } from '../../src/engine/run';
import type { EngineEvent, RunRecord } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';
import { python, PY_PNG, tempDir } from './data-helpers';

void test('train on an image folder: progress, tail-split warning, class names in the record', async () => {
  const root = tempDir('runjob');
  python(
    `${PY_PNG}
root = sys.argv[1]
rng = np.random.default_rng(3)
for split, n in (('train', 24), ('test', 6)):
    for c, (lo, hi) in (('dark', (0, 60)), ('light', (190, 256))):
        for i in range(n): png(os.path.join(root, split, c, '%02d.png' % i), rng.integers(lo, hi, (6, 6), dtype=np.uint8))`,
    root,
  );
  const out = freshOutDir('data-runjob');
  const events: EngineEvent[] = [];
  const config = {
    backend: 'cpu' as const,
    data: { source: 'image-folder' as const, trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'grayscale' as const },
    train: { epochs: 8, batchSize: 8, learningRate: 0.02 },
  };
  const terminal = await runJob({ type: 'start', runId: 'd1', job: 'train', config, configSource: 'test.json', outDir: out }, (e) => events.push(e), new AbortController().signal);
  assert.equal(terminal.type, 'done', JSON.stringify(terminal));
  // Loading reports typed progress events, before jobStarted, the last one complete.
  const progress = events.flatMap((e) => (e.type === 'dataProgress' ? [e] : []));
  assert.ok(progress.length >= 1, 'dataProgress events');
  assert.deepEqual(progress.at(-1), { type: 'dataProgress', phase: 'decoding images', done: 60, total: 60 });
  assert.ok(events.findIndex((e) => e.type === 'dataProgress') < events.findIndex((e) => e.type === 'jobStarted'));
  assert.ok(progress.every((p, i) => p.total === 60 && p.done <= 60 && (i === 0 || p.done >= progress[i - 1].done)));
  const warnings = events.filter((e) => e.type === 'warning');
  assert.deepEqual(warnings.map((w) => (w.type === 'warning' ? w.code : '')), ['validation-classes']);
  const record = JSON.parse(readFileSync(path.join(out, 'runs', 'd1.json'), 'utf8')) as RunRecord;
  assert.deepEqual(record.dataset.classNames, ['dark', 'light']);
  assert.deepEqual(record.dataset.shape, [6, 6, 1]);
  assert.deepEqual(record.dataset.normalization, { kind: 'scale', mean: [0], std: [255] });
  assert.equal(record.dataset.test, 12);
  const train = record.stages.find((s) => s.stage === 'train');
  assert.ok(train && (train.testAccuracy ?? 0) >= 0.9, `test accuracy ${train?.testAccuracy}`);
});
