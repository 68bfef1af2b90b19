/**
 * Full-int8 files with float fallback (issue 16: layers kept in float, DEQUANTIZE/QUANTIZE around
 * them) in both TFLite runtimes — tfjs-tflite's wasm build and LiteRT.js — against the mixed
 * reference (int8 reference kernels for the int8 ops, bit-exact with the runtimes; the float
 * reference for the float ops).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageSet } from '../../src/engine/data/dataset';
import { floatOpsOf } from '../../src/engine/export/tflite/emit';
import { graphTfliteBytes } from '../../src/engine/export/tflite/graphExport';
import { forwardMixed } from '../../src/engine/export/tflite/mixedRef';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { operatorName, TensorType } from '../../src/engine/export/tflite/schema';
import type { ModelGraph } from '../../src/engine/graph/types';
import { LitertModel } from '../../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { mnist } from './export-helpers';
import { convnet, functional, pixelsOf } from './tflite-graph-helpers';

let train: ImageSet;
let testSet: ImageSet;
const N = 40;

before(async () => {
  ({ train, test: testSet } = await mnist(200, N));
});

function build(g: ModelGraph, floatLayers: string[]): { data: Uint8Array; ref: (x: Float32Array) => Float32Array } {
  const r = graphTfliteBytes(g, 'full-int8', { calibration: { samples: pixelsOf(train.images, 0, 100), count: 100 }, floatLayers });
  const isFloat = floatOpsOf(r.lowered, new Set(floatLayers));
  return { data: r.data, ref: (x) => forwardMixed(r.lowered, r.quantized!, isFloat, x) };
}

/** Max |runtime − reference| over the samples, and how many outputs differ at all, in both runtimes. */
async function compare(data: Uint8Array, ref: (x: Float32Array) => Float32Array, name: string): Promise<{ max: number; differing: number; total: number }> {
  const tm = await TfliteModel.load(data, name);
  const lm = await LitertModel.load(data, name);
  let max = 0;
  let differing = 0;
  let total = 0;
  try {
    for (let n = 0; n < N; n++) {
      const x = pixelsOf(testSet.images, n, 1);
      const want = ref(x);
      const a = tm.run(x);
      const b = await lm.run(x);
      for (let c = 0; c < want.length; c++) {
        for (const v of [a[c], b[c]]) {
          const d = Math.abs(v - want[c]);
          max = Math.max(max, d);
          differing += d > 1e-6 ? 1 : 0;
          total++;
        }
      }
    }
  } finally {
    tm.dispose();
    lm.dispose();
  }
  return { max, differing, total };
}

const ops = (data: Uint8Array): string[] => readTflite(data).operators.map((o) => operatorName(o.op));

void describe('float fallback inside full-int8', () => {
  void test('no float layer: byte-identical to the full-int8 file', () => {
    const g = convnet(3);
    const cal = { samples: pixelsOf(train.images, 0, 100), count: 100 };
    assert.deepEqual(graphTfliteBytes(g, 'full-int8', { calibration: cal, floatLayers: [] }).data, graphTfliteBytes(g, 'full-int8', { calibration: cal }).data);
  });

  void test('the last Dense (FC + softmax) in float: int8 convolutions bit-exact, the float tail within 1e-5, in both runtimes', async () => {
    const { data, ref } = build(convnet(3), ['dense']);
    assert.deepEqual(ops(data), ['QUANTIZE', 'CONV_2D', 'MAX_POOL_2D', 'CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'DEQUANTIZE', 'FULLY_CONNECTED', 'SOFTMAX']);
    const g = readTflite(data);
    const fc = g.operators.find((o) => operatorName(o.op) === 'FULLY_CONNECTED')!;
    assert.equal(g.tensors[fc.inputs[1]].type, TensorType.FLOAT32, 'float weights');
    assert.equal(g.tensors[g.outputs[0]].type, TensorType.FLOAT32);
    // An int8 value off by one step before the FC would move the output by far more than 1e-5.
    const r = await compare(data, ref, 'convnet, dense float');
    assert.ok(r.max <= 1e-5, `max |Δ| ${r.max}`);
  });

  void test('a middle convolution in float: QUANTIZE after it, int8 before and after, the output equals the reference (off by one step at most where a float rounding tie flips)', async () => {
    const { data, ref } = build(convnet(3), ['conv2d_1']);
    // The pooling after the float conv follows it into float; RESHAPE too; the Dense is int8 again (a 1×1 CONV_2D on its [1, 1, 1, n] view).
    assert.deepEqual(ops(data), ['QUANTIZE', 'CONV_2D', 'MAX_POOL_2D', 'DEQUANTIZE', 'CONV_2D', 'MAX_POOL_2D', 'RESHAPE', 'QUANTIZE', 'RESHAPE', 'CONV_2D', 'RESHAPE', 'SOFTMAX', 'DEQUANTIZE']);
    const r = await compare(data, ref, 'convnet, conv2d_1 float');
    assert.ok(r.max <= 1 / 256 + 1e-7, `max |Δ| ${r.max}`);
    assert.ok(r.differing <= r.total / 50, `${r.differing} of ${r.total} outputs differ`);
  });

  void test('Functional model (BN folded, depthwise, Add): the depthwise layer and the Add in float', async () => {
    const { data, ref } = build(functional(), ['depthwise_conv2d', 'add']);
    const names = ops(data);
    assert.ok(names.includes('DEQUANTIZE') && names.filter((n) => n === 'QUANTIZE').length >= 2, names.join(' '));
    const r = await compare(data, ref, 'functional, depthwise + add float');
    assert.ok(r.max <= 1 / 256 + 1e-7, `max |Δ| ${r.max}`);
    assert.ok(r.differing <= r.total / 50, `${r.differing} of ${r.total} outputs differ`);
  });

  void test('every layer in float: no int8 op left, outputs equal the float32 file within 1e-5', async () => {
    const g = convnet(3);
    const { data } = build(g, ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1', 'flatten', 'dense']);
    assert.ok(!ops(data).includes('QUANTIZE') && !ops(data).includes('DEQUANTIZE'), ops(data).join(' '));
    const f32 = graphTfliteBytes(g, 'float32').data;
    const a = await TfliteModel.load(data, 'all float');
    const b = await TfliteModel.load(f32, 'float32');
    try {
      for (let n = 0; n < 10; n++) {
        const x = pixelsOf(testSet.images, n, 1);
        const ya = a.run(x);
        const yb = b.run(x);
        for (let c = 0; c < 10; c++) {
          assert.ok(Math.abs(ya[c] - yb[c]) <= 1e-5);
        }
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
