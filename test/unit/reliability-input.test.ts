/**
 * Issue 13, input side: untrusted files are read safely. Each test names the issue item it
 * proves. Engine level; the CLI-level exit codes are in reliability-cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { BadInputError } from '../../src/engine/errors';
import { IDX_IMAGES_MAGIC, parseIdx, readIdxImages, readIdxLabels } from '../../src/engine/data/idx';
import { inferClasses } from '../../src/engine/data/mnist';
import { loadData } from '../../src/engine/data/load';
import { readFileLimited, resolveInside, isInside } from '../../src/engine/util/safeRead';
import { loadConfigFile } from '../../src/engine/config/load';

async function tempDir(): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'mo-rel-in-')));
}

function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

function isBad(re: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof BadInputError, `expected BadInputError, got ${String(err)}`);
    assert.match(err.message, re);
    return true;
  };
}

const isLinux = process.platform === 'linux';

void test('item 1: /dev/zero, a FIFO, symlinks to them and a folder are refused at once, without reading', { skip: !isLinux && 'needs /dev/zero and mkfifo' }, async () => {
  const dir = await tempDir();
  try {
    const fifo = path.join(dir, 'pipe.idx');
    execFileSync('mkfifo', [fifo]);
    await fs.symlink('/dev/zero', path.join(dir, 'zero.tflite'));
    await fs.symlink(fifo, path.join(dir, 'pipe-link.json'));
    const limits = { what: 'test file', maxBytes: 1024 };
    await assert.rejects(readFileLimited('/dev/zero', limits), isBad(/\/dev\/zero is a character device, not a regular file/));
    await assert.rejects(readFileLimited(path.join(dir, 'zero.tflite'), limits), isBad(/zero\.tflite is a character device/));
    // A FIFO with no writer: the open must not block (the test would hang here otherwise).
    await assert.rejects(readFileLimited(fifo, limits), isBad(/named pipe \(FIFO\)/));
    await assert.rejects(readFileLimited(path.join(dir, 'pipe-link.json'), limits), isBad(/named pipe/));
    await assert.rejects(readFileLimited(dir, limits), isBad(/is a folder/));
    await assert.rejects(readFileLimited(path.join(dir, 'missing'), limits), isBad(/missing does not exist\. Check the path/));
    // The same through the real readers: IDX data, a config file.
    await assert.rejects(readIdxLabels(fifo), isBad(/IDX labels file .* named pipe/));
    await assert.rejects(readIdxImages('/dev/zero'), isBad(/IDX images file \/dev\/zero is a character device/));
    await assert.rejects(loadConfigFile(path.join(dir, 'pipe-link.json')), isBad(/config file .* named pipe/));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

void test('item 1: a file larger than its cap is refused before it is read; a symlink to a regular file is fine', async () => {
  const dir = await tempDir();
  try {
    const f = path.join(dir, 'big.json');
    await fs.writeFile(f, Buffer.alloc(2048, 0x20));
    await assert.rejects(readFileLimited(f, { what: 'config file', maxBytes: 1024, tooLargeFix: 'Use a smaller one.' }), isBad(/config file .*big\.json is 2048 bytes, more than the 1024 bytes .*Use a smaller one\./));
    await fs.symlink(f, path.join(dir, 'link.json'));
    assert.equal((await readFileLimited(path.join(dir, 'link.json'), { what: 'x', maxBytes: 4096 })).length, 2048);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

void test('item 3: weight paths stay inside the model folder, also through symlinks', async () => {
  const dir = await tempDir();
  try {
    const model = path.join(dir, 'model');
    await fs.mkdir(model);
    await fs.writeFile(path.join(dir, 'secret.bin'), 'secret');
    await fs.writeFile(path.join(model, 'w.bin'), 'ok');
    await fs.mkdir(path.join(model, 'sub'));
    await fs.writeFile(path.join(model, 'sub', 'w2.bin'), 'ok');
    await fs.symlink(path.join(dir, 'secret.bin'), path.join(model, 'escape.bin'));
    await fs.symlink(dir, path.join(model, 'up'));
    const owner = path.join(model, 'model.json');
    assert.equal(await resolveInside(model, 'w.bin', 'weights file', owner), path.join(model, 'w.bin'));
    assert.equal(await resolveInside(model, 'sub/../sub/w2.bin', 'weights file', owner), path.join(model, 'sub', 'w2.bin'));
    await assert.rejects(resolveInside(model, '../secret.bin', 'weights file', owner), isBad(/model\.json names the weights file '\.\.\/secret\.bin', which points outside it\. .*inside its own folder/));
    await assert.rejects(resolveInside(model, '../../../../etc/passwd', 'weights file', owner), isBad(/points outside it/));
    await assert.rejects(resolveInside(model, '/etc/passwd', 'weights file', owner), isBad(/is an absolute path/));
    await assert.rejects(resolveInside(model, 'escape.bin', 'weights file', owner), isBad(/is a symlink to .*secret\.bin, outside it/));
    await assert.rejects(resolveInside(model, 'up/secret.bin', 'weights file', owner), isBad(/outside it/));
    await assert.rejects(resolveInside(model, 'https://example.com/w.bin', 'weights file', owner), isBad(/is a URL/));
    await assert.rejects(resolveInside(model, 'nope.bin', 'weights file', owner), isBad(/'nope\.bin', which is missing/));
    assert.equal(isInside('/a/b', '/a/b/..c'), true);
    assert.equal(isInside('/a/b', '/a/bc'), false);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

void test('item 9: a gzip bomb is stopped at the size its IDX header declares', () => {
  // Header: 10 images of 2×2 = 40 bytes; the stream then inflates to 64 MiB of zeros.
  const header = idxBytes(IDX_IMAGES_MAGIC, [10, 2, 2], new Uint8Array(0));
  const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]));
  assert.ok(bomb.length < 200 * 1024, `bomb is ${bomb.length} bytes`);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => parseIdx(bomb, 'bomb.gz', IDX_IMAGES_MAGIC), isBad(/bomb\.gz: decompresses to more than the 56 bytes its IDX header declares.*gzip bomb/));
  // Nothing near 64 MiB was allocated (the cap is 57 bytes of output).
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
  // A header that declares more than a data file may hold is refused before inflating.
  const huge = gzipSync(idxBytes(IDX_IMAGES_MAGIC, [0xffffffff, 0xffff, 0xffff], new Uint8Array(16)));
  assert.throws(() => parseIdx(huge, 'huge.gz', IDX_IMAGES_MAGIC), isBad(/huge\.gz: declares \d+ bytes of IDX data, more than/));
  // An honest gzip file still reads.
  const ok = gzipSync(idxBytes(IDX_IMAGES_MAGIC, [10, 2, 2], new Uint8Array(40).fill(7)));
  assert.deepEqual(parseIdx(ok, 'ok.gz', IDX_IMAGES_MAGIC).dims, [10, 2, 2]);
});

void test('item 11: an out-of-range label is exit-2 bad input naming the file and index, not a wider model', async () => {
  assert.equal(inferClasses(Uint8Array.from([0, 1, 2, 1, 0])), 3);
  assert.equal(inferClasses(Uint8Array.from([0, 1, 2, 200])), 3);
  const dir = await tempDir();
  try {
    const n = 30;
    const img = path.join(dir, 'img');
    const lbl = path.join(dir, 'lbl');
    const testLbl = path.join(dir, 'test-lbl');
    await fs.writeFile(img, idxBytes(0x803, [n, 2, 2], new Uint8Array(n * 4)));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    labels[17] = 200;
    await fs.writeFile(lbl, idxBytes(0x801, [n], labels));
    const good = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const cfg = (trainLabels: string, testLabels: string): RunConfig => ({
      ...DEFAULT_CONFIG,
      data: { ...DEFAULT_CONFIG.data, source: 'idx', trainImages: img, trainLabels, testImages: img, testLabels },
    });
    await assert.rejects(loadData(cfg(lbl, lbl)), isBad(/lbl: label 200 at index 17 is out of range: the other labels make 10 classes \(0…9\) and no sample has label 10\. Correct that label/));
    // Test labels beyond the training set's classes.
    await fs.writeFile(lbl, idxBytes(0x801, [n], good));
    const bad = Uint8Array.from(good);
    bad[3] = 12;
    await fs.writeFile(testLbl, idxBytes(0x801, [n], bad));
    await assert.rejects(loadData(cfg(lbl, testLbl)), isBad(/test-lbl: label 12 at index 3 is out of range: the model has 10 classes/));
    // 1-based labels are named as such.
    await fs.writeFile(lbl, idxBytes(0x801, [n], good.map((v) => v + 1)));
    await assert.rejects(loadData(cfg(lbl, lbl)), isBad(/label 1 at index 0 .*no sample has label 0 \(labels must start at 0\)/));
    await fs.writeFile(lbl, idxBytes(0x801, [n], good));
    const data = await loadData(cfg(lbl, lbl));
    assert.equal(data.train.numClasses, 10);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
