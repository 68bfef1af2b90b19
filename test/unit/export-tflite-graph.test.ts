/**
 * Layer-graph models (issue 10) as TFLite in all four variants, checked in both runtimes — the
 * tfjs-tflite wasm build and Google's current LiteRT.js — against independent references:
 * stock tfjs-core ops for float (tflite-graph-helpers.ts), our int8 reference kernels for
 * full-int8 (bit for bit), and hand-checked quantization parameters.
 */
import { before, describe, test } from 'node:test';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import type { ImageSet } from '../../src/engine/data/dataset';
import { BadInputError } from '../../src/engine/errors';
import { saveTflite, tfliteBytes } from '../../src/engine/export/tflite';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { graphTfliteBytes, type GraphTfliteOptions } from '../../src/engine/export/tflite/graphExport';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { forwardInt8Lowered, quantizeInputValues } from '../../src/engine/export/tflite/int8Ref';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { BuiltinOperator, operatorName, TensorType } from '../../src/engine/export/tflite/schema';
import type { ModelGraph } from '../../src/engine/graph/types';
import { LitertModel } from '../../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import type { TfliteMode } from '../../src/protocol/config';
import type { QuantizedMlp } from '../../src/engine/quantize/fullInt8';
import { mnist, randomModel } from './export-helpers';
import { convnet, functional, GraphMaker, graphFromTfjsLayers, pixelsOf, tfjsForward } from './tflite-graph-helpers';

let train: ImageSet;
let test_: ImageSet;
let calibration: GraphTfliteOptions['calibration'];
let trained: ModelGraph;

/** The convnet with other activations: conv2d `a1`, conv2d_1 `a2`, and an Activation layer `a3` after Flatten. */
function withActivations(a1: string, a2: string, a3: string): ModelGraph {
  const g = convnet(5);
  g.name = `convnet_${a1}_${a2}_${a3}`;
  g.layers.find((l) => l.name === 'conv2d')!.config.activation = a1;
  g.layers.find((l) => l.name === 'conv2d_1')!.config.activation = a2;
  const at = g.layers.findIndex((l) => l.name === 'flatten') + 1;
  g.layers.splice(at, 0, { name: 'activation_x', className: 'Activation', config: { activation: a3 }, inbound: ['flatten'], weights: [] });
  g.layers[at + 1].inbound = ['activation_x'];
  return g;
}

const MODELS: [string, () => ModelGraph][] = [
  ['convnet with hard_swish, swish and hard_sigmoid (an Activation layer: unfolded)', () => withActivations('hard_swish', 'swish', 'hard_sigmoid')],
  ['convnet with hard_sigmoid folded into a conv, swish as an Activation layer', () => withActivations('hard_sigmoid', 'hard_swish', 'swish')],
  ['convnet (Conv-Pool-Conv-Pool-Flatten-Dropout-Dense)', () => convnet()],
  ['functional (Conv-BN-ReLU, DepthwiseConv-BN-ReLU, 1x1 Conv, Add, GAP, Dense)', () => functional()],
  ['functional with SeparableConv, ZeroPadding, AvgPool, Concatenate, sigmoid, tanh, ReLU6, GMP, unfoldable BN', () => functional(3, true)],
];

before(async () => {
  ({ train, test: test_ } = await mnist(4000, 1000));
  calibration = { samples: pixelsOf(train.images, 0, 100), count: 100 };
  // A trained convnet for the accuracy checks: tfjs-layers fit on the wasm backend (with the
  // engine's conv gradient kernels), 4 000 samples, 3 epochs.
  await initBackend('wasm');
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.5, seed: 3 }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(pixelsOf(train.images, 0, train.count), [train.count, 28, 28, 1]);
  const y = tf.tensor1d(Float32Array.from(train.labels));
  await m.fit(x, y, { epochs: 3, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  trained = graphFromTfjsLayers(m, 'trained_convnet');
  m.dispose();
  await tf.setBackend('cpu');
});

const opsOf = (data: Uint8Array): string[] => readTflite(data).operators.map((o) => `${operatorName(o.op)}:${o.version}`);

async function both(data: Uint8Array, name: string): Promise<{ tm: TfliteModel; lm: LitertModel }> {
  const tm = await TfliteModel.load(data, name);
  const lm = await LitertModel.load(data, name);
  return { tm, lm };
}

void describe('float variants in both runtimes', () => {
  for (const [name, make] of MODELS) {
    void test(`${name}: float32 within 1e-5 of stock tfjs ops; float16 and dynamic-int8 close`, async () => {
      const g = make();
      const N = 20;
      const x = pixelsOf(test_.images, 0, N);
      const ref = tfjsForward(g, x, N);
      for (const mode of ['float32', 'float16', 'dynamic-int8'] as TfliteMode[]) {
        const { data } = graphTfliteBytes(g, mode);
        const { tm, lm } = await both(data, `${name} ${mode}`);
        try {
          assert.deepEqual(tm.inputs[0].shape, [1, 28, 28, 1]);
          let dt = 0;
          let dl = 0;
          for (let n = 0; n < N; n++) {
            const xi = x.subarray(n * 784, (n + 1) * 784);
            const a = tm.run(xi);
            const b = await lm.run(xi);
            for (let c = 0; c < 10; c++) {
              dt = Math.max(dt, Math.abs(a[c] - ref[n * 10 + c]));
              dl = Math.max(dl, Math.abs(b[c] - ref[n * 10 + c]));
            }
          }
          const tol = mode === 'float32' ? 1e-5 : 0.02;
          assert.ok(dt <= tol, `${mode}: tfjs-tflite max |Δ| ${dt}`);
          assert.ok(dl <= tol, `${mode}: LiteRT.js max |Δ| ${dl}`);
        } finally {
          tm.dispose();
          lm.dispose();
        }
      }
    });
  }

  void test('float16 stores every float constant as FLOAT16 + DEQUANTIZE v3; dynamic-int8 stores big kernels as int8 (conv per channel on axis 0, FC per tensor)', () => {
    const g = convnet(1, 32, 64);
    const f16 = readTflite(graphTfliteBytes(g, 'float16').data);
    const consts = f16.tensors.filter((t) => t.data && t.type !== TensorType.INT32);
    assert.ok(consts.length >= 6 && consts.every((t) => t.type === TensorType.FLOAT16));
    assert.ok(f16.operators.filter((o) => o.op === BuiltinOperator.DEQUANTIZE).every((o) => o.version === 3));
    const dyn = readTflite(graphTfliteBytes(g, 'dynamic-int8').data);
    const int8 = dyn.tensors.filter((t) => t.type === TensorType.INT8);
    // conv2d_1 (3·3·32·64) and dense (1600·10) are ≥ 1024 elements; conv2d (3·3·1·32) stays float.
    assert.equal(int8.length, 2);
    const convW = int8.find((t) => t.shape.length === 4)!;
    assert.deepEqual(convW.shape, [64, 3, 3, 32]);
    assert.equal(convW.quant?.scale.length, 64);
    assert.equal(convW.quant?.quantizedDimension, 0);
    assert.equal(int8.find((t) => t.shape.length === 2)!.quant?.scale.length, 1);
  });
});

/** Full-int8 outputs against the int8 reference, in both runtimes (LiteRT.js float I/O only). */
async function checkBitExact(g: ModelGraph, opts: GraphTfliteOptions, N: number): Promise<void> {
  const io8 = graphTfliteBytes(g, 'full-int8', { calibration, ...opts, int8Io: true });
  const fio = graphTfliteBytes(g, 'full-int8', { calibration, ...opts });
  const q = io8.quantized!;
  const outP = q.params[io8.lowered.output];
  const tm8 = await TfliteModel.load(io8.data, 'int8 I/O');
  const { tm, lm } = await both(fio.data, 'float I/O');
  let mismatches = 0;
  try {
    assert.equal(tm8.inputs[0].dataType, 'int8');
    for (let n = 0; n < N; n++) {
      const xf = pixelsOf(test_.images, n, 1);
      const xq = quantizeInputValues(q, io8.lowered, xf);
      const ref = forwardInt8Lowered(io8.lowered, q, xq);
      const a = tm8.run(xq);
      const b = tm.run(xf);
      const c = await lm.run(xf);
      for (let j = 0; j < ref.length; j++) {
        const deq = Math.fround(Math.fround(outP.scale) * (ref[j] - outP.zeroPoint));
        mismatches += (a[j] !== ref[j] ? 1 : 0) + (b[j] !== deq ? 1 : 0) + (c[j] !== deq ? 1 : 0);
      }
    }
  } finally {
    tm8.dispose();
    tm.dispose();
    lm.dispose();
  }
  assert.equal(mismatches, 0, `${mismatches} outputs differ from the int8 reference`);
}

void describe('full-integer int8 is bit-exact against our int8 reference in both runtimes', () => {
  for (const [name, make] of MODELS) {
    for (const perChannel of [true, false]) {
      void test(`${name}, ${perChannel ? 'per-channel' : 'per-tensor'} weights`, async () => {
        await checkBitExact(make(), { perChannel }, 60);
      });
    }
  }

  /** The convnet behind a Rescaling(scale, offset) on raw 0..255 pixels; `padding` of its first conv. */
  function rescaled(scale: number, offset: number, padding = 'valid'): ModelGraph {
    const g = convnet(7);
    g.layers.splice(1, 0, { name: 'rescaling', className: 'Rescaling', config: { scale, offset }, inbound: ['input_1'], weights: [] });
    g.layers[2].inbound = ['rescaling'];
    g.layers[2].config.padding = padding;
    if (padding === 'same') {
      // 28×28 stays 28×28: the Dense layer after the second pool reads 6·6·16 values.
      const d = g.layers.find((l) => l.name === 'dense')!;
      d.weights[0] = { ...d.weights[0], shape: [6 * 6 * 16, 10], data: Float32Array.from({ length: 6 * 6 * 16 * 10 }, (_, i) => Math.sin(i) * 0.05) };
    }
    return g;
  }
  const raw = (images: Uint8Array | Float32Array, s: number, n: number) => Float32Array.from(pixelsOf(images, s, n), (v) => Math.round(v * 255));
  const rawCalibration = () => ({ samples: raw(train.images, 0, 100), count: 100 });

  /** float32 within 1e-5 of tfjs, full-int8 (float and int8 I/O) bit-exact with the reference in both runtimes, raw pixels in. */
  async function checkRaw(g: ModelGraph, q: ReturnType<typeof graphTfliteBytes>, q8: ReturnType<typeof graphTfliteBytes>): Promise<void> {
    const f = graphTfliteBytes(g, 'float32');
    const ref = tfjsForward(g, raw(test_.images, 0, 10), 10);
    const tf32 = await TfliteModel.load(f.data, 'float32');
    const { tm, lm } = await both(q.data, 'full-int8');
    const io = await both(q8.data, 'full-int8 int8 I/O');
    const outP = q.quantized!.params[q.lowered.output];
    let maxDiff = 0;
    let mismatches = 0;
    try {
      for (let n = 0; n < 10; n++) {
        const x = raw(test_.images, n, 1);
        const y = tf32.run(x);
        const xq = quantizeInputValues(q.quantized!, q.lowered, x);
        const r = forwardInt8Lowered(q.lowered, q.quantized!, xq);
        const a = tm.run(x);
        const b = await lm.run(x);
        const a8 = io.tm.run(xq);
        const b8 = await io.lm.run(xq);
        for (let c = 0; c < 10; c++) {
          maxDiff = Math.max(maxDiff, Math.abs(y[c] - ref[n * 10 + c]));
          const e = Math.fround(Math.fround(outP.scale) * (r[c] - outP.zeroPoint));
          mismatches += (a[c] !== e ? 1 : 0) + (b[c] !== e ? 1 : 0) + (a8[c] !== r[c] ? 1 : 0) + (b8[c] !== r[c] ? 1 : 0);
        }
      }
    } finally {
      tf32.dispose();
      tm.dispose();
      lm.dispose();
      io.tm.dispose();
      io.lm.dispose();
    }
    assert.ok(maxDiff <= 1e-5, `float32 max |Δ| ${maxDiff}`);
    assert.equal(mismatches, 0);
  }

  void test('Rescaling(1/255, −0.5) before a valid conv: folded in full-int8 — raw pixels − 128 are the int8 input, no MUL/ADD — bit-exact in both runtimes', async () => {
    const g = rescaled(1 / 255, -0.5);
    assert.deepEqual(opsOf(graphTfliteBytes(g, 'float32').data).slice(0, 3), ['MUL:1', 'ADD:1', 'CONV_2D:1']);
    const q = graphTfliteBytes(g, 'full-int8', { calibration: rawCalibration() });
    const q8 = graphTfliteBytes(g, 'full-int8', { calibration: rawCalibration(), int8Io: true });
    assert.deepEqual(opsOf(q.data).slice(0, 2), ['QUANTIZE:1', 'CONV_2D:3']);
    assert.ok(!opsOf(q8.data).some((o) => o.startsWith('MUL') || o.startsWith('ADD')));
    const input = readTflite(q8.data).tensors[readTflite(q8.data).inputs[0]];
    assert.equal(input.type, TensorType.INT8);
    assert.deepEqual([input.quant!.scale[0], input.quant!.zeroPoint[0]], [1, -128]);
    assert.match(readTflite(q8.data).description, /rescaling folded into the input quantization/);
    // Pixel p is the int8 code p − 128.
    assert.deepEqual(Array.from(quantizeInputValues(q8.quantized!, q8.lowered, Float32Array.of(0, 1, 128, 254, 255))), [-128, -127, 0, 126, 127]);
    await checkRaw(g, q, q8);
  });

  void test('Rescaling with an offset before a same-padded conv stays MUL + ADD (padding would see the offset); without an offset it folds', async () => {
    const kept = rescaled(1 / 127.5, -1, 'same');
    const q = graphTfliteBytes(kept, 'full-int8', { calibration: rawCalibration() });
    assert.deepEqual(opsOf(q.data).slice(0, 3), ['QUANTIZE:1', 'MUL:2', 'ADD:2']);
    await checkRaw(kept, q, graphTfliteBytes(kept, 'full-int8', { calibration: rawCalibration(), int8Io: true }));
    const folded = rescaled(1 / 255, 0, 'same');
    const f = graphTfliteBytes(folded, 'full-int8', { calibration: rawCalibration() });
    assert.deepEqual(opsOf(f.data).slice(0, 2), ['QUANTIZE:1', 'CONV_2D:3']);
    await checkRaw(folded, f, graphTfliteBytes(folded, 'full-int8', { calibration: rawCalibration(), int8Io: true }));
    // Asked not to fold: MUL (+ no ADD for offset 0).
    assert.deepEqual(opsOf(graphTfliteBytes(folded, 'full-int8', { calibration: rawCalibration(), foldInputTransform: false }).data).slice(0, 3), ['QUANTIZE:1', 'MUL:2', 'CONV_2D:3']);
  });

  void test('a per-channel normalisation (BatchNormalization on a 3-channel input) folds into a conv and, through Flatten, into a Dense layer', async () => {
    for (const head of ['conv', 'dense', 'rescale+conv'] as const) {
      const m = new GraphMaker(11);
      const x = m.input('input_1', [6, 6, 3]);
      // 'rescale+conv': a Rescaling(2) before the normalisation — the two compose into one transform.
      const r = head === 'rescale+conv' ? m.add('Rescaling', 'rescaling', [x], { scale: 2, offset: 0 }) : x;
      let h = m.add('BatchNormalization', 'normalization', [r], { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true }, [
        ['gamma', [3], 'ones'],
        ['beta', [3], 'bias'],
        ['moving_mean', [3], 'small'],
        ['moving_variance', [3], 'var'],
      ]);
      if (head !== 'dense') {
        h = m.add('Conv2D', 'conv2d', [h], { filters: 4, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', dilationRate: [1, 1], activation: 'relu', useBias: true }, [
          ['kernel', [3, 3, 3, 4], 'glorot', 27, 36],
          ['bias', [4], 'bias'],
        ]);
      }
      h = m.add('Flatten', 'flatten', [h], {});
      const n = head !== 'dense' ? 4 * 4 * 4 : 6 * 6 * 3;
      const y = m.add('Dense', 'dense', [h], { units: 5, activation: 'softmax', useBias: true }, [['kernel', [n, 5], 'glorot', n, 5], ['bias', [5], 'bias']]);
      const g = m.graph(`norm_${head}`, x, y);
      // Raw values 0..255 (the normalisation's moving mean/variance are made for them).
      const norm = g.layers.find((l) => l.name === 'normalization')!;
      norm.weights[2].data.set([120, 90, 60]);
      norm.weights[3].data.set([4000, 3000, 2500]);
      const px = (k: number, count: number) => Float32Array.from({ length: count * 108 }, (_, i) => ((i + k) * 37 + Math.floor(i / 7) * 11) % 256);
      const cal = { samples: px(0, 50), count: 50 };
      const q8 = graphTfliteBytes(g, 'full-int8', { calibration: cal, int8Io: true });
      assert.ok(!opsOf(q8.data).some((o) => o.startsWith('MUL') || o.startsWith('ADD')), opsOf(q8.data).join(' '));
      assert.equal(q8.quantized!.foldedInput, head === 'rescale+conv' ? 'rescaling+normalization' : 'normalization');
      const p = q8.quantized!.params[q8.lowered.input];
      assert.deepEqual([p.scale, p.zeroPoint], [1, -128], 'raw 0..255 input');
      const ref = tfjsForward(g, px(1000, 8), 8);
      const fl = graphTfliteBytes(g, 'float32');
      const { tm, lm } = await both(q8.data, `norm ${head}`);
      const tf32 = await TfliteModel.load(fl.data, 'float32');
      let mismatches = 0;
      let maxDiff = 0;
      try {
        for (let s = 0; s < 8; s++) {
          const xs = px(1000, 8).subarray(s * 108, (s + 1) * 108);
          const xq = quantizeInputValues(q8.quantized!, q8.lowered, xs);
          const r = forwardInt8Lowered(q8.lowered, q8.quantized!, xq);
          const a = tm.run(xq);
          const b = await lm.run(xq);
          tf32.run(xs).forEach((v, c) => (maxDiff = Math.max(maxDiff, Math.abs(v - ref[s * 5 + c]))));
          r.forEach((v, c) => (mismatches += (a[c] !== v ? 1 : 0) + (b[c] !== v ? 1 : 0)));
        }
      } finally {
        tm.dispose();
        lm.dispose();
        tf32.dispose();
      }
      assert.equal(mismatches, 0, head);
      assert.ok(maxDiff <= 1e-5, `${head}: float32 max |Δ| ${maxDiff}`);
    }
  });

  for (const activation of ['hard_swish', 'swish', 'hard_sigmoid', 'sigmoid', 'tanh', 'relu6']) {
    void test(`${activation} alone, int8 I/O: all 256 input codes give the reference's output codes in both runtimes`, async () => {
      const g: ModelGraph = {
        name: `only_${activation}`,
        layers: [
          { name: 'input_1', className: 'InputLayer', config: { shape: [256] }, inbound: [], weights: [] },
          { name: 'act', className: 'Activation', config: { activation }, inbound: ['input_1'], weights: [] },
        ],
        inputs: ['input_1'],
        outputs: ['act'],
      };
      // Inputs over [−7, 5]: an asymmetric range, so the zero point is not 0.
      const samples = Float32Array.from({ length: 256 * 8 }, (_, i) => -7 + (12 * ((i * 7919) % 2048)) / 2047);
      const r = graphTfliteBytes(g, 'full-int8', { calibration: { samples, count: 8 }, int8Io: true });
      const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
      const ref = forwardInt8Lowered(r.lowered, r.quantized!, codes);
      const { tm, lm } = await both(r.data, activation);
      try {
        assert.equal(lm.inputs[0].dataType, 'int8');
        const a = tm.run(codes);
        const b = await lm.run(codes);
        const diff = (y: ArrayLike<number>): number[] => Array.from(codes).filter((_, i) => y[i] !== ref[i]);
        assert.deepEqual(diff(a), [], 'tfjs-tflite: input codes whose output differs');
        assert.deepEqual(diff(b), [], 'LiteRT.js: input codes whose output differs');
        assert.ok(new Set(ref).size > 40, `the outputs use ${new Set(ref).size} codes`);
      } finally {
        tm.dispose();
        lm.dispose();
      }
    });
  }

  void test('a degenerate (all-zero) activation still gets valid parameters, and the file runs bit-exact', async () => {
    const g = convnet(4);
    const c = g.layers.find((l) => l.name === 'conv2d_1')!;
    c.weights[0].data.fill(0);
    c.weights[1].data.fill(-1); // ReLU(−1) = 0 everywhere
    const { lowered, quantized } = graphTfliteBytes(g, 'full-int8', { calibration });
    const t = lowered.ops.find((o) => o.layer === 'conv2d_1')!.output;
    assert.equal(quantized!.ranges[t].max, 0);
    const p = quantized!.params[t];
    assert.ok(p.scale > 0 && Number.isFinite(p.scale));
    assert.ok(Math.abs(p.scale - 1 / 255) < 1e-9, `scale ${p.scale}`);
    assert.equal(p.zeroPoint, -128);
    await checkBitExact(g, {}, 10);
  });

  void test('percentile calibration clips outliers (ranges within min-max) and stays bit-exact', async () => {
    const g = functional();
    const mm = graphTfliteBytes(g, 'full-int8', { calibration }).quantized!;
    const pc = graphTfliteBytes(g, 'full-int8', { calibration, method: { kind: 'percentile', percentile: 99.9 } });
    assert.match(readTflite(pc.data).description, /percentile 99\.9/);
    let narrower = 0;
    pc.quantized!.ranges.forEach((r, i) => {
      assert.ok(r.min >= mm.ranges[i].min - 1e-6 && r.max <= mm.ranges[i].max + 1e-6, `tensor ${i}`);
      narrower += r.max < mm.ranges[i].max - 1e-6 ? 1 : 0;
    });
    assert.ok(narrower > 0, 'some range is clipped');
    await checkBitExact(g, { method: { kind: 'percentile', percentile: 99.9 } }, 20);
  });
});

void describe('the file is what the converter writes', () => {
  void test('BatchNormalization folded, Dropout removed, ReLU fused; op versions the lowest the features need', () => {
    assert.deepEqual(opsOf(graphTfliteBytes(convnet(), 'float32').data), ['CONV_2D:1', 'MAX_POOL_2D:1', 'CONV_2D:1', 'MAX_POOL_2D:1', 'RESHAPE:1', 'FULLY_CONNECTED:1', 'SOFTMAX:1']);
    const fn = graphTfliteBytes(functional(), 'full-int8', { calibration });
    // The per-channel Dense head as a 1×1 CONV_2D between RESHAPEs (XNNPACK's QC8 path, emit.ts fcAsConv).
    assert.deepEqual(opsOf(fn.data), ['QUANTIZE:1', 'CONV_2D:3', 'DEPTHWISE_CONV_2D:3', 'CONV_2D:3', 'ADD:2', 'MEAN:2', 'RESHAPE:1', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2', 'DEQUANTIZE:2']);
    const fnFc = graphTfliteBytes(functional(), 'full-int8', { calibration, perChannelAs: 'fully-connected' });
    assert.deepEqual(opsOf(fnFc.data), ['QUANTIZE:1', 'CONV_2D:3', 'DEPTHWISE_CONV_2D:3', 'CONV_2D:3', 'ADD:2', 'MEAN:2', 'FULLY_CONNECTED:4', 'SOFTMAX:2', 'DEQUANTIZE:2']);
    // The convnet's Flatten writes the [1, 1, 1, 400] view itself: no second RESHAPE before the head.
    assert.deepEqual(opsOf(graphTfliteBytes(convnet(), 'full-int8', { calibration }).data), [
      'QUANTIZE:1', 'CONV_2D:3', 'MAX_POOL_2D:2', 'CONV_2D:3', 'MAX_POOL_2D:2', 'RESHAPE:1', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2', 'DEQUANTIZE:2',
    ]);
    // Both ReLUs fused: the conv and the depthwise conv carry them.
    assert.deepEqual(
      fn.lowered.ops.map((o) => `${o.type}${'act' in o ? `/${o.act}` : ''}`),
      ['conv2d/RELU', 'depthwise/RELU', 'conv2d/NONE', 'add/NONE', 'mean', 'fc/NONE', 'softmax'],
    );
    // The fused activation is in the file too (read back from CONV_2D's options).
    const conv = readTflite(fn.data).operators.find((o) => o.op === BuiltinOperator.CONV_2D)!;
    assert.ok(conv.options.kind === 'conv2d' && conv.options.fusedActivation === 'RELU');
    // The BatchNormalization after a Concatenate cannot be folded: MUL + ADD.
    const ex = opsOf(graphTfliteBytes(functional(3, true), 'float32').data);
    assert.ok(ex.includes('MUL:1') && ex.includes('PAD:1') && ex.includes('REDUCE_MAX:1'), ex.join(', '));
    assert.equal(ex.filter((o) => o === 'DEPTHWISE_CONV_2D:1').length, 2, 'SeparableConv2D = depthwise + 1×1 conv');
  });

  void test('quantization parameters follow the TFLite spec', () => {
    const { data, quantized } = graphTfliteBytes(functional(3, true), 'full-int8', { calibration });
    const g = readTflite(data);
    const q = (t: number) => g.tensors[t].quant!;
    const same = (a: number, b: number) => q(a).scale[0] === q(b).scale[0] && q(a).zeroPoint[0] === q(b).zeroPoint[0];
    let checked = 0;
    for (const o of g.operators) {
      const name = operatorName(o.op);
      if (name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D' || name === 'FULLY_CONNECTED') {
        const [x, w, b] = o.inputs;
        const wq = q(w);
        const axis = name === 'DEPTHWISE_CONV_2D' ? 3 : 0;
        assert.equal(wq.quantizedDimension, axis);
        assert.equal(wq.scale.length, g.tensors[w].shape[axis], `${name}: one scale per output channel`);
        assert.ok(wq.zeroPoint.every((z) => z === 0));
        const wv = new Int8Array(g.tensors[w].data!.buffer, g.tensors[w].data!.byteOffset, g.tensors[w].data!.length);
        assert.ok(wv.every((v) => v >= -127));
        assert.equal(g.tensors[b].type, TensorType.INT32);
        q(b).scale.forEach((s, c) => assert.ok(Math.abs(s - Math.fround(q(x).scale[0] * wq.scale[c])) <= 1e-6 * s));
        checked++;
      }
      if (['MAX_POOL_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'PAD', 'REDUCE_MAX'].includes(name)) {
        assert.ok(same(o.inputs[0], o.outputs[0]), `${name} keeps its input's parameters`);
        checked++;
      }
      if (name === 'CONCATENATION') {
        assert.ok(o.inputs.every((i) => same(i, o.outputs[0])), 'CONCATENATION inputs and output share');
        checked++;
      }
      const fixed: Record<string, [number, number]> = { SOFTMAX: [1 / 256, -128], LOGISTIC: [1 / 256, -128], TANH: [1 / 128, 0] };
      if (fixed[name]) {
        assert.deepEqual([q(o.outputs[0]).scale[0], q(o.outputs[0]).zeroPoint[0]], fixed[name], name);
        checked++;
      }
    }
    assert.ok(checked >= 14, `checked ${checked}`);
    assert.match(g.description, /min-max calibration on 100 samples/);
    assert.ok(quantized!.perChannel);
  });

  void test('an activation without a TFLite form is a clear error naming the layer', () => {
    const g = convnet();
    g.layers.find((l) => l.name === 'conv2d')!.config.activation = 'elu';
    assert.throws(() => graphTfliteBytes(g, 'float32'), (e: unknown) => e instanceof BadInputError && /conv2d/.test(e.message) && /elu/.test(e.message));
  });

  void test('hard_swish is HARD_SWISH, swish LOGISTIC + MUL, hard_sigmoid relu6(1.2x + 3)/6 (folded into the conv before it when it can be)', () => {
    const a = graphTfliteBytes(withActivations('hard_swish', 'swish', 'hard_sigmoid'), 'float32');
    assert.deepEqual(opsOf(a.data), [
      'CONV_2D:1', 'HARD_SWISH:1', 'MAX_POOL_2D:1', 'CONV_2D:1', 'LOGISTIC:1', 'MUL:1', 'MAX_POOL_2D:1', 'RESHAPE:1',
      'MUL:1', 'ADD:1', 'RELU6:1', 'MUL:1', 'FULLY_CONNECTED:1', 'SOFTMAX:1',
    ]);
    const b = graphTfliteBytes(withActivations('hard_sigmoid', 'hard_swish', 'swish'), 'full-int8', { calibration });
    // conv2d's 1.2x + 3 folds into its weights and bias, RELU6 fuses into it: one MUL (× 1/6) is left.
    assert.deepEqual(opsOf(b.data), [
      'QUANTIZE:1', 'CONV_2D:3', 'MUL:2', 'MAX_POOL_2D:2', 'CONV_2D:3', 'HARD_SWISH:1', 'MAX_POOL_2D:2', 'RESHAPE:1',
      'LOGISTIC:2', 'MUL:2', 'RESHAPE:1', 'CONV_2D:3', 'RESHAPE:1', 'SOFTMAX:2', 'DEQUANTIZE:2',
    ]);
    const conv = b.lowered.ops[0];
    assert.ok(conv.type === 'conv2d' && conv.act === 'RELU6');
    const src = withActivations('hard_sigmoid', 'hard_swish', 'swish').layers.find((l) => l.name === 'conv2d')!;
    assert.ok(Math.abs(conv.bias[0] - (src.weights[1].data[0] * 1.2 + 3)) < 1e-6, 'bias · 1.2 + 3');
  });

  void test("the engine's own forward pass of hard_swish / swish / hard_sigmoid (what training runs) matches the float32 file", async () => {
    const g = withActivations('hard_swish', 'swish', 'hard_sigmoid');
    const N = 10;
    const x = pixelsOf(test_.images, 0, N);
    const engine = predictGraph(analyzeGraph(g), x, N);
    const tm = await TfliteModel.load(graphTfliteBytes(g, 'float32').data, 'float32');
    let d = 0;
    try {
      for (let n = 0; n < N; n++) {
        const y = tm.run(x.subarray(n * 784, (n + 1) * 784));
        y.forEach((v, c) => (d = Math.max(d, Math.abs(v - engine[n * 10 + c]))));
      }
    } finally {
      tm.dispose();
    }
    assert.ok(d <= 1e-5, `max |Δ| ${d}`);
  });
});

void describe('a trained convnet: accuracy per variant in both runtimes', () => {
  void test('full-int8 within 1 point of float32, dynamic-int8 within 0.3 point, float16 equal', async () => {
    const N = 1000;
    const acc: Record<string, [number, number]> = {};
    for (const mode of ['float32', 'float16', 'dynamic-int8', 'full-int8'] as TfliteMode[]) {
      const { data } = graphTfliteBytes(trained, mode, { calibration });
      const { tm, lm } = await both(data, mode);
      let ct = 0;
      let cl = 0;
      const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((best, v, i, arr) => (v > arr[best] ? i : best), 0);
      try {
        for (let n = 0; n < N; n++) {
          const x = pixelsOf(test_.images, n, 1);
          ct += argmax(tm.run(x)) === test_.labels[n] ? 1 : 0;
          cl += argmax(await lm.run(x)) === test_.labels[n] ? 1 : 0;
        }
      } finally {
        tm.dispose();
        lm.dispose();
      }
      acc[mode] = [(100 * ct) / N, (100 * cl) / N];
    }
    const f = acc.float32[0];
    assert.ok(f > 85, `float32 accuracy ${f} %`);
    assert.equal(acc.float32[1], f, 'both runtimes agree on float32');
    assert.ok(Math.abs(acc['full-int8'][0] - f) <= 1 && Math.abs(acc['full-int8'][1] - f) <= 1, JSON.stringify(acc));
    assert.ok(Math.abs(acc['dynamic-int8'][0] - f) <= 0.3 && Math.abs(acc['dynamic-int8'][1] - f) <= 0.3, JSON.stringify(acc));
    assert.ok(Math.abs(acc.float16[0] - f) <= 0.3, JSON.stringify(acc));
  });
});

void describe('saveTflite takes a layer graph', () => {
  void test('a Dense-stack graph gives the MLP writer\'s exact bytes; a convnet goes through the graph exporter with the chosen calibration', () => {
    const mlp = randomModel('mnist_model', [784, 16, 10], 5);
    const rep = { images: train.images.subarray(0, 100 * 784), count: 100 };
    for (const mode of ['float32', 'full-int8'] as TfliteMode[]) {
      const a = tfliteBytes(mlp, mode, { representative: rep });
      const b = tfliteBytes(mlpToGraph(mlp), mode, { representative: rep });
      assert.deepEqual(b.data, a.data, mode);
    }
    const c = tfliteBytes(convnet(), 'full-int8', { representative: rep, calibration: { kind: 'percentile', percentile: 99.99 } });
    const g = readTflite(c.data);
    assert.match(g.description, /percentile 99\.99 calibration on 100 samples/);
    assert.ok(g.operators.some((o) => o.op === BuiltinOperator.MAX_POOL_2D));
  });
});

void describe('percentile calibration of a Dense stack', () => {
  void test('the MLP writer uses percentile ranges when asked (it used to calibrate min-max regardless): every activation scale within min-max\'s, the hidden one clipped', () => {
    const mlp = randomModel('mnist_model', [784, 16, 10], 5);
    const rep = { images: train.images.subarray(0, 100 * 784), count: 100 };
    const mm = tfliteBytes(mlp, 'full-int8', { representative: rep });
    const pc = tfliteBytes(mlp, 'full-int8', { representative: rep, calibration: { kind: 'percentile', percentile: 99 } });
    assert.notDeepEqual(pc.data, mm.data, 'the option changes the file');
    const a = mm.quantized as QuantizedMlp;
    const b = pc.quantized as QuantizedMlp;
    b.layers.forEach((l, i) => {
      assert.ok(l.output.scale <= a.layers[i].output.scale * (1 + 1e-6), `${l.name}: ${l.output.scale} vs ${a.layers[i].output.scale}`);
    });
    assert.ok(b.layers[0].output.scale < a.layers[0].output.scale * 0.999, 'the hidden ReLU output range is clipped');
  });
});

void describe('the comparison measures CNN files', () => {
  void test('evaluateModelFile on a Functional full-int8 file: accuracy from the runtime, latency, one sparsity row per weighted op (conv, depthwise, 1x1 conv, dense)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-cnn-tflite-'));
    try {
      const file = path.join(dir, 'functional_full_int8.tflite');
      await saveTflite(functional(), 'full-int8', file, { representative: { images: train.images.subarray(0, 100 * 784), count: 100 } });
      const small = { ...test_, images: test_.images.subarray(0, 200 * 784), labels: test_.labels.subarray(0, 200), count: 200 };
      const r = await evaluateModelFile(file, { model: 'functional', test: small, latencyRuns: 20 });
      assert.equal(r.format, 'tflite');
      assert.equal(r.variant, 'full-int8');
      assert.ok(r.accuracy !== null && r.accuracy >= 0 && r.accuracy <= 1);
      assert.ok(r.latencyUs !== null && r.latencyUs > 0);
      assert.deepEqual(
        r.layers.map((l) => l.name.split('/')[0]),
        ['conv2d', 'depthwise_conv2d', 'conv2d_1', 'dense'],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
