/**
 * Shared by the import tests: the real Keras files in ../shared/fixtures/keras, and an
 * independent reader of them (test/unit/keras_reference.py on Debian's h5py + numpy) whose
 * weights, and MNIST accuracy, the importers are checked against.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mnistPackagePaths } from '../../src/engine/data/mnist';

/**
 * ../shared/fixtures/keras beside the repository (CI's layout and /work/main's); a worktree
 * one level deeper finds it one level up; MODEL_OPTIMIZER_KERAS_FIXTURES overrides.
 */
export const FIXTURES_DIR =
  process.env.MODEL_OPTIMIZER_KERAS_FIXTURES ??
  [path.resolve(__dirname, '../../../shared/fixtures/keras'), path.resolve(__dirname, '../../../../shared/fixtures/keras')].find((d) => existsSync(d)) ??
  path.resolve(__dirname, '../../../shared/fixtures/keras');
/** Every fixture file, and whether it is an MNIST classifier (28×28×1, 10 classes). */
export const FIXTURES: { file: string; mnist: boolean }[] = [
  { file: 'mnist_cnn_keras2.14.h5', mnist: true },
  { file: 'mnist_cnn_keras2.15.h5', mnist: true },
  { file: 'mnist_cnn_keras3.13.keras', mnist: true },
  { file: 'teachable_machine_keras_model.h5', mnist: false },
];

export const PYTHON = '/usr/bin/python3';

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `mo-${prefix}-`));
}

/** False (and the test skipped, outside CI) when Debian's h5py is missing; in CI it fails. */
export function requireH5py(t: TestContext): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
  if (probe.status === 0) {
    return true;
  }
  const reason = `${PYTHON} has no h5py/numpy (apt-get install -y python3-h5py python3-numpy)`;
  if (process.env.CI) {
    throw new Error(reason);
  }
  t.skip(reason);
  return false;
}

export function python(script: string, args: string[]): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`python failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

export interface ReferenceWeight {
  layer: string;
  name: string | null;
  index: number;
  shape: number[];
  data: Float32Array;
}

export interface Reference {
  format: string;
  keras_version: string;
  topology: { class_name: string; config: Record<string, unknown> };
  weights: ReferenceWeight[];
  /** Test accuracy of the numpy forward pass on the first `count` MNIST test images. */
  accuracy: number | null;
  count: number;
  /** The numpy forward pass's class per image. */
  predictions: number[];
}

/** Runs keras_reference.py on `file`; with `mnistCount`, also the numpy MNIST accuracy. */
export async function pythonReference(file: string, mnistCount = 0): Promise<Reference> {
  const out = await tempDir('ref');
  try {
    const args = [path.join(__dirname, 'keras_reference.py'), file, out];
    if (mnistCount > 0) {
      const p = mnistPackagePaths();
      args.push(p.testImages, p.testLabels, String(mnistCount));
    }
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      throw new Error(`keras_reference.py failed: ${r.stderr}`);
    }
    const json = JSON.parse(await fs.readFile(path.join(out, 'reference.json'), 'utf8')) as Omit<Reference, 'weights'> & { weights: (Omit<ReferenceWeight, 'data'> & { offset: number })[] };
    const bin = await fs.readFile(path.join(out, 'weights.bin'));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const weights = json.weights.map((w) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      return { layer: w.layer, name: w.name, index: w.index, shape: w.shape, data: all.slice(w.offset, w.offset + n) };
    });
    return { ...json, weights };
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}

/** The stored Keras JSON in the form tfjs-layers reads (Keras 3 spells a few things differently). */
function forTfjsLayers(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map(forTfjsLayers);
  }
  if (typeof v !== 'object' || v === null) {
    return v;
  }
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'batch_shape') {
      o.batch_input_shape = x;
    } else if (k === 'dtype' && typeof x === 'object' && x !== null) {
      o.dtype = 'float32';
    } else if (!['module', 'registered_name', 'build_config', 'compile_config', 'optional', 'quantization_config'].includes(k)) {
      o[k] = forTfjsLayers(x);
    }
  }
  return o;
}

function leafLayers(l: tfl.layers.Layer): tfl.layers.Layer[] {
  const inner = (l as unknown as { layers?: tfl.layers.Layer[] }).layers;
  return Array.isArray(inner) ? inner.flatMap(leafLayers) : [l];
}

/** Stock tfjs-layers model from the file's JSON, with h5py's weights set layer by layer. */
export async function referenceModel(ref: Reference): Promise<tfl.LayersModel> {
  const model = await tfl.models.modelFromJSON({ modelTopology: forTfjsLayers(ref.topology) as tf.io.ModelJSON['modelTopology'] });
  let set = 0;
  for (const layer of leafLayers(model)) {
    if (layer.weights.length === 0) {
      continue;
    }
    const mine = ref.weights.filter((w) => w.layer === layer.name);
    const values = layer.weights.map((lw, i) => {
      const short = lw.originalName.split('/').pop()?.replace(/:\d+$/, '');
      const w = mine.find((r) => (r.name === null ? r.index === i : r.name === short));
      assert.ok(w, `h5py has ${layer.name}/${short}`);
      return tf.tensor(w.data, w.shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
    set += values.length;
  }
  assert.equal(set, ref.weights.length, 'every h5py weight went into the reference model');
  return model;
}

