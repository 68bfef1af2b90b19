import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { parseIdx, readIdxImages, readIdxLabels, IDX_IMAGES_MAGIC } from '../../src/engine/data/idx';
import { mnistPackagePaths, validationSplit } from '../../src/engine/data/mnist';
import { loadData } from '../../src/engine/data/load';
import { sampleSet } from '../../src/engine/data/dataset';
import { BadInputError } from '../../src/engine/errors';

/** Builds an IDX file by hand from the format description (independent of the reader). */
function idxBytes(magic: number, dims: number[], data: number[] | Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'mo-idx-'));
}

function config(over: Partial<RunConfig['data']>, split = 0.1): RunConfig {
  return { ...DEFAULT_CONFIG, data: { ...DEFAULT_CONFIG.data, ...over }, train: { ...DEFAULT_CONFIG.train, validationSplit: split } };
}

void test('real MNIST files: counts, shape and known labels', async () => {
  const p = mnistPackagePaths();
  const trainLabels = await readIdxLabels(p.trainLabels);
  const testLabels = await readIdxLabels(p.testLabels);
  assert.equal(trainLabels.length, 60000);
  assert.equal(testLabels.length, 10000);
  // First labels of the official MNIST files (LeCun's distribution).
  assert.deepEqual([...trainLabels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual([...testLabels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const img = await readIdxImages(p.testImages);
  assert.equal(img.count, 10000);
  assert.equal(img.rows, 28);
  assert.equal(img.cols, 28);
  assert.equal(img.images.length, 10000 * 784);
  // MNIST digits are centred: border pixels are zero, the centre of the first test digit (a 7) has ink.
  assert.equal(img.images[0], 0);
  let ink = 0;
  for (let i = 0; i < 784; i++) {
    ink += img.images[i] > 0 ? 1 : 0;
  }
  assert.ok(ink > 50 && ink < 400, `ink pixels ${ink}`);
});

void test('loadData(mnist) applies limits and the Keras validation split', async () => {
  const data = await loadData(config({ trainLimit: 0, testLimit: 0 }));
  assert.equal(data.train.count, 54000);
  assert.equal(data.validation.count, 6000);
  assert.equal(data.test.count, 10000);
  assert.equal(data.train.features, 784);
  assert.equal(data.train.numClasses, 10);
  assert.ok(data.train.images instanceof Uint8Array);
  // Validation = the LAST 6000 training samples, unshuffled.
  const all = await readIdxLabels(mnistPackagePaths().trainLabels);
  assert.deepEqual([...data.validation.labels.subarray(0, 20)], [...all.subarray(54000, 54020)]);
  assert.deepEqual([...data.train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);

  const small = await loadData(config({ trainLimit: 1005, testLimit: 300 }));
  // floor(1005 * 0.9) = 904 train, 101 validation taken from the end of the first 1005.
  assert.equal(small.train.count, 904);
  assert.equal(small.validation.count, 101);
  assert.equal(small.test.count, 300);
  assert.deepEqual([...small.validation.labels], [...all.subarray(904, 1005)]);
  assert.equal(small.validation.images.length, 101 * 784);
});

void test('validationSplit follows split_at = floor(n * (1 - split))', () => {
  const n = 7;
  const set = sampleSet(Uint8Array.from({ length: n * 2 }, (_, i) => i), Uint8Array.from({ length: n }, (_, i) => i), [2], 10);
  const a = validationSplit(set, 0.3); // floor(7 * 0.7) = floor(4.8999…) = 4
  assert.equal(a.train.count, 4);
  assert.deepEqual([...a.validation.labels], [4, 5, 6]);
  assert.deepEqual([...a.validation.images], [8, 9, 10, 11, 12, 13]);
  const b = validationSplit(set, 0);
  assert.equal(b.train.count, 7);
  assert.equal(b.validation.count, 0);
  assert.throws(() => validationSplit(set, 1), BadInputError);
});

void test('gzip-compressed IDX files read like raw ones (source idx)', async () => {
  const dir = await tempDir();
  try {
    const n = 20;
    const pixels = Uint8Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    await fs.writeFile(path.join(dir, 'tr-img.gz'), gzipSync(idxBytes(0x803, [n, 2, 2], pixels)));
    await fs.writeFile(path.join(dir, 'tr-lbl.gz'), gzipSync(idxBytes(0x801, [n], labels)));
    await fs.writeFile(path.join(dir, 'te-img'), idxBytes(0x803, [5, 2, 2], pixels.subarray(0, 20)));
    await fs.writeFile(path.join(dir, 'te-lbl'), idxBytes(0x801, [5], labels.subarray(0, 5)));
    const data = await loadData(
      config({ source: 'idx', trainImages: path.join(dir, 'tr-img.gz'), trainLabels: path.join(dir, 'tr-lbl.gz'), testImages: path.join(dir, 'te-img'), testLabels: path.join(dir, 'te-lbl') }, 0.25),
    );
    assert.equal(data.train.count, 15);
    assert.equal(data.validation.count, 5);
    assert.equal(data.train.features, 4);
    assert.equal(data.train.numClasses, 3);
    assert.deepEqual([...data.train.images.subarray(0, 8)], [...pixels.subarray(0, 8)]);
    assert.deepEqual([...data.validation.labels], [...labels.subarray(15)]);
    assert.deepEqual([...data.test.labels], [0, 1, 2, 0, 1]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

function assertBadInput(fn: () => unknown, file: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BadInputError, String(err));
    assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
    assert.match(err.message, re);
    return true;
  });
}

void test('broken files: bad magic, truncated, trailing bytes, swapped files, count mismatch', async () => {
  const ok = idxBytes(0x803, [3, 2, 2], new Uint8Array(12));
  assert.equal(parseIdx(ok, 'x', IDX_IMAGES_MAGIC).dims.length, 3);
  assertBadInput(() => parseIdx(idxBytes(0x12345678, [3], new Uint8Array(3)), 'bad.idx', IDX_IMAGES_MAGIC), 'bad.idx', /magic number 0x12345678, expected 0x00000803.*not an IDX/);
  assertBadInput(() => parseIdx(idxBytes(0x801, [3], new Uint8Array(3)), 'lbl.idx', IDX_IMAGES_MAGIC), 'lbl.idx', /swapped/);
  assertBadInput(() => parseIdx(ok.subarray(0, ok.length - 1), 'cut.idx', IDX_IMAGES_MAGIC), 'cut.idx', /truncated.*12 bytes.*only 11.*Download the file again/);
  assertBadInput(() => parseIdx(ok.subarray(0, 10), 'head.idx', IDX_IMAGES_MAGIC), 'head.idx', /truncated inside its header/);
  assertBadInput(() => parseIdx(Buffer.concat([ok, Buffer.from([1])]), 'long.idx', IDX_IMAGES_MAGIC), 'long.idx', /1 bytes after/);
  assertBadInput(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'bad.gz', IDX_IMAGES_MAGIC), 'bad.gz', /gzip/);
  // A gzip file whose content is truncated IDX is reported as truncated.
  assertBadInput(() => parseIdx(gzipSync(ok.subarray(0, 14)), 'cutgz.idx', IDX_IMAGES_MAGIC), 'cutgz.idx', /truncated/);

  const dir = await tempDir();
  try {
    const img = path.join(dir, 'img');
    const lbl = path.join(dir, 'lbl');
    await fs.writeFile(img, idxBytes(0x803, [4, 2, 2], new Uint8Array(16)));
    await fs.writeFile(lbl, idxBytes(0x801, [3], new Uint8Array(3)));
    const cfg = config({ source: 'idx', trainImages: img, trainLabels: lbl, testImages: img, testLabels: lbl });
    await assert.rejects(loadData(cfg), (err: unknown) => err instanceof BadInputError && /3 labels but .* 4 images/.test(err.message) && err.message.includes(lbl));
    await assert.rejects(loadData({ ...cfg, data: { ...cfg.data, trainImages: path.join(dir, 'missing') } }), (err: unknown) => err instanceof BadInputError && /does not exist/.test(err.message));
    await assert.rejects(loadData({ ...cfg, data: { ...cfg.data, testLabels: undefined } }), (err: unknown) => err instanceof BadInputError && err.where === 'data.testLabels');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
