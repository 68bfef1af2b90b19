/**
 * The .keras zip reader on untrusted input: stored (as Keras writes) and deflated entries
 * (as a re-zipped file has) read the same; a truncated archive, a damaged entry (CRC), a
 * size that lies, and a zip without the Keras members are clear errors, never a crash or a
 * huge allocation. Archives are made with Python's zipfile, not our code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BadInputError } from '../../src/engine/errors';
import { readModelFile } from '../../src/engine/import/index';
import { ZipReader } from '../../src/engine/util/zip';
import { FIXTURES_DIR, python, requireH5py, tempDir } from './import-helpers';

let dir: string;
const KERAS = path.join(FIXTURES_DIR, 'mnist_cnn_keras3.13.keras');

before(async () => {
  dir = await tempDir('import-zip');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const REZIP = String.raw`
import sys, zipfile
src, dst, method = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(src) as s, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED if method == 'deflate' else zipfile.ZIP_STORED) as d:
    for n in s.namelist():
        if method == 'no-weights' and n == 'model.weights.h5':
            continue
        d.writestr(n, s.read(n))
`;

void test('a deflated .keras reads the same weights as the stored original', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const deflated = path.join(dir, 'deflated.keras');
  python(REZIP, [KERAS, deflated, 'deflate']);
  const z = new ZipReader(await fs.readFile(deflated), 'deflated.keras');
  assert.ok(z.entries.every((e) => e.method === 8), 'entries are deflated');
  const [a, b] = await Promise.all([readModelFile(KERAS), readModelFile(deflated)]);
  assert.deepEqual(b.topology, a.topology);
  assert.deepEqual([...b.weights.keys()], [...a.weights.keys()]);
  for (const [k, list] of a.weights) {
    assert.deepEqual(
      b.weights.get(k)?.map((w) => w.data),
      list.map((w) => w.data),
    );
  }
});

void test('damaged archives are clear errors', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const deflated = path.join(dir, 'd.keras');
  python(REZIP, [KERAS, deflated, 'deflate']);
  const good = await fs.readFile(deflated);
  const bad = async (name: string, bytes: Buffer, pattern: RegExp) => {
    const f = path.join(dir, name);
    await fs.writeFile(f, bytes);
    await assert.rejects(readModelFile(f), (e: Error) => e instanceof BadInputError && pattern.test(e.message), name);
  };
  // Cut in the middle: the central directory is gone.
  await bad('truncated.keras', good.subarray(0, Math.floor(good.length / 2)), /no end-of-central-directory record/);
  // A flipped byte inside the first (compressed) entry: inflate fails or the CRC does not match.
  const flipped = Buffer.from(good);
  const z = new ZipReader(good, 'x');
  const first = z.entries[0];
  const dataStart = first.localHeaderOffset + 30 + good.readUInt16LE(first.localHeaderOffset + 26) + good.readUInt16LE(first.localHeaderOffset + 28);
  flipped[dataStart + Math.floor(first.compressedSize / 2)] ^= 0x55;
  await bad('flipped.keras', flipped, /CRC-32|does not inflate|holds \d+ bytes/);
  // The central directory claims a huge size: refused before inflating anything.
  const huge = Buffer.from(good);
  const cd = huge.readUInt32LE(huge.length - 22 + 16);
  huge.writeUInt32LE(0xfffffff0, cd + 24);
  await bad('huge.keras', huge, /would inflate to|holds \d+ bytes/);
  // A zip that is not a Keras file.
  const noWeights = path.join(dir, 'noweights.keras');
  python(REZIP, [KERAS, noWeights, 'no-weights']);
  await assert.rejects(readModelFile(noWeights), (e: Error) => e instanceof BadInputError && /without model\.weights\.h5/.test(e.message));
});
