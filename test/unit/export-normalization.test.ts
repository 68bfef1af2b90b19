/**
 * The data's normalisation built into exported files (issue 11): each file fed RAW values gives
 * what the engine's graph gives on normalised values — checked in independent readers: the .h5
 * by h5py + NumPy (Keras' Rescaling / Normalization semantics written out in NumPy), TF.js by
 * stock tfjs-layers `loadLayersModel`, TFLite in the tfjs-tflite runtime (float32 within 1e-5,
 * full-int8 within its quantization error). Reading such a file back for training strips the
 * layers only when they compute the data's normalisation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Normalization } from '../../src/engine/data/dataset';
import { rawInputSet, sampleSet } from '../../src/engine/data/dataset';
import { BadInputError } from '../../src/engine/errors';
import { includesNormalization, stripInputNormalization, withInputNormalization, hasInputNormalization } from '../../src/engine/export/inputNormalization';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import type { ModelGraph } from '../../src/engine/graph/types';
import { loadModelFile } from '../../src/engine/import';
import { kindOf } from '../../src/engine/layers/registry';
import { takesRawInput } from '../../src/engine/report/rawInput';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { operatorName } from '../../src/engine/export/tflite/schema';
import { python } from './data-helpers';
import { fileHandler } from './export-helpers';
import { GraphMaker } from './tflite-graph-helpers';

const SHAPE = [4, 4, 3];
const F = 48;
const N = 64;

/** Input [4,4,3] → Flatten → Dense 6 relu → Dense 3 softmax, seeded weights. */
function smallModel(): ModelGraph {
  const m = new GraphMaker(5);
  const x = m.input('input_1', SHAPE);
  let h = m.add('Flatten', 'flatten', [x], {});
  h = m.add('Dense', 'dense', [h], { units: 6, activation: 'relu', useBias: true }, [['kernel', [F, 6], 'glorot', F, 6], ['bias', [6], 'bias']]);
  const y = m.add('Dense', 'dense_1', [h], { units: 3, activation: 'softmax', useBias: true }, [['kernel', [6, 3], 'glorot', 6, 3], ['bias', [3], 'bias']]);
  return m.graph('norm_model', x, y);
}

/** Raw pixel bytes 0…255 of N samples (a fixed pseudo-random pattern). */
function rawPixels(): Uint8Array {
  let s = 12345;
  return Uint8Array.from({ length: N * F }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 16) & 255;
  });
}

function normalise(raw: Uint8Array, n: Normalization): Float32Array {
  const k = n.mean.length;
  return Float32Array.from(raw, (v, i) => (v - n.mean[(i % F) % k]) / n.std[(i % F) % k]);
}

const NORMS: [string, Normalization][] = [
  ['one value (minus1to1)', { kind: 'minus1to1', mean: [127.5], std: [127.5] }],
  ['per channel', { kind: 'meanStd', mean: [120, 100, 140], std: [60, 50, 70] }],
  ['per feature (standardize)', { kind: 'standardize', mean: Array.from({ length: F }, (_, f) => 100 + f), std: Array.from({ length: F }, (_, f) => 40 + (f % 7) * 5) }],
];

let dir: string;
const graph = smallModel();
const raw = rawPixels();

before(async () => {
  await tf.setBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-norm-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

/** h5py reads the file; NumPy computes Keras' Rescaling / Normalization / Flatten / Dense on the raw input. */
const PY_H5_FORWARD = `
import h5py
f = h5py.File(sys.argv[1], 'r')
cfg = json.loads(f.attrs['model_config'])
x = np.frombuffer(open(sys.argv[2], 'rb').read(), dtype=np.float32).reshape([-1] + json.loads(sys.argv[3])).astype(np.float64)
classes = []
for layer in cfg['config']['layers']:
    c, k = layer['config'], layer['class_name']
    classes.append(k)
    w = f['model_weights'].get(c['name'])
    if k == 'InputLayer': continue
    if k == 'Rescaling': x = x * c['scale'] + c['offset']
    elif k == 'Normalization':
        axis = c['axis'] if isinstance(c['axis'], list) else [c['axis']]
        keep = [a % x.ndim for a in axis]
        shape = [x.shape[d] if d in keep else 1 for d in range(x.ndim)]
        mean = (np.array(c['mean']) * np.ones([x.shape[d] for d in keep])).reshape(shape)
        var = (np.array(c['variance']) * np.ones([x.shape[d] for d in keep])).reshape(shape)
        x = (x - mean) / np.maximum(np.sqrt(var), 1e-7)
    elif k == 'Flatten': x = x.reshape(x.shape[0], -1)
    elif k == 'Dense':
        x = x @ np.array(w[c['name']]['kernel:0']) + np.array(w[c['name']]['bias:0'])
        if c['activation'] == 'relu': x = np.maximum(x, 0)
        elif c['activation'] == 'softmax':
            e = np.exp(x - x.max(axis=1, keepdims=True)); x = e / e.sum(axis=1, keepdims=True)
    else: raise SystemExit('unexpected layer ' + k)
print(json.dumps({'classes': classes, 'y': x.ravel().tolist()}))
`;

void test('the Normalization kind: Keras semantics (nested per-axis statistics, max(√var, 1e-7)) against hand values', () => {
  const kind = kindOf('Normalization', 'input_normalization');
  const cfg = kind.parseConfig({ name: 'n', axis: -1, mean: [1, 2], variance: [4, 0], invert: false }, 'n');
  const y = kind.forward(cfg, [], [tf.tensor([[3, 2], [5, 2.5]], [2, 2])], false);
  // (3 − 1)/2 = 1, (2 − 2)/max(0, 1e-7) = 0, (5 − 1)/2 = 2, (2.5 − 2)/1e-7 = 5e6.
  const got = Array.from(y.dataSync());
  assert.deepEqual(got.slice(0, 3), [1, 0, 2]);
  assert.ok(Math.abs(got[3] - 5e6) < 1, String(got[3]));
  // Per-position statistics over two axes, written as nested lists.
  const c2 = kind.parseConfig({ name: 'n', axis: [1, 2], mean: [[0, 1], [2, 3]], variance: [[1, 1], [4, 4]] }, 'n');
  assert.deepEqual(c2.statsShape, [2, 2]);
  const y2 = kind.forward(c2, [], [tf.tensor([[[[10], [10]], [[10], [10]]]], [1, 2, 2, 1])], false);
  assert.deepEqual(Array.from(y2.dataSync()), [10, 9, 4, 3.5]);
  assert.throws(() => kind.parseConfig({ name: 'n', invert: true, mean: 0, variance: 1 }, 'n'), BadInputError);
  assert.throws(() => kind.parseConfig({ name: 'n', mean: [1, 2], variance: [1] }, 'n'), BadInputError);
});

void test('which runs build the normalisation in by default: not mnist / idx (0.1.0 files take x / 255), every other source', () => {
  const scale: Normalization = { kind: 'scale', mean: [0], std: [255] };
  assert.equal(includesNormalization(undefined, 'mnist', scale), false);
  assert.equal(includesNormalization(undefined, 'idx', scale), false);
  assert.equal(includesNormalization(undefined, 'image-folder', scale), true);
  assert.equal(includesNormalization(undefined, 'csv', scale), true);
  assert.equal(includesNormalization(true, 'mnist', scale), true);
  assert.equal(includesNormalization(false, 'npy', scale), false);
  // Nothing to build in for "none".
  assert.equal(includesNormalization(true, 'csv', { kind: 'none', mean: [0], std: [1] }), false);
});

for (const [label, norm] of NORMS) {
  void describe(`normalisation ${label}`, () => {
    const xNorm = normalise(raw, norm);
    let engine: Float32Array;
    before(() => {
      engine = predictGraph(analyzeGraph(graph), xNorm, N);
    });

    void test('.h5 (h5py + NumPy) on raw values = the engine on normalised values', async () => {
      const file = path.join(dir, `${norm.kind}.h5`);
      await saveKerasH5Graph(withInputNormalization(graph, norm, 'keras'), file);
      const rawFile = path.join(dir, `${norm.kind}.raw.f32`);
      await fs.writeFile(rawFile, Float32Array.from(raw));
      const r = python<{ classes: string[]; y: number[] }>(PY_H5_FORWARD, file, rawFile, JSON.stringify(SHAPE));
      assert.deepEqual(r.classes, ['InputLayer', norm.mean.length === 1 ? 'Rescaling' : 'Normalization', 'Flatten', 'Dense', 'Dense']);
      assert.ok(maxDiff(r.y, engine) < 1e-5, `max diff ${maxDiff(r.y, engine)}`);
      assert.equal(await takesRawInput(file), true);
      // Read back for training: the layers go, the graph computes what it computed before.
      const back = await loadModelFile(file);
      const stripped = stripInputNormalization(back, norm, file);
      assert.equal(stripped.stripped, true);
      assert.equal(hasInputNormalization(stripped.graph), false);
      assert.ok(maxDiff(predictGraph(analyzeGraph(stripped.graph), xNorm, N), engine) < 1e-6);
      // Trained for other data: refused, naming both normalisations.
      const other: Normalization = { kind: 'scale', mean: [0], std: [255] };
      assert.throws(() => stripInputNormalization(back, other, file), (e: unknown) => e instanceof BadInputError && /built in/.test(e.message) && /x \/ 255/.test(e.message));
    });

    void test('TF.js (stock tfjs-layers loadLayersModel) on raw values = the engine on normalised values', async () => {
      const folder = path.join(dir, `${norm.kind}_tfjs`);
      const { modelJson } = await saveTfjsGraph(withInputNormalization(graph, norm, 'tfjs'), folder);
      const m = await tfl.loadLayersModel(fileHandler(modelJson));
      const layerClasses = m.layers.map((l) => l.getClassName());
      assert.ok(layerClasses.includes(norm.mean.length === 1 ? 'Rescaling' : 'BatchNormalization'), layerClasses.join());
      const y = m.predict(tf.tensor(Float32Array.from(raw), [N, ...SHAPE])) as tf.Tensor;
      assert.ok(maxDiff(y.dataSync(), engine) < 1e-5, `max diff ${maxDiff(y.dataSync(), engine)}`);
      m.dispose();
      assert.equal(await takesRawInput(modelJson), true);
      const back = stripInputNormalization(await loadModelFile(modelJson), norm, modelJson);
      assert.ok(back.stripped && maxDiff(predictGraph(analyzeGraph(back.graph), xNorm, N), engine) < 1e-6);
    });

    void test('TFLite float32 and full-int8 (tfjs-tflite) on raw values = the engine on normalised values', async () => {
      const withNorm = withInputNormalization(graph, norm, 'keras');
      const rawF = Float32Array.from(raw);
      const float = tfliteBytes(withNorm, 'float32');
      const int8 = tfliteBytes(withNorm, 'full-int8', { representative: { images: rawF, count: N } });
      for (const [variant, bytes, tol] of [['float32', float.data, 1e-5], ['full-int8', int8.data, 0.06]] as const) {
        const model = await TfliteModel.load(bytes, variant);
        try {
          const out = new Float32Array(N * 3);
          let agree = 0;
          for (let n = 0; n < N; n++) {
            const y = model.run(rawF.subarray(n * F, (n + 1) * F));
            out.set(y, n * 3);
            const am = (a: ArrayLike<number>, o: number): number => [0, 1, 2].reduce((b, j) => (a[o + j] > a[o + b] ? j : b), 0);
            agree += am(y, 0) === am(engine, n * 3) ? 1 : 0;
          }
          assert.ok(maxDiff(out, engine) < tol, `${variant}: max diff ${maxDiff(out, engine)}`);
          assert.ok(agree >= (variant === 'float32' ? N : N - 4), `${variant}: ${agree} / ${N} argmax agree`);
        } finally {
          model.dispose();
        }
        const file = path.join(dir, `${norm.kind}_${variant}.tflite`);
        await fs.writeFile(file, bytes);
        const ops = readTflite(bytes).operators.map((o) => operatorName(o.op));
        if (variant === 'full-int8' && norm.kind !== 'standardize') {
          // Right after the input, the transform is folded into the input quantization and the Dense weights (export/tflite/foldInput.ts):
          // no MUL/ADD, and nothing in the file says so — the run record does (next test).
          assert.ok(!ops.includes('MUL') && !ops.includes('ADD'), ops.join());
          assert.equal(await takesRawInput(file), false, 'no trace in a folded file');
        } else {
          assert.ok(ops.includes('MUL'), `${variant}: ${ops.join()}`);
          assert.equal(await takesRawInput(file), true, variant);
        }
      }
    });
  });
}

void test('rawInputSet gives back the bytes exactly from normalised uint8 data, and the values from float data', () => {
  const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);
  const norm: Normalization = { kind: 'meanStd', mean: [120, 100, 140], std: [60, 50, 70] };
  const stored = sampleSet(Float32Array.from(bytes, (v, i) => (v - norm.mean[i % 3]) / norm.std[i % 3]), [0, 1], [3], 2);
  assert.deepEqual(Array.from(rawInputSet(stored, norm, 'uint8').images), Array.from(bytes));
  const floats = Float32Array.from([-1.5, 0.25, 3e3, 7, 8, 9]);
  const storedF = sampleSet(Float32Array.from(floats, (v, i) => (v - norm.mean[i % 3]) / norm.std[i % 3]), [0, 1], [3], 2);
  assert.ok(maxDiff(rawInputSet(storedF, norm, 'float32').images, floats) < 1e-3);
  // 'scale' data is stored as the bytes themselves.
  assert.deepEqual(Array.from(rawInputSet(sampleSet(bytes, [0, 1], [3], 2), { kind: 'scale', mean: [0], std: [255] }, 'uint8').images), Array.from(bytes));
});

void test('a graph without the layers is left alone; a file that has them is not given them twice', async () => {
  assert.deepEqual(stripInputNormalization(graph, NORMS[0][1], 'g'), { graph, stripped: false });
  assert.equal(await takesRawInput(await saveTfjsGraph(graph, path.join(dir, 'plain')).then((r) => r.modelJson)), false);
  const once = withInputNormalization(graph, NORMS[1][1], 'keras');
  assert.throws(() => withInputNormalization(once, NORMS[1][1], 'keras'), BadInputError);
});

void test('a .tflite with the transform folded away (no trace in the file): the run record that wrote it says it takes raw values', async () => {
  const out = path.join(dir, 'out');
  await fs.mkdir(path.join(out, 'runs', 'r1'), { recursive: true });
  const file = path.join(out, 'runs', 'r1', 'm_full_int8.tflite');
  await fs.writeFile(file, tfliteBytes(graph, 'float32').data);
  await fs.writeFile(path.join(out, 'm_full_int8.tflite'), tfliteBytes(graph, 'float32').data);
  assert.equal(await takesRawInput(file, out), false, 'no record yet');
  const row = { path: 'm_full_int8.tflite', input: 'raw' };
  await fs.writeFile(path.join(out, 'runs', 'r1.json'), JSON.stringify({ version: 1, job: 'pipeline', runDir: 'runs/r1', report: [row] }));
  // An evaluate run's row does not count (it repeats what it was told).
  await fs.writeFile(path.join(out, 'runs', 'r2.json'), JSON.stringify({ version: 1, job: 'evaluate', report: [{ ...row, input: 'normalized' }] }));
  assert.equal(await takesRawInput(file, out), true, 'in its run folder');
  assert.equal(await takesRawInput(path.join(out, 'm_full_int8.tflite'), out), true, 'its published copy');
  assert.equal(await takesRawInput(file), false, 'without the output folder there is nothing to ask');
  await fs.writeFile(path.join(out, 'runs', 'r3.json'), JSON.stringify({ version: 1, job: 'pipeline', runDir: 'runs/r3', report: [{ ...row, input: 'normalized' }] }));
  assert.equal(await takesRawInput(path.join(out, 'm_full_int8.tflite'), out), false, 'the newest run that wrote the path wins');
});
