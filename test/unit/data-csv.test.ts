import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadData, readRawData } from '../../src/engine/data/load';
import { splitCsvLine } from '../../src/engine/data/csv';
import { BadInputError } from '../../src/engine/errors';
import { config, python, tempDir } from './data-helpers';

const isBad = (re: RegExp) => (e: unknown): boolean => e instanceof BadInputError && re.test(e.message);

/** NumPy writes a CSV (header optional, label column at `labelAt`); returns features and labels as written. */
function writeCsv(file: string, opts: { rows: number; features: number; header: boolean; labelAt: number; strings: boolean; seed: number }): { x: number[]; labels: (string | number)[] } {
  return python(
    `file, o = sys.argv[1], json.loads(sys.argv[2])
rng = np.random.default_rng(o['seed'])
x = (rng.normal(size=(o['rows'], o['features'])) * 100).astype(np.float32)
names = ['sun', 'rain', 'fog']
y = rng.integers(0, 3, o['rows'])
y[:3] = [0, 1, 2]
labels = [names[v] for v in y] if o['strings'] else y.tolist()
cols = ['f%d' % j for j in range(o['features'])]
cols.insert(o['labelAt'], 'label')
with open(file, 'w') as f:
    if o['header']: f.write(','.join(cols) + '\\n')
    for r in range(o['rows']):
        cells = [repr(float(v)) for v in x[r]]
        cells.insert(o['labelAt'], str(labels[r]))
        f.write(','.join(cells) + '\\r\\n')
print(json.dumps({'x': x.ravel().tolist(), 'labels': labels}))`,
    file,
    JSON.stringify(opts),
  );
}

void test('CSV with header, string labels in the middle: float32 features as NumPy wrote them, sorted class names', async () => {
  const dir = tempDir('csv-h');
  const train = writeCsv(path.join(dir, 'train.csv'), { rows: 30, features: 5, header: true, labelAt: 2, strings: true, seed: 1 });
  writeCsv(path.join(dir, 'test.csv'), { rows: 10, features: 5, header: true, labelAt: 2, strings: true, seed: 2 });
  const raw = await readRawData(config({ source: 'csv', trainFile: path.join(dir, 'train.csv'), testFile: path.join(dir, 'test.csv') }));
  assert.deepEqual(raw.classNames, ['fog', 'rain', 'sun']);
  assert.deepEqual(raw.shape, [5]);
  assert.ok(raw.train.x instanceof Float32Array);
  assert.deepEqual([...raw.train.x], train.x);
  assert.deepEqual([...raw.train.labels].map((i) => raw.classNames[i]), train.labels);
  // Float data: no normalisation by default.
  const data = await loadData(config({ source: 'csv', trainFile: path.join(dir, 'train.csv'), testFile: path.join(dir, 'test.csv') }));
  assert.equal(data.normalization.kind, 'none');
});

void test('CSV without header (auto-detected), integer labels by index', async () => {
  const dir = tempDir('csv-n');
  const train = writeCsv(path.join(dir, 'train.csv'), { rows: 20, features: 3, header: false, labelAt: 0, strings: false, seed: 3 });
  writeCsv(path.join(dir, 'test.csv'), { rows: 6, features: 3, header: false, labelAt: 0, strings: false, seed: 4 });
  const cfg = config({ source: 'csv', trainFile: path.join(dir, 'train.csv'), testFile: path.join(dir, 'test.csv'), labelColumn: 0 });
  const raw = await readRawData(cfg);
  assert.deepEqual(raw.classNames, ['0', '1', '2']);
  assert.equal(raw.train.count, 20, 'the first row is data, not a header');
  assert.deepEqual([...raw.train.x], train.x);
  assert.deepEqual([...raw.train.labels], train.labels);
  // The default labelColumn "label" cannot be found without a header: say so.
  await assert.rejects(readRawData({ ...cfg, data: { ...cfg.data, labelColumn: 'label' } }), isBad(/no header row .*Set data\.labelColumn to the 0-based index/));
  // NumPy's own reader agrees on the features.
  const np = python<number[]>(`print(json.dumps(np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)[:, 1:].ravel().tolist()))`, path.join(dir, 'train.csv'));
  assert.deepEqual([...raw.train.x], np);
});

void test('pixel CSV with normalize "scale" is stored as bytes (the SIMD kernel can train on it)', async () => {
  const dir = tempDir('csv-px');
  const rows = ['label,p0,p1,p2', '1,0,128,255', '0,3,4,5', '1,9,9,9'];
  await fs.writeFile(path.join(dir, 'a.csv'), rows.join('\n'));
  const d = await loadData(config({ source: 'csv', trainFile: path.join(dir, 'a.csv'), testFile: path.join(dir, 'a.csv'), normalize: 'scale' }, { validationSplit: 0 }));
  assert.ok(d.train.images instanceof Uint8Array);
  assert.deepEqual([...d.train.images], [0, 128, 255, 3, 4, 5, 9, 9, 9]);
});

void test('CSV errors name file, line and column: missing value, ragged row, non-numeric cell, label not in classes, quoted cells', async () => {
  const dir = tempDir('csv-err');
  const write = async (name: string, lines: string[]): Promise<string> => {
    const f = path.join(dir, name);
    await fs.writeFile(f, lines.join('\n'));
    return f;
  };
  const train = await write('train.csv', ['label,a,b', 'x,1,2', 'y,3,4', 'x,5,6']);
  const run = async (test: string[]) => loadData(config({ source: 'csv', trainFile: train, testFile: await write('test.csv', test) }, { validationSplit: 0 }));
  await assert.rejects(run(['label,a,b', 'x,1,', 'y,1,2']), isBad(/test\.csv, line 2, column 2 \("b"\): the value is missing/));
  await assert.rejects(run(['label,a,b', 'x,1,2', 'y,1,2,3']), isBad(/test\.csv, line 3: 4 cells, but the header has 3/));
  await assert.rejects(run(['label,a,b', 'x,1,2', 'y,abc,2']), isBad(/test\.csv, line 3, column 1 \("a"\): "abc" is not a number/));
  await assert.rejects(run(['label,a,b', 'x,1,2', 'z,1,2']), isBad(/test\.csv, line 3: label "z" is not one of the 2 training classes \(x, y\)/));
  await assert.rejects(run(['label,a,c', 'x,1,2']), isBad(/column 2 is "c" but in the training file it is "b"/));
  const ok = await run(['label,a,b', '"x",1,2', '', 'y,3e2,-.5']);
  assert.deepEqual([...ok.test.images], [1, 2, 300, -0.5]);
  assert.deepEqual(splitCsvLine('"a, b",1,"say ""hi"""'), ['a, b', '1', 'say "hi"']);
  // Integer labels with a gap are out of range, not a wider model.
  const gap = await write('gap.csv', ['label,a', '0,1', '1,1', '7,1']);
  await assert.rejects(loadData(config({ source: 'csv', trainFile: gap, testFile: gap })), isBad(/gap\.csv, line 4: label 7 is out of range: the other labels make 2 classes/));
});
