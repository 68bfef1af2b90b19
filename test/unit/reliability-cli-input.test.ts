/**
 * Issue 13, input side, at the CLI: each bad input of the issue ends with exit 2 and one
 * paragraph (problem + fix) on stderr, never exit 1 "This is a bug", a stack trace, HDF5
 * diagnostics, a hang or gigabytes of memory. Runs the CLI bundle as a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { saveKerasH5 } from '../../src/engine/export/kerasH5Graph';
import { saveMlpTfjs } from './mlp-files';
import { saveTflite } from '../../src/engine/export/tflite';
import { freshOutDir, runCli, type CliRun } from './child-helpers';
import { randomModel } from './export-helpers';

type Result = CliRun;

/** Runs the CLI; a generous watchdog turns a hang into a failure instead of a stuck suite. */
const cli = (args: string[], cwd: string): Promise<Result> => runCli(args, cwd, 120_000);

/** Exit 2, the expected message, and none of the signs of an internal error. */
function assertBadInput(r: Result, re: RegExp): void {
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /This is a bug|HDF5-DIAG|\n\s+at .*\.(js|ts):\d+/);
}

const linux = process.platform === 'linux';

void test('CLI item 1: a model or data path that is /dev/zero (through a symlink) or a FIFO is exit 2 at once', { skip: !linux && 'needs /dev/zero and mkfifo' }, async () => {
  const dir = freshOutDir('rel-in-dev');
  await fs.symlink('/dev/zero', path.join(dir, 'zero.tflite'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  const zero = await cli(['evaluate', '--model', 'zero.tflite', '--test-limit', '100', '--out', path.join(dir, 'out')], dir);
  assertBadInput(zero, /zero\.tflite is a character device, not a regular file.*Point the path at the file itself/s);
  await fs.writeFile(path.join(dir, 'fifo.json'), JSON.stringify({ data: { source: 'idx', trainImages: 'fifo', trainLabels: 'fifo', testImages: 'fifo', testLabels: 'fifo' }, train: { epochs: 1 } }));
  const fifo = await cli(['train', '--config', 'fifo.json', '--out', path.join(dir, 'out')], dir);
  assertBadInput(fifo, /fifo is a named pipe \(FIFO\), not a regular file/);
});

void test('CLI items 2, 8: a damaged .tflite and a truncated .h5 are exit 2 with the reason and a fix, no HDF5 output', async () => {
  const dir = freshOutDir('rel-in-damaged');
  const model = randomModel('m', [784, 16, 10], 3);
  await saveTflite(model, 'float32', path.join(dir, 'ok.tflite'));
  const bytes = await fs.readFile(path.join(dir, 'ok.tflite'));
  // The root table offset points past the end of the file.
  const bad = Buffer.from(bytes);
  bad.writeUInt32LE(bytes.length + 1000, 0);
  await fs.writeFile(path.join(dir, 'bad.tflite'), bad);
  const t = await cli(['evaluate', '--model', 'bad.tflite', '--test-limit', '100', '--out', path.join(dir, 'out')], dir);
  assertBadInput(t, /bad\.tflite is not a valid TFLite file: root table: reaches byte \d+ of a \d+-byte file\. .*export or convert the model again/);

  await saveKerasH5(model, path.join(dir, 'ok.h5'));
  const h5 = await fs.readFile(path.join(dir, 'ok.h5'));
  await fs.writeFile(path.join(dir, 'cut.h5'), h5.subarray(0, Math.floor(h5.length / 2)));
  const cut = await cli(['evaluate', '--model', 'cut.h5', '--test-limit', '100', '--out', path.join(dir, 'out')], dir);
  // Whichever HDF5 reader meets the file first (the Dense-stack reader or the importer), the message
  // names the file, HDF5's own reason and the fix.
  assertBadInput(cut, /cut\.h5 .*File has been truncated.*Save or (download|copy) the model again/);
});

void test('CLI item 3: a model.json whose weight path leaves its folder is exit 2, the file outside is not read', async () => {
  const dir = freshOutDir('rel-in-traversal');
  const modelDir = path.join(dir, 'm');
  await saveMlpTfjs(randomModel('m', [784, 8, 10], 4), modelDir);
  const jsonPath = path.join(modelDir, 'model.json');
  const json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  await fs.rename(path.join(modelDir, json.weightsManifest[0].paths[0]), path.join(dir, 'secret.bin'));
  json.weightsManifest[0].paths = ['../secret.bin'];
  await fs.writeFile(jsonPath, JSON.stringify(json));
  const r = await cli(['quantize', '--model', 'm/model.json', '--test-limit', '100', '--out', path.join(dir, 'out')], dir);
  assertBadInput(r, /model\.json names the weights file '\.\.\/secret\.bin', which points outside it\. A model's files must be inside its own folder/);
});

void test('CLI item 7: a model for 1024 inputs is exit 2 on 784-pixel data in every format and job', async () => {
  const dir = freshOutDir('rel-in-size');
  const model = randomModel('wide', [1024, 8, 10], 5);
  await saveKerasH5(model, path.join(dir, 'wide.h5'));
  await saveTflite(model, 'float32', path.join(dir, 'wide.tflite'));
  await saveMlpTfjs(model, path.join(dir, 'wide'));
  const out = path.join(dir, 'out');
  for (const m of ['wide.h5', 'wide.tflite', 'wide/model.json']) {
    const r = await cli(['evaluate', '--model', m, '--test-limit', '100', '--out', out], dir);
    assertBadInput(r, /takes 1024 input values \(32×32\) but the images of the test set have 784 pixels \(28×28\).*Use data with images of the model's input size/s);
  }
  // prune fine-tunes the model on the data: the same check before training starts.
  const prune = await cli(['prune', '--model', 'wide/model.json', '--train-limit', '200', '--test-limit', '100', '--out', out], dir);
  assertBadInput(prune, /model\.json takes 1024 input values .* have 784 pixels/s);
});

void test('CLI items 8, 9, 11: a 40 KB nested config, a gzip bomb, an out-of-range label are exit 2', async () => {
  const dir = freshOutDir('rel-in-data');
  const out = path.join(dir, 'out');
  await fs.writeFile(path.join(dir, 'deep.json'), '{"train":' + '['.repeat(20000) + ']'.repeat(20000) + '}');
  assertBadInput(await cli(['train', '--config', 'deep.json', '--out', out], dir), /deep\.json nests more than 256 levels of brackets \(at line 1, column \d+\)/);

  const idx = (magic: number, dims: number[], data: Uint8Array): Buffer => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([h, data]);
  };
  const n = 40;
  await fs.writeFile(path.join(dir, 'img'), idx(0x803, [n, 4, 4], new Uint8Array(n * 16)));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
  await fs.writeFile(path.join(dir, 'lbl'), idx(0x801, [n], labels));
  labels[23] = 200;
  await fs.writeFile(path.join(dir, 'lbl200'), idx(0x801, [n], labels));
  // 40 labels declared, then 256 MiB of zeros: 260 KB on disk.
  await fs.writeFile(path.join(dir, 'bomb.gz'), gzipSync(Buffer.concat([idx(0x801, [n], new Uint8Array(0)), Buffer.alloc(256 * 1024 * 1024)])));
  const cfg = async (name: string, trainLabels: string): Promise<string> => {
    await fs.writeFile(path.join(dir, name), JSON.stringify({ data: { source: 'idx', trainImages: 'img', trainLabels, testImages: 'img', testLabels: 'lbl' }, train: { epochs: 1 } }));
    return name;
  };
  assertBadInput(await cli(['train', '--config', await cfg('bomb.json', 'bomb.gz'), '--out', out], dir), /bomb\.gz: decompresses to more than the 48 bytes its IDX header declares/);
  assertBadInput(await cli(['train', '--config', await cfg('l200.json', 'lbl200'), '--out', out], dir), /lbl200: label 200 at index 23 is out of range: the other labels make 4 classes/);
});
