/**
 * Class names from outside the data: Teachable Machine's labels.txt beside a model, and
 * data.classNames. Parsing (the real Teachable Machine file, CRLF, plain names, bad files),
 * renaming index-labelled data and renumbering named classes, and end to end through runJob:
 * a model whose outputs are in labels.txt's order (Mug, Flask), on image folders that sort
 * the other way (Flask, Mug), is 100 % right with its labels.txt and 0 % without; the
 * comparison names the classes; labels.txt is written back next to the exported files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveConfig } from '../../src/engine/config/validate';
import { applyClassNames, labelsText } from '../../src/engine/data/classNames';
import type { RawData } from '../../src/engine/data/prepare';
import { BadInputError } from '../../src/engine/errors';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { buildSequential } from '../../src/engine/graph/build';
import { findModelLabels, labelsCandidates, parseLabels } from '../../src/engine/import/labels';
import { runJob } from '../../src/engine/run';
import type { EngineEvent, ModelReport } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';
import { python, PY_PNG, tempDir } from './data-helpers';
import { FIXTURES_DIR } from './import-helpers';

let dir: string;
before(async () => {
  dir = tempDir('labels');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const bad = (re: RegExp) => (e: unknown) => e instanceof BadInputError && re.test(e.message);

void test("labels.txt: Teachable Machine's file, CRLF and BOM, plain names; bad files are refused with the fix", async () => {
  const tm = readFileSync(path.join(FIXTURES_DIR, 'teachable_machine_labels.txt'), 'utf8');
  assert.deepEqual(parseLabels(tm, 'labels.txt'), ['Flask', 'Mug']);
  assert.deepEqual(parseLabels('\uFEFF0 Coffee mug\r\n1 Tea cup\r\n\r\n', 'x'), ['Coffee mug', 'Tea cup']);
  assert.deepEqual(parseLabels('cat\ndog\n', 'x'), ['cat', 'dog']);
  // What labelsText writes reads back.
  assert.equal(labelsText(['Flask', 'Mug']), tm);
  assert.throws(() => parseLabels('0 a\n2 b\n', 'labels.txt'), bad(/line 2 gives class 2.*output order/));
  assert.throws(() => parseLabels('0 a\n1 a\n', 'labels.txt'), bad(/'a' is named twice/));
  assert.throws(() => parseLabels('\n\n', 'labels.txt'), bad(/labels\.txt is empty/));
  assert.throws(() => parseLabels('x\n'.repeat(10_001), 'labels.txt'), bad(/10001 lines/));
  assert.deepEqual(labelsCandidates('/m/keras_model.h5'), ['/m/keras_model_labels.txt', '/m/labels.txt']);
  assert.deepEqual(labelsCandidates('/o/mnist_model/model.json'), ['/o/mnist_model/model_labels.txt', '/o/mnist_model/labels.txt', '/o/mnist_model/metadata.json', '/o/mnist_model_labels.txt', '/o/labels.txt']);
  // Teachable Machine's TF.js export: metadata.json's labels; another tool's metadata.json (no labels) is passed over.
  const tmDir = path.join(dir, 'tmjs', 'my_model');
  await fs.mkdir(tmDir, { recursive: true });
  const meta = { tfjsVersion: '1.3.1', tmVersion: '2.4.7', packageVersion: '0.8.4', packageName: '@teachablemachine/image', modelName: 'tm-my-image-model', labels: ['Mug', 'Flask'], imageSize: 224 };
  await fs.writeFile(path.join(tmDir, 'metadata.json'), JSON.stringify(meta));
  assert.deepEqual(await findModelLabels(path.join(tmDir, 'model.json')), { file: path.join(tmDir, 'metadata.json'), names: ['Mug', 'Flask'] });
  await fs.writeFile(path.join(tmDir, 'metadata.json'), JSON.stringify({ author: 'someone' }));
  assert.equal(await findModelLabels(path.join(tmDir, 'model.json')), null);
  await fs.writeFile(path.join(dir, 'tmjs', 'labels.txt'), 'a\nb\n');
  assert.deepEqual((await findModelLabels(path.join(tmDir, 'model.json')))?.names, ['a', 'b']);
  await fs.writeFile(path.join(tmDir, 'metadata.json'), JSON.stringify({ ...meta, labels: ['Mug', 'Mug'] }));
  await assert.rejects(findModelLabels(path.join(tmDir, 'model.json')), bad(/my_model\/metadata\.json: its "labels" cannot name the model's classes: 'Mug' is named twice/));
  // Size limit: a 2 MiB "labels.txt" is refused before it is parsed.
  const big = path.join(dir, 'big');
  await fs.mkdir(big);
  await fs.writeFile(path.join(big, 'labels.txt'), Buffer.alloc(2 * 1024 * 1024, 0x61));
  await assert.rejects(findModelLabels(path.join(big, 'm.h5')), bad(/labels file.*2\.0 MiB|labels\.txt.*larger/i));
});

void test('class names rename index-labelled data and renumber named classes to the given order', () => {
  const set = (labels: number[]) => ({ x: new Uint8Array(labels.length), labels: Int32Array.from(labels), count: labels.length, source: 's' });
  const raw = (classNames: string[], labels: number[]): RawData => ({ name: 'd', shape: [1], classNames, train: set(labels), test: set(labels) });
  const indexed = applyClassNames(raw(['0', '1'], [0, 1, 1]), ['Flask', 'Mug'], 'labels.txt');
  assert.deepEqual(indexed.classNames, ['Flask', 'Mug']);
  assert.deepEqual([...indexed.train.labels], [0, 1, 1]);
  // Folders a, b, c (sorted) → the model's order c, a, b: a → 1, b → 2, c → 0.
  const named = applyClassNames(raw(['a', 'b', 'c'], [0, 1, 2, 2]), ['c', 'a', 'b'], 'labels.txt');
  assert.deepEqual(named.classNames, ['c', 'a', 'b']);
  assert.deepEqual([...named.train.labels], [1, 2, 0, 0]);
  assert.deepEqual([...named.test.labels], [1, 2, 0, 0]);
  assert.throws(() => applyClassNames(raw(['a', 'b'], [0]), ['a', 'x'], 'labels.txt beside m.h5'), bad(/classes 'b' that labels\.txt beside m\.h5 does not name.*'x' not in the data/));
  assert.throws(() => applyClassNames(raw(['0', '1', '2'], [2]), ['a', 'b'], 'data.classNames'), bad(/names 2 classes but the data \(d\) has labels up to 2/));
  // The config key is validated like the file.
  assert.deepEqual(resolveConfig({ data: { classNames: ['Mug', 'Flask'] } }, 'c.json').data.classNames, ['Mug', 'Flask']);
  assert.throws(() => resolveConfig({ data: { classNames: ['Mug', ' '] } }, 'c.json'), bad(/data\.classNames\[1\] must be a non-empty string/));
  assert.throws(() => resolveConfig({ data: { classNames: ['Mug', 'x'.repeat(300)] } }, 'c.json'), bad(/data\.classNames cannot name the classes: the name of class 1 is longer than 256 characters/));
  assert.throws(() => resolveConfig({ data: { classNames: ['Mug', 'Mug'] } }, 'c.json'), bad(/data\.classNames/));
});

void test("end to end: a model in labels.txt's order on folders sorted the other way; labels.txt back next to the exports", async () => {
  const data = path.join(dir, 'data');
  python(
    `${PY_PNG}
root = sys.argv[1]
rng = np.random.default_rng(5)
for split, n in (('train', 6), ('test', 5)):
    for c, (lo, hi) in (('Flask', (0, 60)), ('Mug', (190, 256))):
        for i in range(n): png(os.path.join(root, split, c, '%02d.png' % i), rng.integers(lo, hi, (4, 4), dtype=np.uint8))`,
    data,
  );
  // Output 0 = Mug (light images), output 1 = Flask (dark), as Teachable Machine's labels.txt orders them.
  const g = buildSequential('keras_model', [4, 4, 1], [{ className: 'Flatten', config: {} }, { className: 'Dense', config: { units: 2, activation: 'softmax' } }], 1);
  const dense = g.layers[2];
  dense.weights[0].data.set(Float32Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 1 : -1)));
  dense.weights[1].data.set([-8, 8]);
  const withLabels = path.join(dir, 'tm');
  const without = path.join(dir, 'plain');
  for (const d of [withLabels, without]) {
    await fs.mkdir(d, { recursive: true });
    await saveKerasH5Graph(g, path.join(d, 'keras_model.h5'));
  }
  await fs.writeFile(path.join(withLabels, 'labels.txt'), '0 Mug\n1 Flask\n');
  const config = { backend: 'cpu' as const, data: { source: 'image-folder' as const, trainDir: path.join(data, 'train'), testDir: path.join(data, 'test'), colorMode: 'grayscale' as const } };
  const run = async (job: 'evaluate' | 'quantize', model: string, extra: Record<string, unknown> = {}) => {
    const events: EngineEvent[] = [];
    const out = freshOutDir('labels');
    const terminal = await runJob(
      { type: 'start', runId: `r${job}`, job, config: { ...config, ...extra, data: { ...config.data, ...((extra.data as object) ?? {}) } }, configSource: 't.json', outDir: out, inputModel: model },
      (e) => events.push(e),
      new AbortController().signal,
    );
    const rows = events.flatMap((e): ModelReport[] => (e.type === 'report' ? e.rows : []));
    return { terminal, rows, out, events };
  };

  const good = await run('evaluate', path.join(withLabels, 'keras_model.h5'));
  assert.equal(good.terminal.type, 'done', JSON.stringify(good.terminal));
  assert.equal(good.rows[0].accuracy, 1);
  assert.deepEqual(good.rows[0].classes?.names, ['Mug', 'Flask']);
  assert.deepEqual(good.rows[0].classes?.confusion, [[5, 0], [0, 5]]);
  assert.ok(good.events.some((e) => e.type === 'log' && /class names from labels\.txt beside keras_model\.h5: Mug, Flask/.test(e.message)));

  // The same model without its labels: the folders' sorted order (Flask, Mug) is the other way round.
  const plain = await run('evaluate', path.join(without, 'keras_model.h5'));
  assert.equal(plain.rows[0].accuracy, 0);
  assert.deepEqual(plain.rows[0].classes?.names, ['Flask', 'Mug']);

  // Teachable Machine's TF.js export: the same model as model.json with metadata.json's labels, run in stock tfjs-layers.
  const tmjs = path.join(dir, 'tm_tfjs');
  await saveTfjsGraph(g, tmjs);
  await fs.writeFile(path.join(tmjs, 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', packageName: '@teachablemachine/image', labels: ['Mug', 'Flask'], imageSize: 4 }));
  const fromJs = await run('evaluate', path.join(tmjs, 'model.json'));
  assert.equal(fromJs.rows[0].accuracy, 1);
  assert.deepEqual(fromJs.rows[0].classes?.names, ['Mug', 'Flask']);
  // Its exports: every TF.js folder gets the metadata.json (other fields kept), so Teachable Machine's library loads it as it is.
  const tmq = await run('quantize', path.join(tmjs, 'model.json'), { quantize: { tflite: [], tfjs: ['uint8'] } });
  assert.equal(tmq.terminal.type, 'done', JSON.stringify(tmq.terminal));
  assert.deepEqual(JSON.parse(readFileSync(path.join(tmq.out, 'tm_tfjs_uint8', 'metadata.json'), 'utf8')), { tfjsVersion: '1.3.1', packageName: '@teachablemachine/image', labels: ['Mug', 'Flask'], imageSize: 4 });
  assert.ok(tmq.events.some((e) => e.type === 'artifactWritten' && e.path === 'tm_tfjs_uint8/metadata.json'));

  // data.classNames does the same without a file.
  const named = await run('evaluate', path.join(without, 'keras_model.h5'), { data: { classNames: ['Mug', 'Flask'] } });
  assert.equal(named.rows[0].accuracy, 1);

  // Exports: labels.txt in Teachable Machine's format beside them, and every row names the classes.
  const q = await run('quantize', path.join(withLabels, 'keras_model.h5'), { quantize: { tflite: ['float32'], tfjs: [] } });
  assert.equal(q.terminal.type, 'done', JSON.stringify(q.terminal));
  assert.equal(readFileSync(path.join(q.out, 'labels.txt'), 'utf8'), '0 Mug\n1 Flask\n');
  assert.ok(q.rows.length >= 2 && q.rows.every((r) => r.accuracy === 1 && r.classes?.names.join() === 'Mug,Flask'), JSON.stringify(q.rows.map((r) => [r.path, r.accuracy])));
  assert.match(readFileSync(path.join(q.out, 'comparison.md'), 'utf8'), /Mug/);

  // A labels.txt of another model (3 names for 2 outputs): bad input before anything runs.
  await fs.writeFile(path.join(withLabels, 'labels.txt'), '0 Mug\n1 Flask\n2 Spoon\n');
  const wrong = await run('evaluate', path.join(withLabels, 'keras_model.h5'));
  assert.equal(wrong.terminal.type, 'error');
  assert.ok(wrong.terminal.type === 'error' && wrong.terminal.code === 'bad-input' && /labels\.txt beside keras_model\.h5 names 3 classes, but the model has 2 outputs/.test(wrong.terminal.message), JSON.stringify(wrong.terminal));
});
