/**
 * A Dense model with the data's normalisation built in (issue 11: a user's CSV or image data)
 * is no plain Dense stack any more, so it goes through the layer-graph exporter. Its full-int8
 * file must still get the fast Dense form (each per-channel Dense as a 1×1 CONV_2D that XNNPACK
 * runs, see emit.ts fcAsConv) with the normalisation folded away, and stay bit-exact with our
 * int8 reference in both real runtimes (tfjs-tflite and LiteRT.js). Input quantization
 * parameters and folded weights are checked against values computed here by hand.
 *
 * Per-feature standardisation (CSV) cannot fold into one input scale: folded, the transform goes
 * into the first Dense's weights and bias (exact) and the raw row is quantized with one scale,
 * which costs the narrow features resolution (foldInput.ts foldResolutionLoss). Float-I/O files
 * then keep the transform in float before QUANTIZE; int8-I/O files (raw int8 in, by contract) fold.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageSet } from '../../src/engine/data/dataset';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { graphTfliteBytes } from '../../src/engine/export/tflite/graphExport';
import { floatOpsOf } from '../../src/engine/export/tflite/emit';
import { MAX_FOLD_RESOLUTION_LOSS } from '../../src/engine/export/tflite/foldInput';
import { forwardInt8Lowered, quantizeInputValues } from '../../src/engine/export/tflite/int8Ref';
import { forwardMixed } from '../../src/engine/export/tflite/mixedRef';
import type { FcOp } from '../../src/engine/export/tflite/lowered';
import { lowerGraph } from '../../src/engine/export/tflite/lower';
import { quantizeLowered } from '../../src/engine/export/tflite/quantizeLowered';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { operatorName } from '../../src/engine/export/tflite/schema';
import type { TfliteGraph } from '../../src/engine/export/tflite/graph';
import { withInputNormalization } from '../../src/engine/export/inputNormalization';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import type { MlpModel } from '../../src/engine/model/mlp';
import { LitertModel } from '../../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { writeTfliteVariants } from '../../src/engine/jobs/export';
import { config } from './data-helpers';
import { mnist, randomModel, rng, tempDir, trainMlp } from './export-helpers';
import { fakeContext } from './train-helpers';

let train: ImageSet;
let test_: ImageSet;
let mlp: MlpModel;

before(async () => {
  ({ train, test: test_ } = await mnist(2000, 300));
  mlp = trainMlp(train, 32, 2);
});

const opsOf = (data: Uint8Array): string[] => readTflite(data).operators.map((o) => `${operatorName(o.op)}:${o.version}`);
const FAST = ['QUANTIZE:1', 'RESHAPE:1', 'CONV_2D:3', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2', 'DEQUANTIZE:2'];
const FAST_INT8_IO = ['RESHAPE:1', 'CONV_2D:3', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2'];
/** The fast form behind the normalisation in float (float multiply and add, then QUANTIZE of the normalised values). */
const FLOAT_PRELUDE = ['MUL:1', 'ADD:1', ...FAST];
const rawPixels = (images: Uint8Array | Float32Array, start: number, count: number): Float32Array => Float32Array.from(images.subarray(start * 784, (start + count) * 784));

/** The MLP behind Rescaling(1/255): raw pixels 0..255 in (an image folder's default normalisation). */
const imageModel = (): ModelGraph => withInputNormalization(mlpToGraph(mlp), { kind: 'scale', mean: [0], std: [255] }, 'keras');

/** Tabular data: 8 features with their own ranges, standardised per feature (a CSV's default) before Dense 16 relu → Dense 3 softmax. */
const MEAN = [0, 5, -3, 10, 1, 2, 7, -4];
const STD = [1, 2, 2, 3, 0.5, 1.5, 3, 1];
function csvModel(): ModelGraph {
  const m = randomModel('csv_model', [8, 16, 3], 5);
  return withInputNormalization(mlpToGraph(m), { kind: 'standardize', mean: MEAN, std: STD }, 'keras');
}
function csvRows(count: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: count * 8 }, (_, i) => MEAN[i % 8] + 3.4 * STD[i % 8] * r());
}

/**
 * Full-int8 with float I/O and with int8 I/O in tfjs-tflite and LiteRT.js, each against its own
 * reference: the int8 kernels (forwardInt8Lowered), behind the float transform when the file keeps
 * it (forwardMixed: float MUL and ADD, then QUANTIZE). Returns the number of differing outputs.
 */
async function bitExactMismatches(g: ModelGraph, cal: { samples: Float32Array; count: number }, xs: Float32Array, n: number): Promise<number> {
  const fio = graphTfliteBytes(g, 'full-int8', { calibration: cal });
  const io8 = graphTfliteBytes(g, 'full-int8', { calibration: cal, int8Io: true });
  const isFloat = floatOpsOf(fio.lowered, new Set(fio.quantized!.foldedInput ? [] : ['input_normalization']));
  const features = xs.length / n;
  const models = [await TfliteModel.load(fio.data, 'float I/O'), await TfliteModel.load(io8.data, 'int8 I/O')];
  const lite = [await LitertModel.load(fio.data, 'float I/O'), await LitertModel.load(io8.data, 'int8 I/O')];
  let mismatches = 0;
  try {
    for (let s = 0; s < n; s++) {
      const x = xs.subarray(s * features, (s + 1) * features);
      const refF = forwardMixed(fio.lowered, fio.quantized!, isFloat, x);
      const xq = quantizeInputValues(io8.quantized!, io8.lowered, x);
      const ref8 = forwardInt8Lowered(io8.lowered, io8.quantized!, xq);
      const outs = [models[0].run(x), await lite[0].run(x), models[1].run(xq), await lite[1].run(xq)];
      refF.forEach((v, c) => (mismatches += (outs[0][c] !== v ? 1 : 0) + (outs[1][c] !== v ? 1 : 0)));
      ref8.forEach((v, c) => (mismatches += (outs[2][c] !== v ? 1 : 0) + (outs[3][c] !== v ? 1 : 0)));
    }
  } finally {
    [...models, ...lite].forEach((m) => m.dispose());
  }
  return mismatches;
}

void describe('a normalised Dense model gets the fast full-int8 form', () => {
  void test('op list: the MLP writer\'s (QUANTIZE, RESHAPE, 1×1 CONV_2D per Dense, RESHAPE, SOFTMAX, DEQUANTIZE), no MUL/ADD; FULLY_CONNECTED v4 only when asked or per-tensor', () => {
    const cal = { samples: rawPixels(train.images, 0, 100), count: 100 };
    const plain = opsOf(tfliteBytes(mlp, 'full-int8', { representative: { images: train.images.subarray(0, 100 * 784), count: 100 } }).data);
    assert.deepEqual(plain, FAST, 'the reference MLP writer form');
    for (const [name, g, c, head] of [
      ['image (Rescaling)', imageModel(), cal, []],
      ['csv (per-feature Normalization, kept in float before QUANTIZE)', csvModel(), { samples: csvRows(100, 1), count: 100 }, ['MUL:1', 'ADD:1']],
    ] as const) {
      assert.deepEqual(opsOf(graphTfliteBytes(g, 'full-int8', { calibration: c }).data), [...head, ...FAST], name);
      assert.deepEqual(opsOf(graphTfliteBytes(g, 'full-int8', { calibration: c, int8Io: true }).data), FAST_INT8_IO, `${name}, int8 I/O: folded`);
      const fc4 = ['QUANTIZE:1', 'FULLY_CONNECTED:4', 'FULLY_CONNECTED:4', 'SOFTMAX:2', 'DEQUANTIZE:2'];
      assert.deepEqual(opsOf(graphTfliteBytes(g, 'full-int8', { calibration: c, perChannelAs: 'fully-connected' }).data), [...head, ...fc4], `${name}, as asked`);
      assert.deepEqual(opsOf(graphTfliteBytes(g, 'full-int8', { calibration: c, perChannel: false }).data), [...head, ...fc4], `${name}, per-tensor`);
    }
    assert.deepEqual(opsOf(graphTfliteBytes(csvModel(), 'full-int8', { calibration: { samples: csvRows(100, 1), count: 100 } }).data), FLOAT_PRELUDE);
    // Through saveTflite's entry point too (what the export stage calls): the graph goes to the graph exporter.
    const viaIndex = tfliteBytes(imageModel(), 'full-int8', { representative: { images: rawPixels(train.images, 0, 100), count: 100 } });
    assert.deepEqual(opsOf(viaIndex.data), FAST);
    // The conv weights are [out, 1, 1, in] with one scale per output channel along axis 0.
    const g = readTflite(viaIndex.data);
    const convs = g.operators.filter((o) => operatorName(o.op) === 'CONV_2D');
    assert.deepEqual(convs.map((o) => g.tensors[o.inputs[1]].shape), [[32, 1, 1, 784], [10, 1, 1, 32]]);
    assert.deepEqual(convs.map((o) => [g.tensors[o.inputs[1]].quant?.scale.length, g.tensors[o.inputs[1]].quant?.quantizedDimension]), [[32, 0], [10, 0]]);
    // Only the input reshape and the one before SOFTMAX: the hidden activation is written [1, 1, 1, 32] directly.
    assert.deepEqual(g.tensors[convs[0].outputs[0]].shape, [1, 1, 1, 32]);
  });

  void test('every Dense runs in XNNPACK in tfjs-tflite (per its profiler); the FULLY_CONNECTED v4 form does not', async () => {
    const cal = { samples: rawPixels(train.images, 0, 100), count: 100 };
    for (const [name, data, builtinFc] of [
      ['conv form', graphTfliteBytes(imageModel(), 'full-int8', { calibration: cal }).data, false],
      ['FULLY_CONNECTED v4', graphTfliteBytes(imageModel(), 'full-int8', { calibration: cal, perChannelAs: 'fully-connected' }).data, true],
    ] as const) {
      const m = await TfliteModel.load(data, name, { profile: true });
      try {
        m.run(rawPixels(test_.images, 0, 1));
        const types = m.profiledNodes().map((n) => n.type);
        assert.ok(types.includes('TfLiteXNNPackDelegate'), `${name}: ${types.join(', ')}`);
        assert.equal(types.includes('FULLY_CONNECTED'), builtinFc, `${name}: ${types.join(', ')}`);
        if (!builtinFc) {
          assert.ok(types.every((t) => ['TfLiteXNNPackDelegate', 'RESHAPE', 'SOFTMAX'].includes(t)), `${name}: ${types.join(', ')}`);
        }
      } finally {
        m.dispose();
      }
    }
  });

  void test('input quantization by hand: Rescaling(1/255) on pixels 0..255 → scale 1, zero point −128; per-feature standardisation → the raw rows\' min-max range, the transform in the first Dense', () => {
    const img = graphTfliteBytes(imageModel(), 'full-int8', { calibration: { samples: rawPixels(train.images, 0, 100), count: 100 } });
    const pi = img.quantized!.params[img.lowered.input];
    // (255 − 0) / 255 = 1; −128 − 0 / 1 = −128: the int8 input is the pixel − 128, exactly.
    assert.deepEqual([pi.scale, pi.zeroPoint], [1, -128]);
    assert.equal(img.quantized!.foldedInput, 'input_normalization');

    // Folding a Rescaling costs no input resolution: raw step 1 · 1/255 = the normalised step 1/255.
    assert.ok(Math.abs(img.inputResolutionLoss! - 1) < 1e-6, `${img.inputResolutionLoss}`);

    const rows = csvRows(100, 1);
    const g = csvModel();
    // TFLite's asymmetric int8 of a range widened to include 0 (spelled out here): scale, zero point.
    const params = (vals: ArrayLike<number>): [number, number] => {
      let lo = 0;
      let hi = 0;
      Array.from(vals).forEach((v) => ((lo = Math.min(lo, v)), (hi = Math.max(hi, v))));
      const scale = Math.fround((hi - lo) / 255);
      return [scale, Math.round(-128 - lo / scale)];
    };
    const z = Float32Array.from(rows, (v, i) => (v - MEAN[i % 8]) / STD[i % 8]);
    // What one raw scale costs: the widest normalised step of a feature (raw step / smallest std) over the normalised step.
    const [rawScale] = params(rows);
    const [zScale] = params(z);
    const loss = rawScale / Math.min(...STD) / zScale;
    assert.ok(loss > MAX_FOLD_RESOLUTION_LOSS, `loss ${loss}`);

    // Float I/O: the transform stays in float, QUANTIZE takes the normalised values (their min-max range).
    const fio = graphTfliteBytes(g, 'full-int8', { calibration: { samples: rows, count: 100 } });
    assert.ok(Math.abs(fio.inputResolutionLoss! / loss - 1) < 1e-3, `${fio.inputResolutionLoss} vs ${loss}`);
    assert.equal(fio.quantized!.foldedInput, undefined);
    const quantize = readTflite(fio.data).operators.find((o) => operatorName(o.op) === 'QUANTIZE')!;
    const qp = readTflite(fio.data).tensors[quantize.outputs[0]].quant!;
    const [zs, zzp] = params(z);
    assert.ok(Math.abs(qp.scale[0] / zs - 1) < 1e-6, `${qp.scale[0]} vs ${zs}`);
    assert.equal(qp.zeroPoint[0], zzp);

    // int8 I/O: raw int8 in, so the transform folds: the raw rows' range is the input's.
    const csv = graphTfliteBytes(g, 'full-int8', { calibration: { samples: rows, count: 100 }, int8Io: true });
    const [scale, zp] = params(rows);
    const pc = csv.quantized!.params[csv.lowered.input];
    assert.equal(pc.scale, scale);
    assert.equal(pc.zeroPoint, zp);
    assert.equal(csv.quantized!.foldedInput, 'input_normalization');
    // No single input scale can express 8 different std: the transform went into the first Dense:
    // w'[o, i] = w[o, i] / std[i], b'[o] = b[o] − Σ_i w[o, i]·mean[i] / std[i].
    const dense = g.layers.find((l) => l.name === 'dense')!;
    const [kernel, bias] = [dense.weights[0].data, dense.weights[1].data]; // Keras [in, out]
    const fc = csv.lowered.ops.find((o) => o.type === 'fc' && o.layer === 'dense') as FcOp;
    assert.equal(fc.inputs[0], csv.lowered.input, 'the first Dense reads the raw input');
    for (let o = 0; o < 16; o++) {
      let b = bias[o];
      for (let i = 0; i < 8; i++) {
        const w = kernel[i * 16 + o];
        assert.ok(Math.abs(fc.weights[o * 8 + i] - w / STD[i]) <= 1e-6 * Math.max(1, Math.abs(w / STD[i])), `w'[${o}, ${i}]`);
        b -= (w * MEAN[i]) / STD[i];
      }
      assert.ok(Math.abs(fc.bias[o] - b) <= 1e-5, `b'[${o}] ${fc.bias[o]} vs ${b}`);
    }
    // The unfolded model on normalised rows = the folded one on raw rows (float reference of the same lowering).
    assert.equal(lowerGraph(g).ops[0].type, 'affine');
  });

  void test('bit-exact with the int8 reference in tfjs-tflite and LiteRT.js, float and int8 I/O: image (Rescaling) and CSV (per-feature)', async () => {
    const img = await bitExactMismatches(imageModel(), { samples: rawPixels(train.images, 0, 100), count: 100 }, rawPixels(test_.images, 0, 40), 40);
    assert.equal(img, 0, `image: ${img} outputs differ`);
    const csv = await bitExactMismatches(csvModel(), { samples: csvRows(100, 1), count: 100 }, csvRows(40, 9), 40);
    assert.equal(csv, 0, `csv: ${csv} outputs differ`);
  });

  void test('a CSV of incomes, ages and ratios: the float-I/O file keeps the standardisation in float and stays within int8 noise of float32; folded (int8 I/O) the narrow features are flattened', async () => {
    const mean = [50000, 45, 0.5];
    const std = [20000, 13, 0.2];
    const g = withInputNormalization(mlpToGraph(randomModel('tabular', [3, 8, 2], 3)), { kind: 'standardize', mean, std }, 'keras');
    const rows = (n: number, seed: number): Float32Array => {
      const r = rng(seed);
      return Float32Array.from({ length: n * 3 }, (_, i) => mean[i % 3] + 3 * std[i % 3] * r());
    };
    const cal = { samples: rows(200, 4), count: 200 };
    const fio = graphTfliteBytes(g, 'full-int8', { calibration: cal });
    const io8 = graphTfliteBytes(g, 'full-int8', { calibration: cal, int8Io: true });
    // Raw step ≈ 1.2e5 / 255 ≈ 470 (about 36 std of the age, 2 300 of the ratio).
    assert.ok(fio.inputResolutionLoss! > 100, `${fio.inputResolutionLoss}`);
    assert.deepEqual(opsOf(fio.data), FLOAT_PRELUDE);
    const models = [await TfliteModel.load(graphTfliteBytes(g, 'float32').data, 'float32'), await TfliteModel.load(fio.data, 'prelude'), await TfliteModel.load(io8.data, 'folded')];
    const outP = io8.quantized!.params[io8.lowered.output];
    let errPrelude = 0;
    let errFolded = 0;
    try {
      const xs = rows(60, 5);
      for (let s = 0; s < 60; s++) {
        const x = xs.subarray(s * 3, s * 3 + 3);
        const y = models[0].run(x);
        const a = models[1].run(x);
        const b = models[2].run(quantizeInputValues(io8.quantized!, io8.lowered, x));
        y.forEach((v, c) => {
          errPrelude = Math.max(errPrelude, Math.abs(a[c] - v));
          errFolded = Math.max(errFolded, Math.abs(outP.scale * (b[c] - outP.zeroPoint) - v));
        });
      }
    } finally {
      models.forEach((m) => m.dispose());
    }
    // A calibration of the unfolded model passed in (the sensitivity scan, the float fallback's files): the same decision from its ranges.
    const q = quantizeLowered(lowerGraph(g), cal.samples, cal.count, true);
    const scan = graphTfliteBytes(g, 'full-int8', { quantized: q });
    assert.deepEqual(opsOf(scan.data), FLOAT_PRELUDE);
    assert.ok(Math.abs(scan.inputResolutionLoss! / fio.inputResolutionLoss! - 1) < 1e-3, `${scan.inputResolutionLoss} vs ${fio.inputResolutionLoss}`);
    assert.deepEqual(opsOf(graphTfliteBytes(g, 'full-int8', { quantized: q, int8Io: true }).data), ['MUL:2', 'ADD:2', 'RESHAPE:1', 'CONV_2D:3', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2']);
    assert.ok(errPrelude <= 0.03, `float transform: max |Δ| vs float32 ${errPrelude} (folded ${errFolded})`);
    assert.ok(errFolded > 4 * errPrelude && errFolded > 0.1, `folded: max |Δ| ${errFolded} (float transform ${errPrelude})`);
  });

  void test('accuracy: the fast file classifies the test images as the FULLY_CONNECTED v4 file did, in both runtimes', async () => {
    const cal = { samples: rawPixels(train.images, 0, 100), count: 100 };
    const files = [graphTfliteBytes(imageModel(), 'full-int8', { calibration: cal }).data, graphTfliteBytes(imageModel(), 'full-int8', { calibration: cal, perChannelAs: 'fully-connected' }).data];
    const correct: number[] = [];
    const preds: number[][] = [];
    for (const data of files) {
      for (const m of [await TfliteModel.load(data, 'f'), await LitertModel.load(data, 'f')]) {
        const p: number[] = [];
        try {
          for (let s = 0; s < test_.count; s++) {
            const y = await m.run(rawPixels(test_.images, s, 1));
            p.push(y.indexOf(Math.max(...y)));
          }
        } finally {
          m.dispose();
        }
        preds.push(p);
        correct.push(p.filter((c, s) => c === test_.labels[s]).length);
      }
    }
    // tfjs-tflite ran the old form in TFLite's builtin kernel (another requantization): at most a rare tie may flip.
    const agree = preds[0].filter((c, s) => c === preds[2][s]).length;
    assert.ok(agree >= test_.count - 2, `${agree}/${test_.count} same class`);
    assert.ok(correct.every((c) => Math.abs(c - correct[0]) <= 2), `correct: ${correct.join(', ')}`);
    assert.ok(correct[0] / test_.count > 0.8, `accuracy ${correct[0] / test_.count}`);
  });
});

void describe('one Dense form in both writers', () => {
  /** Operator by operator: code, version, options, and every input/output tensor's shape, type, quantization and data (names and tensor order aside). */
  function sameButNames(a: TfliteGraph, b: TfliteGraph, what: string): void {
    const strip = (g: TfliteGraph, t: number) => {
      const x = g.tensors[t];
      return { shape: x.shape, type: x.type, quant: x.quant && { scale: x.quant.scale, zeroPoint: x.quant.zeroPoint, quantizedDimension: x.quant.quantizedDimension }, data: x.data ? Buffer.from(x.data).toString('base64') : null };
    };
    assert.deepEqual(b.operators.map((o) => `${operatorName(o.op)}:${o.version}`), a.operators.map((o) => `${operatorName(o.op)}:${o.version}`), what);
    a.operators.forEach((o, k) => {
      const p = b.operators[k];
      assert.deepEqual(p.options, o.options, `${what}: options of operator ${k}`);
      assert.deepEqual(p.inputs.map((t) => strip(b, t)), o.inputs.map((t) => strip(a, t)), `${what}: inputs of operator ${k}`);
      assert.deepEqual(p.outputs.map((t) => strip(b, t)), o.outputs.map((t) => strip(a, t)), `${what}: outputs of operator ${k}`);
    });
    assert.deepEqual(strip(b, b.inputs[0]), strip(a, a.inputs[0]), `${what}: model input`);
  }

  void test('a plain Dense stack through the graph exporter = the MLP writer\'s file, operator for operator and tensor for tensor, in every variant and option', () => {
    const rep = { images: train.images.subarray(0, 100 * 784), count: 100 };
    const cal = { samples: Float32Array.from(rep.images, (v) => v / 255), count: 100 };
    const g = mlpToGraph(mlp);
    for (const mode of ['float32', 'float16', 'dynamic-int8'] as const) {
      sameButNames(readTflite(tfliteBytes(mlp, mode).data), readTflite(graphTfliteBytes(g, mode).data), mode);
    }
    sameButNames(readTflite(tfliteBytes(mlp, 'dynamic-int8', { dynamicForm: 'hybrid' }).data), readTflite(graphTfliteBytes(g, 'dynamic-int8', { dynamicForm: 'hybrid' }).data), 'dynamic-int8 hybrid');
    for (const opts of [{}, { int8Io: true }, { perChannel: false }, { perChannelAs: 'fully-connected' as const }]) {
      sameButNames(readTflite(tfliteBytes(mlp, 'full-int8', { representative: rep, ...opts }).data), readTflite(graphTfliteBytes(g, 'full-int8', { calibration: cal, ...opts }).data), `full-int8 ${JSON.stringify(opts)}`);
    }
  });
});

void describe('the export stage with CSV data (incomes, ages, ratios; standardised per column)', () => {
  void test('float I/O: the normalisation in float before QUANTIZE, no warning; int8 I/O: folded, and the run warns that narrow columns lose resolution', async () => {
    const dir = await tempDir('dense-norm-csv');
    try {
      const r = rng(21);
      const row = (): string => {
        const income = 50000 + 60000 * r();
        const age = 45 + 40 * r();
        const ratio = 0.5 + 0.6 * r();
        return `${income.toFixed(0)},${age.toFixed(1)},${ratio.toFixed(3)},${age > 45 ? 1 : 0}`;
      };
      const csv = (n: number): string => ['income,age,ratio,label', ...Array.from({ length: n }, row)].join('\n');
      await fs.writeFile(path.join(dir, 'train.csv'), csv(300));
      await fs.writeFile(path.join(dir, 'test.csv'), csv(50));
      const model = mlpToGraph(randomModel('tabular', [3, 8, 2], 4));
      for (const int8Io of [false, true]) {
        const base = config({ source: 'csv', trainFile: path.join(dir, 'train.csv'), testFile: path.join(dir, 'test.csv'), normalize: 'standardize' });
        const cfg = { ...base, quantize: { ...base.quantize, representativeSamples: 100, int8Io } };
        const ctx = fakeContext(cfg, dir);
        const warned: { code: string; message: string }[] = [];
        ctx.warn = (code: string, message: string) => void warned.push({ code, message });
        const [w] = await writeTfliteVariants(ctx, model, ['full-int8'], int8Io ? 'io8' : 'fio');
        const ops = opsOf(new Uint8Array(await fs.readFile(w.evalPath)));
        const warnings = warned.filter((e) => e.code === 'int8-input-resolution');
        if (int8Io) {
          assert.deepEqual(ops, FAST_INT8_IO);
          assert.equal(warnings.length, 1);
          assert.match(warnings[0].message, /io8\/tabular_full_int8\.tflite takes raw int8 input/);
          assert.match(warnings[0].message, /int8Io: false/);
        } else {
          assert.deepEqual(ops, FLOAT_PRELUDE);
          assert.equal(warnings.length, 0);
        }
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
