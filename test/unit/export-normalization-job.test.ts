/**
 * Issue 11 through runJob with the real loaders: an image-folder pipeline with data.normalize
 * "minus1to1" writes files that take raw pixels (comparison rows say `input: "raw"`, the record
 * says what the files take), and every float file fed the raw test pixels reaches the engine's
 * own test accuracy on the normalised pixels; a later `prune` job reads the saved model back
 * without normalising twice; `evaluate` of a written file feeds it raw pixels. The MNIST source
 * keeps 0.1.0's files (x / 255 input).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runJob } from '../../src/engine/run';
import type { EngineEvent, ModelReport, RunRecord, StartRequest } from '../../src/protocol/engine';
import { takesRawInput } from '../../src/engine/report/rawInput';
import { freshOutDir } from './child-helpers';
import { python, PY_PNG, tempDir } from './data-helpers';

let root: string;

before(() => {
  root = tempDir('norm-job');
  // Three classes of 8×8 RGB images whose brightness ranges overlap, so accuracy stays below 1 and a wrong input shows.
  python(
    `${PY_PNG}
root = sys.argv[1]
rng = np.random.default_rng(11)
for split, n in (('train', 60), ('test', 30)):
    for c, (lo, hi) in (('a', (0, 150)), ('b', (50, 200)), ('c', (100, 256))):
        for i in range(n):
            b = rng.integers(lo, hi)
            png(os.path.join(root, split, c, '%02d.png' % i), np.clip(b + rng.integers(-30, 30, (8, 8, 3)), 0, 255).astype(np.uint8))`,
    root,
  );
});

async function run(job: StartRequest['job'], out: string, runId: string, inputModel?: string): Promise<{ record: RunRecord; events: EngineEvent[] }> {
  const events: EngineEvent[] = [];
  const config = {
    backend: 'cpu' as const,
    data: { source: 'image-folder' as const, trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), normalize: 'minus1to1' as const, validation: 'stratified' as const },
    train: { epochs: 4, batchSize: 16, learningRate: 0.003 },
    prune: { epochs: 1 },
    quantize: { tflite: ['float32', 'full-int8'], tfjs: ['float16'], representativeSamples: 60 },
  };
  const terminal = await runJob({ type: 'start', runId, job, config, configSource: 'test.json', outDir: out, ...(inputModel ? { inputModel } : {}) } as StartRequest, (e) => events.push(e), new AbortController().signal);
  assert.equal(terminal.type, 'done', JSON.stringify(terminal).slice(0, 600));
  return { record: JSON.parse(readFileSync(path.join(out, 'runs', `${runId}.json`), 'utf8')) as RunRecord, events };
}

void test('image-folder pipeline: files take raw pixels and reach the engine\'s accuracy; prune reads the model back; evaluate feeds raw pixels', async () => {
  const out = freshOutDir('norm-job');
  const { record } = await run('pipeline', out, 'p1');
  assert.match(record.dataset?.exportedInput ?? '', /raw values .*\(x − 127\.5\) \/ 127\.5 is built into each file/);
  const rows = record.report;
  assert.ok(rows.length >= 6, rows.map((r) => r.path).join());
  assert.ok(rows.every((r: ModelReport) => r.input === 'raw'), JSON.stringify(rows.map((r) => [r.path, r.input])));
  const pruneStage = record.stages.find((s) => s.stage === 'prune');
  const engineAcc = pruneStage?.testAccuracy ?? NaN;
  assert.ok(engineAcc > 0.5 && engineAcc < 1, `engine accuracy ${engineAcc} (the data is meant to be neither trivial nor hopeless)`);
  for (const r of rows.filter((x) => x.model.startsWith('pruned_') && x.variant !== 'full-int8')) {
    // Raw pixels into the file vs normalised pixels into the engine: at most one sample's rounding apart.
    assert.ok(Math.abs((r.accuracy ?? NaN) - engineAcc) <= 1 / 90 + 1e-9, `${r.path}: ${r.accuracy} vs engine ${engineAcc}`);
  }
  const int8 = rows.find((r) => r.variant === 'full-int8');
  assert.ok(int8 && Math.abs((int8.accuracy ?? NaN) - engineAcc) <= 0.06, `full-int8 ${int8?.accuracy} vs engine ${engineAcc}`);
  const md = readFileSync(path.join(out, 'comparison.md'), 'utf8');
  assert.match(md, /## Input\n\nRaw values as read from the data files/);

  // `evaluate` of the full-int8 file: fed raw pixels, its accuracy is the pipeline's.
  const file = path.join(out, int8.path);
  const ev = await run('evaluate', out, 'p3', file);
  assert.equal(ev.record.report[0].input, 'raw');
  assert.equal(ev.record.report[0].accuracy, int8.accuracy);

  // `prune` on the same folder: reads mnist_model/model.json (normalisation built in) and must not normalise twice.
  const pruned = await run('prune', out, 'p2');
  const acc = pruned.record.stages.find((s) => s.stage === 'prune')?.testAccuracy ?? NaN;
  // Normalised twice, every input would be ≈ −1 and the fine-tuned model near chance (1/3).
  assert.ok(acc >= engineAcc - 0.1, `prune after reading the saved model: accuracy ${acc} vs ${engineAcc} before`);
  assert.equal(await takesRawInput(path.join(out, 'pruned_mnist_model', 'model.json')), true);
});

void test('the mnist source keeps 0.1.0\'s files: they take x / 255 (no normalisation layer) and say so', async () => {
  const out = freshOutDir('norm-job-mnist');
  const events: EngineEvent[] = [];
  const config = { backend: 'cpu' as const, data: { source: 'mnist' as const, trainLimit: 600, testLimit: 200 }, train: { epochs: 1 } };
  const terminal = await runJob({ type: 'start', runId: 'm1', job: 'train', config, configSource: 'test.json', outDir: out }, (e) => events.push(e), new AbortController().signal);
  assert.equal(terminal.type, 'done');
  const record = JSON.parse(readFileSync(path.join(out, 'runs', 'm1.json'), 'utf8')) as RunRecord;
  assert.match(record.dataset?.exportedInput ?? '', /^normalised values: x \/ 255/);
  assert.equal(await takesRawInput(path.join(out, 'mnist_model', 'model.json')), false);
});
