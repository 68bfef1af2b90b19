/**
 * TFLite export checked against independent references: the real TFLite runtime (the
 * wasm build shipped in @tensorflow/tfjs-tflite), a plain-JS float forward pass, and
 * hand-written int8 arithmetic. Model: a small MLP trained with plain-JS SGD on 4 000 MNIST
 * samples (accuracy is not the point; agreement is).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageSet } from '../../src/engine/data/dataset';
import { saveTflite, tfliteBytes } from '../../src/engine/export/tflite';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { BuiltinOperator, TensorType } from '../../src/engine/export/tflite/schema';
import { BadInputError } from '../../src/engine/errors';
import type { MlpModel } from '../../src/engine/model/mlp';
import { argmaxRows, forwardMlp } from '../../src/engine/quantize/forward';
import { dequantize, forwardInt8, quantizeInput } from '../../src/engine/quantize/fullInt8';
import { tfliteStats } from '../../src/engine/report/fileStats';
import { runTfliteOnTest } from '../../src/engine/report/evaluateFile';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import type { TfliteMode } from '../../src/protocol/config';
import { listDir, mnist, pruneMagnitude, randomModel, tempDir, trainMlp } from './export-helpers';

let train: ImageSet;
let test_: ImageSet;
let model: MlpModel;
let floatPred: Int32Array;
let floatAcc: number;
let dir: string;

const MODES: TfliteMode[] = ['float32', 'float16', 'dynamic-int8', 'full-int8'];

before(async () => {
  ({ train, test: test_ } = await mnist(4000, 10000));
  // 784-64-10 with half of every kernel pruned: zeros must survive every format.
  model = pruneMagnitude(trainMlp(train, 64, 3), 0.5);
  const probs = forwardMlp(model, test_.images, test_.count);
  floatPred = argmaxRows(probs, test_.count, 10);
  floatAcc = floatPred.reduce((n, p, i) => n + (p === test_.labels[i] ? 1 : 0), 0) / test_.count;
  dir = await tempDir('tflite');
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const rep = () => ({ images: train.images.subarray(0, 200 * 784), count: 200 });

void describe('TFLite variants in the real runtime', () => {
  for (const mode of MODES) {
    void test(`${mode}: loads, agrees with the float model on ≥ 99 % of the MNIST test set, accuracy within 1 point`, async () => {
      const { data } = tfliteBytes(model, mode, { representative: rep(), perChannel: true });
      const r = await runTfliteOnTest(data, test_, mode);
      try {
        assert.equal(r.model.inputs[0].dataType, 'float32');
        assert.deepEqual(r.model.inputs[0].shape, [1, 784]);
        assert.deepEqual(r.model.outputs[0].shape, [1, 10]);
        const pred = argmaxRows(r.outputs, test_.count, 10);
        const agree = pred.reduce((n, p, i) => n + (p === floatPred[i] ? 1 : 0), 0) / test_.count;
        assert.ok(agree >= 0.99, `argmax agreement ${agree}`);
        assert.ok(Math.abs(r.accuracy - floatAcc) <= 0.01, `accuracy ${r.accuracy} vs float ${floatAcc}`);
        assert.ok(floatAcc > 0.85, `float accuracy ${floatAcc}`);
        if (mode === 'float32') {
          // Same weights, same math: probabilities equal to float32 rounding.
          const ref = forwardMlp(model, test_.images, 100, 50);
          const batch = r.model.runImages(test_.images, 50, 100, 784);
          assert.equal(batch.length, 100);
          batch.forEach((y, n) =>
            y.forEach((v, c) => assert.ok(Math.abs(v - ref[n * 10 + c]) < 1e-5, `sample ${n} class ${c}: ${v} vs ${ref[n * 10 + c]}`)),
          );
        }
      } finally {
        r.model.dispose();
      }
    });
  }
});

void describe('full-integer int8 matches hand-written int8 arithmetic bit for bit', () => {
  const cases: { perChannel: boolean; int8Io: boolean; perChannelAs?: 'conv2d' | 'fully-connected' }[] = [
    { perChannel: true, int8Io: false },
    { perChannel: true, int8Io: true },
    { perChannel: false, int8Io: false },
    { perChannel: false, int8Io: true },
    // The converter's layout (per-channel FULLY_CONNECTED, TFLite's builtin kernel).
    { perChannel: true, int8Io: false, perChannelAs: 'fully-connected' },
  ];
  for (const { perChannel, int8Io, perChannelAs } of cases) {
    void test(`${perChannel ? 'per-channel' : 'per-tensor'} weights, ${int8Io ? 'int8' : 'float'} I/O${perChannelAs ? `, as ${perChannelAs}` : ''}`, async () => {
      const { data, quantized } = tfliteBytes(model, 'full-int8', { representative: rep(), perChannel, int8Io, perChannelAs });
      assert.ok(quantized);
      const N = 256;
      const xq = quantizeInput(quantized, test_.images, 0, N);
      const expected = forwardInt8(quantized, xq, N);
      const m = await TfliteModel.load(data);
      try {
        assert.equal(m.inputs[0].dataType, int8Io ? 'int8' : 'float32');
        assert.equal(m.outputs[0].dataType, int8Io ? 'int8' : 'float32');
        const expectedOut = int8Io ? expected : dequantize(expected, quantized.output);
        const input = new Float32Array(784);
        let mismatches = 0;
        for (let n = 0; n < N; n++) {
          let y;
          if (int8Io) {
            y = m.run(xq.subarray(n * 784, (n + 1) * 784));
          } else {
            for (let i = 0; i < 784; i++) {
              input[i] = test_.images[n * 784 + i] / 255;
            }
            y = m.run(input);
          }
          for (let c = 0; c < 10; c++) {
            if (y[c] !== expectedOut[n * 10 + c]) {
              mismatches++;
            }
          }
        }
        assert.equal(mismatches, 0, `${mismatches} of ${N * 10} outputs differ from the int8 reference`);
      } finally {
        m.dispose();
      }
    });
  }

  void test('quantization parameters follow the spec', () => {
    const { data, quantized } = tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: true });
    assert.ok(quantized);
    const g = readTflite(data);
    // Per-channel Dense layers are written as 1×1 CONV_2D (XNNPACK's QC8 path), no FULLY_CONNECTED.
    assert.equal(g.operators.filter((o) => o.op === BuiltinOperator.FULLY_CONNECTED).length, 0);
    const fcs = g.operators.filter((o) => o.op === BuiltinOperator.CONV_2D);
    assert.equal(fcs.length, 2);
    for (const [i, fc] of fcs.entries()) {
      const [x, w, b] = fc.inputs.map((t) => g.tensors[t]);
      const y = g.tensors[fc.outputs[0]];
      assert.equal(fc.version, 3, 'CONV_2D int8 is version 3');
      assert.equal(x.type, TensorType.INT8);
      assert.equal(w.type, TensorType.INT8);
      assert.equal(b.type, TensorType.INT32);
      assert.deepEqual(x.shape, [1, 1, 1, quantized.layers[i].inputDim], 'NHWC view of the activations');
      assert.deepEqual(y.shape, [1, 1, 1, quantized.layers[i].units]);
      assert.deepEqual(w.shape, [quantized.layers[i].units, 1, 1, quantized.layers[i].inputDim], 'filters are [out, 1, 1, in]');
      assert.equal(w.quant?.scale.length, quantized.layers[i].units, 'per-channel scales');
      assert.equal(w.quant?.quantizedDimension, 0, 'scales along the output channels');
      assert.ok(w.quant?.zeroPoint.every((z) => z === 0), 'symmetric weights');
      const wq = new Int8Array(w.data!.buffer, w.data!.byteOffset, w.data!.length);
      assert.ok(wq.every((v) => v >= -127), 'symmetric range excludes -128');
      // bias scale = input scale × weight scale, per channel
      b.quant!.scale.forEach((s, c) => assert.ok(Math.abs(s - Math.fround(x.quant!.scale[0] * w.quant!.scale[c])) <= 1e-6 * s));
      // fused ReLU on the hidden layer, and its zero point sits at the bottom of the range
      if (i === 0) {
        assert.ok(fc.options.kind === 'conv2d' && fc.options.fusedActivation === 'RELU');
        assert.equal(g.tensors[fc.outputs[0]].quant?.zeroPoint[0], -128);
      }
    }
    const sm = g.operators.find((o) => o.op === BuiltinOperator.SOFTMAX)!;
    const smOut = g.tensors[sm.outputs[0]].quant!;
    assert.equal(smOut.scale[0], 1 / 256);
    assert.equal(smOut.zeroPoint[0], -128);
    // input range calibrated from pixels in [0, 1]
    const q = g.tensors[g.operators[0].outputs[0]].quant!;
    assert.ok(Math.abs(q.scale[0] - 1 / 255) < 1e-7);
    assert.equal(q.zeroPoint[0], -128);
  });

  void test('per-tensor switch writes one scale per weight tensor, in FULLY_CONNECTED v4', () => {
    const { data } = tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: false });
    const g = readTflite(data);
    const fcs = g.operators.filter((o) => o.op === BuiltinOperator.FULLY_CONNECTED);
    assert.equal(fcs.length, 2);
    for (const fc of fcs) {
      assert.equal(fc.version, 4);
      assert.equal(g.tensors[fc.inputs[1]].quant?.scale.length, 1);
    }
  });

  void test('every Dense layer runs in XNNPACK (no builtin FULLY_CONNECTED / CONV_2D kernel), per the runtime profiler', async () => {
    const variants: [string, Uint8Array][] = [
      ['float32', tfliteBytes(model, 'float32').data],
      ['dynamic-int8', tfliteBytes(model, 'dynamic-int8').data],
      ['full-int8 per-channel', tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: true }).data],
      ['full-int8 per-tensor', tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: false }).data],
      ['full-int8 per-channel int8 I/O', tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: true, int8Io: true }).data],
    ];
    for (const [name, data] of variants) {
      const m = await TfliteModel.load(data, name, { profile: true });
      try {
        m.run(new Float32Array(784));
        const types = m.profiledNodes().map((n) => n.type);
        assert.ok(types.includes('TfLiteXNNPackDelegate'), `${name}: ${types.join(', ')}`);
        // Left to builtin kernels at most: RESHAPE (a copy) and the int8 SOFTMAX (10 values).
        for (const t of types) {
          assert.ok(['TfLiteXNNPackDelegate', 'RESHAPE', 'SOFTMAX'].includes(t), `${name}: ${t} runs outside XNNPACK`);
        }
      } finally {
        m.dispose();
      }
    }
    // The forms we avoid do fall back to builtin kernels (why the defaults are what they are).
    for (const [name, data] of [
      ['hybrid', tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'hybrid' }).data],
      ['per-channel FULLY_CONNECTED', tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: true, perChannelAs: 'fully-connected' }).data],
    ] as const) {
      const m = await TfliteModel.load(data, name, { profile: true });
      try {
        m.run(new Float32Array(784));
        assert.ok(m.profiledNodes().some((n) => n.type === 'FULLY_CONNECTED'), `${name} expected in the builtin kernel`);
      } finally {
        m.dispose();
      }
    }
  });
});

void describe('file layout', () => {
  void test('buffer data is 16-byte aligned, operator codes carry both codes, sparsity survives', () => {
    for (const mode of MODES) {
      const { data } = tfliteBytes(model, mode, { representative: rep() });
      assert.equal(new TextDecoder().decode(data.subarray(4, 8)), 'TFL3');
      const g = readTflite(data);
      for (const t of g.tensors) {
        if (t.data) {
          assert.equal(t.data.byteOffset % 16, 0, `${mode}: ${t.name} data at offset ${t.data.byteOffset}`);
        }
      }
      const stats = tfliteStats(g);
      assert.equal(stats.layers.length, 2);
      assert.equal(stats.params, 784 * 64 + 64 + 64 * 10 + 10, `${mode}: parameters counted once, RESHAPE shapes excluded`);
      for (const l of stats.layers) {
        assert.ok(l.sparsity >= 0.5, `${mode}: ${l.name} sparsity ${l.sparsity}`);
      }
      if (mode === 'dynamic-int8') {
        // 784×64 ≥ 1024 elements → int8 (DEQUANTIZE v2 → float FC); 64×10 < 1024 → stays float
        const fcs = g.operators.filter((o) => o.op === BuiltinOperator.FULLY_CONNECTED);
        assert.ok(fcs.every((o) => o.version === 1 && g.tensors[o.inputs[0]].type === TensorType.FLOAT32));
        const dq = g.operators.find((o) => o.outputs[0] === fcs[0].inputs[1]);
        assert.ok(dq && dq.op === BuiltinOperator.DEQUANTIZE && dq.version === 2);
        const wq = g.tensors[dq.inputs[0]];
        assert.equal(wq.type, TensorType.INT8);
        assert.equal(wq.quant?.scale.length, 1, 'per-tensor scale');
        assert.equal(wq.data?.length, 784 * 64, 'one byte per weight');
        assert.equal(g.tensors[fcs[1].inputs[1]].type, TensorType.FLOAT32);
        assert.ok(g.tensors[fcs[1].inputs[1]].data);
      }
    }
    const { data } = tfliteBytes(model, 'full-int8', { representative: rep() });
    const g = readTflite(data);
    assert.equal(g.version, 3);
    const codes = g.operatorCodes.map((c) => c.builtinCode).sort((x, y) => x - y);
    assert.deepEqual(codes, [BuiltinOperator.CONV_2D, BuiltinOperator.DEQUANTIZE, BuiltinOperator.RESHAPE, BuiltinOperator.SOFTMAX, BuiltinOperator.QUANTIZE]);
    // Every RESHAPE carries its target both as a constant input and in its options.
    for (const r of g.operators.filter((o) => o.op === BuiltinOperator.RESHAPE)) {
      const shapeT = g.tensors[r.inputs[1]];
      assert.equal(shapeT.type, TensorType.INT32);
      const fromInput = Array.from(new Int32Array(shapeT.data!.slice().buffer));
      assert.ok(r.options.kind === 'reshape');
      assert.deepEqual(fromInput, r.options.newShape);
      assert.deepEqual(g.tensors[r.outputs[0]].shape, r.options.newShape);
    }
    for (const c of g.operatorCodes) {
      // deprecated_builtin_code = min(code, 127): 114 (QUANTIZE) fits in the byte field too.
      assert.equal(c.deprecatedBuiltinCode, Math.min(c.builtinCode, 127));
    }
  });
});

void describe('bad input', () => {
  void test('corrupt bytes give a clear error from the reader and the runtime', async () => {
    const { data } = tfliteBytes(model, 'float32');
    const corrupt = data.slice(0, 200);
    assert.throws(() => readTflite(new Uint8Array([1, 2, 3]), 'x.tflite'), (e: Error) => e instanceof BadInputError && /x\.tflite is not a valid TFLite file/.test(e.message));
    const wrongId = data.slice();
    wrongId.set([88, 88, 88, 88], 4);
    assert.throws(() => readTflite(wrongId, 'y.tflite'), /file identifier is 'XXXX'/);
    await assert.rejects(TfliteModel.load(corrupt, 'z.tflite'), (e: Error) => e instanceof BadInputError && /TFLite runtime rejected z\.tflite/.test(e.message));
  });

  void test('unsupported or broken models fail before writing: no partial file', async () => {
    const bad = randomModel('bad', [784, 16, 10]);
    (bad.layers[0] as { activation: string }).activation = 'tanh';
    const file = path.join(dir, 'bad.tflite');
    await assert.rejects(saveTflite(bad, 'float32', file), (e: Error) => e instanceof BadInputError && /activation 'tanh'/.test(e.message));
    const nan = randomModel('nan', [784, 16, 10]);
    nan.layers[1].kernel[3] = NaN;
    await assert.rejects(saveTflite(nan, 'full-int8', file, { representative: rep() }), /non-finite weight/);
    await assert.rejects(saveTflite(randomModel('m', [784, 16, 10]), 'full-int8', file), /representative samples/);
    const shape = randomModel('shape', [784, 16, 10]);
    shape.layers[1].inputDim = 17;
    await assert.rejects(saveTflite(shape, 'dynamic-int8', file), /expects 17 inputs/);
    assert.deepEqual(await listDir(dir), [], 'nothing written, no temp files');
  });

  void test('a good model is written atomically with its size reported', async () => {
    const file = path.join(dir, 'ok.tflite');
    const { bytes } = await saveTflite(model, 'dynamic-int8', file);
    assert.equal((await fs.stat(file)).size, bytes);
    await fs.rm(file);
  });
});
