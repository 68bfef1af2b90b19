import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { isGrayscale, suggestDataConfig } from '../../src/engine/data/suggest';
import { BadInputError } from '../../src/engine/errors';
import { python, PY_PNG, tempDir } from './data-helpers';

void test('a picked folder, CSV, .npz or .npy becomes the data section, with the test set found beside it', async () => {
  const ws = tempDir('suggest');
  python(
    `${PY_PNG}
root = sys.argv[1]
for split, n in (('train', 3), ('test', 1)):
    for c in ('cat', 'dog'):
        for i in range(n): png(os.path.join(root, 'pets', split, c, '%d.png' % i), np.zeros((2, 2), np.uint8))`,
    ws,
  );
  const expected = { source: 'image-folder', trainDir: 'pets/train', testDir: 'pets/test', colorMode: 'grayscale', validation: 'stratified' };
  for (const picked of ['pets', 'pets/train']) {
    const s = await suggestDataConfig(path.join(ws, picked), ws);
    assert.deepEqual(s.data, expected, picked);
    assert.match(s.summary[0], /^6 training images in 2 classes: cat \(3\), dog \(3\)$/);
    assert.match(s.summary[1], /^2 test images in pets\/test$/);
  }
  // Colour images keep Keras' default (RGB); grayscale JPEGs are recognised from their frame header.
  python(`${PY_PNG}\npng(os.path.join(sys.argv[1], 'rgb', 'a', '0.png'), np.zeros((2, 2, 3), np.uint8))`, ws);
  assert.equal((await suggestDataConfig(path.join(ws, 'rgb'), ws)).data.colorMode, undefined);
  python(`open(os.path.join(sys.argv[1], 'g.pgm'), 'wb').write(b'P5\\n8 8\\n255\\n' + bytes(64))\nopen(os.path.join(sys.argv[1], 'c.ppm'), 'wb').write(b'P6\\n8 8\\n255\\n' + bytes(192))`, ws);
  execFileSync('cjpeg', ['-outfile', path.join(ws, 'g.jpg'), path.join(ws, 'g.pgm')]);
  execFileSync('cjpeg', ['-outfile', path.join(ws, 'c.jpg'), path.join(ws, 'c.ppm')]);
  assert.equal(await isGrayscale(path.join(ws, 'g.jpg')), true);
  assert.equal(await isGrayscale(path.join(ws, 'c.jpg')), false);
  await fs.writeFile(path.join(ws, 'iris_train.csv'), 'label,a\n0,1\n');
  await fs.writeFile(path.join(ws, 'iris_test.csv'), 'label,a\n0,1\n');
  assert.deepEqual((await suggestDataConfig(path.join(ws, 'iris_train.csv'), ws)).data, { source: 'csv', trainFile: 'iris_train.csv', testFile: 'iris_test.csv', validation: 'stratified' });
  await fs.writeFile(path.join(ws, 'd.npz'), '');
  assert.deepEqual((await suggestDataConfig(path.join(ws, 'd.npz'), ws)).data, { source: 'npy', npzFile: 'd.npz' });
  await fs.mkdir(path.join(ws, 'arr'));
  for (const n of ['x_train', 'y_train', 'x_test', 'y_test']) {
    await fs.writeFile(path.join(ws, 'arr', `${n}.npy`), '');
  }
  assert.deepEqual((await suggestDataConfig(path.join(ws, 'arr', 'x_train.npy'), ws)).data, {
    source: 'npy',
    trainImages: 'arr/x_train.npy',
    trainLabels: 'arr/y_train.npy',
    testImages: 'arr/x_test.npy',
    testLabels: 'arr/y_test.npy',
  });
  await fs.writeFile(path.join(ws, 'notes.txt'), '');
  await assert.rejects(suggestDataConfig(path.join(ws, 'notes.txt'), ws), (e: unknown) => e instanceof BadInputError && /not a data set Model Optimizer reads/.test(e.message));
});
