/**
 * The worker behind fuzz-inputs.test.ts: builds valid files of one format, then feeds the
 * engine `count` seeded mutations of them (byte flips, truncations, huge declared lengths,
 * token swaps in JSON, gzip bombs) through the same entry points the CLI uses. Each input
 * is announced before it runs so the parent's watchdog and memory sampler can attribute a
 * hang or a memory spike to it. Not a test file itself (no .test. in the name).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { BadInputError } from '../../src/engine/errors';
import { saveKerasH5 } from '../../src/engine/export/kerasH5Graph';
import { saveMlpTfjs } from './mlp-files';
import { saveTflite } from '../../src/engine/export/tflite';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { initBackend } from '../../src/engine/backend';
import { loadConfigFile } from '../../src/engine/config/load';
import { loadData } from '../../src/engine/data/load';
import { mnistPackagePaths, readImageSet, takeFirst } from '../../src/engine/data/mnist';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import type { MlpModel } from '../../src/engine/model/mlp';
import { loadModelFile } from '../../src/engine/import';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';

export type FuzzFormat = 'tflite' | 'h5' | 'keras' | 'model.json' | 'idx' | 'npy' | 'csv' | 'image' | 'config';

export interface FuzzJob {
  format: FuzzFormat;
  seed: number;
  count: number;
  dir: string;
  /** The real Keras files (../shared/fixtures/keras), when present. */
  fixturesDir?: string;
}

export type FuzzMessage =
  | { type: 'ready' }
  | { type: 'start'; i: number; mutation: string }
  | { type: 'end'; i: number; ms: number; outcome: 'ok' | 'bad-input' | 'bug'; message: string; input?: string }
  | { type: 'done' };

const job = workerData as FuzzJob;
const post = (m: FuzzMessage): void => parentPort!.postMessage(m);

/** xorshift32: small, seedable, independent of Math.random. */
function rng(seed: number): () => number {
  // murmur3's finaliser first: consecutive seeds (one per input) must not give similar streams.
  let s = seed >>> 0;
  s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
  s = (s ^ (s >>> 16)) >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

/** True while the unmutated base files are checked (they must load). */
let identity = false;

const HUGE = [0x7fffffff, 0xffffffff, 0x80000000, 0x40000000, 0x10000000, 0xfffffff0];

/** One binary mutation; returns the new bytes and its description. */
function mutateBytes(base: Uint8Array, r: Rand, littleEndian: boolean, align: number, pick: (r: Rand) => number = (rr) => int(rr, base.length)): [Uint8Array, string] {
  const b = Buffer.from(base);
  if (identity) {
    return [b, 'unmutated'];
  }
  switch (int(r, 5)) {
    case 0: {
      const k = 1 + int(r, 8);
      for (let j = 0; j < k; j++) {
        b[pick(r)] ^= 1 + int(r, 255);
      }
      return [b, `flip ${k} bytes`];
    }
    case 1: {
      const at = int(r, b.length);
      return [b.subarray(0, at), `truncate to ${at}`];
    }
    case 2:
    case 3: {
      const at = Math.min(b.length - 4, Math.floor(pick(r) / align) * align);
      const v = r() < 0.8 ? HUGE[int(r, HUGE.length)] : b.length + int(r, 64) - 32;
      if (littleEndian) {
        b.writeUInt32LE(v >>> 0, at);
      } else {
        b.writeUInt32BE(v >>> 0, at);
      }
      return [b, `u32 at ${at} = 0x${(v >>> 0).toString(16)}`];
    }
    default: {
      // A run of the file repeated over itself (shifts every offset after it).
      const from = int(r, b.length);
      const to = pick(r);
      const n = Math.min(1 + int(r, 64), b.length - Math.max(from, to));
      b.copy(b, to, from, from + n);
      return [b, `copy ${n} bytes ${from} → ${to}`];
    }
  }
}

const JSON_VALUES = ['1e308', '-1', '4294967295', '0', '2.5', 'null', 'true', '"x"', '[]', '{}', '9007199254740993', '-2147483648', '"../../../../etc/passwd"', '"/dev/zero"'];

/** One text mutation of a JSON document. */
function mutateJson(text: string, r: Rand): [string, string] {
  if (identity) {
    return [text, 'unmutated'];
  }
  const choice = int(r, 6);
  if (choice <= 1) {
    const [b, d] = mutateBytes(Buffer.from(text), r, true, 1);
    return [Buffer.from(b).toString('latin1'), d];
  }
  if (choice === 2) {
    // Replace one number literal.
    const nums = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
    if (nums.length) {
      const m = nums[int(r, nums.length)];
      const v = JSON_VALUES[int(r, JSON_VALUES.length)];
      return [text.slice(0, m.index) + v + text.slice(m.index + m[0].length), `number ${m[0]} → ${v}`];
    }
  }
  if (choice === 3) {
    // Replace one string literal.
    const strs = [...text.matchAll(/"(?:[^"\\]|\\.)*"/g)];
    if (strs.length) {
      const m = strs[int(r, strs.length)];
      const v = JSON_VALUES[int(r, JSON_VALUES.length)];
      return [text.slice(0, m.index) + v + text.slice(m.index + m[0].length), `string ${m[0].slice(0, 30)} → ${v}`];
    }
  }
  if (choice === 4) {
    // Deep nesting at a value position.
    const at = text.indexOf(':', int(r, text.length));
    const depth = [100, 300, 5000][int(r, 3)];
    if (at >= 0) {
      return [text.slice(0, at + 1) + '['.repeat(depth) + ']'.repeat(depth) + ',' + text.slice(at + 1), `nest ${depth} deep`];
    }
  }
  // Delete a random span.
  const from = int(r, text.length);
  const n = 1 + int(r, 40);
  return [text.slice(0, from) + text.slice(from + n), `delete ${n} chars at ${from}`];
}

/**
 * Runs every entry point on the same input, each on its own: one refusing the input must not
 * hide another crashing on it. Rethrows the first non-BadInputError, else the first BadInputError.
 */
async function probe(...entryPoints: (() => Promise<unknown>)[]): Promise<void> {
  let bad: BadInputError | undefined;
  for (const ep of entryPoints) {
    try {
      await ep();
    } catch (err) {
      if (!(err instanceof BadInputError)) {
        throw err;
      }
      bad ??= err;
    }
  }
  if (bad) {
    throw bad;
  }
}

/** A .npy file by hand (format 1.0), as numpy.save writes it. */
function npyBytes(descr: string, shape: number[], data: Uint8Array): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = Buffer.from(dict + ' '.repeat(pad % 64) + '\n', 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  return Buffer.concat([pre, header, data]);
}

/** Replaces one number in the first `span` bytes (a header written as text) with a huge or odd one. */
function mutateHeaderNumber(b: Uint8Array, r: Rand, span: number): [Uint8Array, string] {
  if (identity) {
    return [b, 'unmutated'];
  }
  const text = Buffer.from(b.subarray(0, span)).toString('latin1');
  const nums = [...text.matchAll(/\d+/g)];
  if (!nums.length) {
    return [b, 'unmutated'];
  }
  const m = nums[int(r, nums.length)];
  const v = ['4294967295', '99999999999', '0', '18446744073709551615', '-1', '1e9'][int(r, 6)];
  const out = Buffer.concat([Buffer.from(b.subarray(0, m.index)), Buffer.from(v, 'latin1'), Buffer.from(b.subarray(m.index + m[0].length))]);
  return [out, `header number ${m[0]} → ${v}`];
}

function smallModel(name: string): MlpModel {
  const r = rng(42);
  const dims = [784, 12, 10];
  return {
    name,
    inputDim: 784,
    layers: dims.slice(1).map((units, i) => ({
      name: i === 0 ? 'dense' : `dense_${i}`,
      inputDim: dims[i],
      units,
      activation: i === dims.length - 2 ? ('softmax' as const) : ('relu' as const),
      kernel: Float32Array.from({ length: dims[i] * units }, () => r() - 0.5),
      bias: Float32Array.from({ length: units }, () => 0.1 * r()),
    })),
  };
}

function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, data]);
}

async function main(): Promise<void> {
  const dir = job.dir;
  await fs.mkdir(dir, { recursive: true });
  // As the CLI does before a job (tfjs-layers needs a backend to evaluate a TF.js model).
  await initBackend('cpu');
  const p = mnistPackagePaths();
  const test = takeFirst(await readImageSet(p.testImages, p.testLabels, 10), 20);
  const model = smallModel('fuzz');

  /** What the current input is: set by `run` before it calls the engine, so a failure can name it. */
  const current = { mutation: '', input: '' };
  let run: (i: number, r: Rand) => Promise<void>;
  switch (job.format) {
    case 'tflite': {
      const bases: { bytes: Uint8Array; structure: (r: Rand) => number }[] = [];
      for (const mode of ['float32', 'dynamic-int8', 'float16', 'full-int8'] as const) {
        const f = path.join(dir, `base-${mode}.tflite`);
        await saveTflite(model, mode, f, { representative: test });
        const bytes = new Uint8Array(await fs.readFile(f));
        // Weights are most of the file; aim 3 of 4 mutations at the flatbuffer structure.
        const isData = new Uint8Array(bytes.length);
        for (const t of readTflite(bytes).tensors) {
          if (t.data) {
            isData.fill(1, t.data.byteOffset - bytes.byteOffset, t.data.byteOffset - bytes.byteOffset + t.data.length);
          }
        }
        const structural = [...isData.keys()].filter((k) => !isData[k]);
        bases.push({ bytes, structure: (r) => (r() < 0.75 ? structural[int(r, structural.length)] : int(r, bytes.length)) });
      }
      run = async (i, r) => {
        const base = bases[i % bases.length];
        const [bytes, mutation] = mutateBytes(base.bytes, r, true, 4, base.structure);
        const f = path.join(dir, 'input.tflite');
        await fs.writeFile(f, bytes);
        Object.assign(current, { mutation, input: f });
        await evaluateModelFile(f, { test, latencyRuns: 0 });
      };
      break;
    }
    case 'h5': {
      const f0 = path.join(dir, 'base.h5');
      await saveKerasH5(model, f0);
      const bases = [await fs.readFile(f0)];
      // A real Keras 2.14 CNN as well, when the fixtures are beside the repository (CI).
      if (job.fixturesDir) {
        bases.push(await fs.readFile(path.join(job.fixturesDir, 'mnist_cnn_keras2.14.h5')));
      }
      run = async (i, r) => {
        const base = bases[i % bases.length];
        const [bytes, mutation] = mutateBytes(base, r, true, r() < 0.5 ? 1 : 8, (rr) => (rr() < 0.7 ? int(rr, Math.min(base.length, 8192)) : int(rr, base.length)));
        const f = path.join(dir, 'input.h5');
        await fs.writeFile(f, bytes);
        Object.assign(current, { mutation: `${i % bases.length ? 'keras2.14 ' : ''}${mutation}`, input: f });
        // evaluate's reader, and the importer prune/quantize/train use for a user's model.
        await probe(
          () => evaluateModelFile(f, { test, latencyRuns: 0 }),
          () => loadModelFile(f),
        );
      };
      break;
    }
    case 'model.json': {
      const baseDir = path.join(dir, 'base');
      await saveMlpTfjs(model, baseDir);
      const json = await fs.readFile(path.join(baseDir, 'model.json'), 'utf8');
      const shardName = (JSON.parse(json) as { weightsManifest: { paths: string[] }[] }).weightsManifest[0].paths[0];
      const shard = await fs.readFile(path.join(baseDir, shardName));
      const m = path.join(dir, 'm');
      await fs.mkdir(m, { recursive: true });
      run = async (_i, r) => {
        let text = json;
        let weights: Uint8Array = shard;
        let mutation: string;
        if (r() < 0.8) {
          [text, mutation] = mutateJson(json, r);
        } else {
          [weights, mutation] = mutateBytes(shard, r, true, 4);
          mutation = `weights: ${mutation}`;
        }
        await fs.writeFile(path.join(m, 'model.json'), text, 'latin1');
        await fs.writeFile(path.join(m, shardName), weights);
        Object.assign(current, { mutation, input: path.join(m, mutation.startsWith('weights') ? shardName : 'model.json') });
        // The two ways a model.json is read: evaluated (importer + tfjs-layers), and as the model to prune/quantize.
        await probe(
          () => evaluateModelFile(path.join(m, 'model.json'), { test, latencyRuns: 0 }),
          () => loadModelFile(m),
        );
      };
      break;
    }
    case 'idx': {
      const n = 60;
      const images = idxBytes(0x803, [n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, k) => (k * 7) & 255));
      const labels = idxBytes(0x801, [n], Uint8Array.from({ length: n }, (_, k) => k % 10));
      const files = { img: path.join(dir, 'img'), lbl: path.join(dir, 'lbl'), timg: path.join(dir, 'timg'), tlbl: path.join(dir, 'tlbl') };
      const config: RunConfig = {
        ...DEFAULT_CONFIG,
        data: { ...DEFAULT_CONFIG.data, source: 'idx', trainImages: files.img, trainLabels: files.lbl, testImages: files.timg, testLabels: files.tlbl },
      };
      // Gzip bombs, made once (outside the timed inputs): the real header, then 64 MiB of zeros.
      const bombs = [images.subarray(0, 16), labels.subarray(0, 8)].map((h) => gzipSync(Buffer.concat([h, Buffer.alloc(64 * 1024 * 1024)])));
      run = async (i, r) => {
        const which = i % 4;
        const gz = !identity && r() < 0.4;
        await fs.writeFile(files.img, images);
        await fs.writeFile(files.lbl, labels);
        await fs.writeFile(files.timg, images);
        await fs.writeFile(files.tlbl, labels);
        const target = [files.img, files.lbl, files.timg, files.tlbl][which];
        const base = which % 2 === 0 ? images : labels;
        let bytes: Uint8Array;
        let mutation: string;
        if (gz && r() < 0.15) {
          bytes = bombs[which % 2];
          mutation = 'gzip bomb (64 MiB of zeros)';
        } else if (gz) {
          const [m, d] = r() < 0.5 ? mutateBytes(gzipSync(base), r, true, 1) : mutateBytes(base, r, false, 4);
          bytes = d.startsWith('flip') || d.startsWith('truncate') || d.startsWith('copy') ? m : gzipSync(m);
          mutation = `gzip: ${d}`;
        } else {
          [bytes, mutation] = mutateBytes(base, r, false, 4);
        }
        await fs.writeFile(target, bytes);
        Object.assign(current, { mutation: `${path.basename(target)}: ${mutation}`, input: target });
        await loadData(config);
      };
      break;
    }
    case 'keras': {
      if (!job.fixturesDir) {
        throw new Error('the Keras fixtures are missing');
      }
      const base = await fs.readFile(path.join(job.fixturesDir, 'mnist_cnn_keras3.13.keras'));
      // Zip structure lives in the local headers and the central directory at the end.
      const pick = (rr: Rand): number => (rr() < 0.5 ? base.length - 1 - int(rr, Math.min(base.length, 4096)) : int(rr, base.length));
      run = async (_i, r) => {
        const [bytes, mutation] = mutateBytes(base, r, true, r() < 0.5 ? 1 : 2, pick);
        const f = path.join(dir, 'input.keras');
        await fs.writeFile(f, bytes);
        Object.assign(current, { mutation, input: f });
        await loadModelFile(f);
      };
      break;
    }
    case 'npy': {
      const n = 40;
      const files = { x: path.join(dir, 'x.npy'), y: path.join(dir, 'y.npy'), tx: path.join(dir, 'tx.npy'), ty: path.join(dir, 'ty.npy') };
      const x = npyBytes('|u1', [n, 8, 8], Uint8Array.from({ length: n * 64 }, (_, k) => (k * 13) & 255));
      const yLabels = new BigInt64Array(Array.from({ length: n }, (_, k) => BigInt(k % 4)));
      const y = npyBytes('<i8', [n], new Uint8Array(yLabels.buffer));
      const config: RunConfig = {
        ...DEFAULT_CONFIG,
        data: { ...DEFAULT_CONFIG.data, source: 'npy', trainImages: files.x, trainLabels: files.y, testImages: files.tx, testLabels: files.ty },
      };
      run = async (i, r) => {
        await Promise.all([fs.writeFile(files.x, x), fs.writeFile(files.y, y), fs.writeFile(files.tx, x), fs.writeFile(files.ty, y)]);
        const which = i % 4;
        const target = [files.x, files.y, files.tx, files.ty][which];
        const base = which % 2 === 0 ? x : y;
        const [bytes, mutation] = r() < 0.3 ? mutateHeaderNumber(base, r, 128) : mutateBytes(base, r, true, 4, (rr) => (rr() < 0.6 ? int(rr, 128) : int(rr, base.length)));
        await fs.writeFile(target, bytes);
        Object.assign(current, { mutation: `${path.basename(target)}: ${mutation}`, input: target });
        await loadData(config);
      };
      break;
    }
    case 'csv': {
      const rows = ['label,' + Array.from({ length: 6 }, (_, k) => `f${k}`).join(',')];
      for (let k = 0; k < 30; k++) {
        rows.push([k % 3, ...Array.from({ length: 6 }, (_, j) => ((k * 7 + j * 3) % 50) / 10)].join(','));
      }
      const base = rows.join('\n') + '\n';
      const files = { train: path.join(dir, 'train.csv'), test: path.join(dir, 'test.csv') };
      const config: RunConfig = { ...DEFAULT_CONFIG, data: { ...DEFAULT_CONFIG.data, source: 'csv', trainFile: files.train, testFile: files.test } };
      run = async (i, r) => {
        const [text, mutation] = mutateJson(base, r);
        const target = i % 2 ? files.test : files.train;
        await fs.writeFile(files.train, base);
        await fs.writeFile(files.test, base);
        await fs.writeFile(target, text, 'latin1');
        Object.assign(current, { mutation: `${path.basename(target)}: ${mutation}`, input: target });
        await loadData(config);
      };
      break;
    }
    case 'image': {
      // Two classes of 8×8 images, three each, in train/ and test/: PNGs in a/, JPEGs in b/
      // (PNG chunks carry CRCs, so most damaged PNGs stop there; JPEG has none and reaches the decoder).
      const rgba = (v: number): Buffer => Buffer.from(Array.from({ length: 256 }, (_, k) => (k % 4 === 3 ? 255 : (v * 40 + (k >> 2)) & 255)));
      const png = (v: number): Buffer => {
        const img = new PNG({ width: 8, height: 8 });
        rgba(v).copy(img.data);
        return PNG.sync.write(img);
      };
      const jpg = (v: number): Buffer => jpeg.encode({ data: rgba(v), width: 8, height: 8 }, 90).data;
      const images = { a: [0, 1, 2].map(png), b: [0, 1, 2].map(jpg) };
      const ext = { a: 'png', b: 'jpg' };
      for (const split of ['train', 'test']) {
        for (const c of ['a', 'b']) {
          await fs.mkdir(path.join(dir, split, c), { recursive: true });
        }
      }
      const config: RunConfig = {
        ...DEFAULT_CONFIG,
        data: { ...DEFAULT_CONFIG.data, source: 'image-folder', trainDir: path.join(dir, 'train'), testDir: path.join(dir, 'test'), colorMode: 'grayscale' },
      };
      run = async (i, r) => {
        for (const split of ['train', 'test']) {
          for (const c of ['a', 'b']) {
            for (let k = 0; k < 3; k++) {
              await fs.writeFile(path.join(dir, split, c, `${k}.${ext[c as 'a' | 'b']}`), images[c as 'a' | 'b'][k]);
            }
          }
        }
        const c = i % 4 < 2 ? 'b' : 'a';
        const target = path.join(dir, i % 2 ? 'test' : 'train', c, `${i % 3}.${ext[c]}`);
        const [bytes, mutation] = mutateBytes(images[c][i % 3], r, false, 4);
        await fs.writeFile(target, bytes);
        Object.assign(current, { mutation: `${path.relative(dir, target)}: ${mutation}`, input: target });
        await loadData(config);
      };
      break;
    }
    case 'config': {
      // Every setting there is, with its default value.
      const base = JSON.stringify(DEFAULT_CONFIG, null, 2);
      const f = path.join(dir, 'model-optimizer.json');
      run = async (_i, r) => {
        const [text, mutation] = mutateJson(base, r);
        await fs.writeFile(f, text, 'latin1');
        Object.assign(current, { mutation, input: f });
        await loadConfigFile(f);
      };
      break;
    }
  }

  // The unmutated files must load, or the mutations test nothing.
  identity = true;
  try {
    await run(0, rng(1));
  } catch (err) {
    post({ type: 'end', i: -1, ms: 0, outcome: 'bug', message: `the unmutated ${job.format} input is refused: ${(err as Error).message}` });
  }
  identity = false;
  post({ type: 'ready' });
  for (let i = 0; i < job.count; i++) {
    const r = rng(job.seed * 1_000_003 + i);
    post({ type: 'start', i, mutation: '' });
    const t0 = performance.now();
    let outcome: 'ok' | 'bad-input' | 'bug' = 'ok';
    let message = '';
    Object.assign(current, { mutation: '', input: '' });
    try {
      await run(i, r);
    } catch (err) {
      if (err instanceof BadInputError) {
        outcome = 'bad-input';
        message = err.message;
      } else {
        outcome = 'bug';
        message = `${(err as Error).stack ?? String(err)}`.split('\n').slice(0, 6).join('\n');
      }
    }
    const ms = performance.now() - t0;
    let input: string | undefined;
    if (outcome === 'bug' && current.input) {
      // Keep the input for reproduction.
      input = path.join(dir, `bug-${i}-${path.basename(current.input)}`);
      await fs.copyFile(current.input, input);
    }
    post({ type: 'end', i, ms, outcome, message: outcome === 'ok' ? current.mutation : `${current.mutation}: ${message}`, input });
  }
  post({ type: 'done' });
}

main().catch((err: unknown) => {
  throw err;
});
