/**
 * Our .tflite files in a second, current runtime: LiteRT.js (@litertjs/core, XNNPACK in wasm)
 * loaded in Node through four shims (src/engine/runtime/litertRuntime.ts). Every MLP variant
 * and graph form we write is run there and checked against the float forward pass, the int8
 * reference arithmetic (bit for bit) and the 2022 tfjs-tflite runtime.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageSet } from '../../src/engine/data/dataset';
import { tfliteBytes, type TfliteExportOptions } from '../../src/engine/export/tflite';
import type { MlpModel } from '../../src/engine/model/mlp';
import { forwardMlp } from '../../src/engine/quantize/forward';
import { dequantize, forwardInt8, quantizeInput } from '../../src/engine/quantize/fullInt8';
import { LitertModel, litertMissingReason, loadLitert } from '../../src/engine/runtime/litertRuntime';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { renderComparisonMarkdown } from '../../src/engine/report/comparison';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { BadInputError } from '../../src/engine/errors';
import type { TfliteMode } from '../../src/protocol/config';
import { mnist, pruneMagnitude, tempDir, trainMlp } from './export-helpers';

let train: ImageSet;
let test_: ImageSet;
let model: MlpModel;
const N = 100;
const rep = () => ({ images: train.images.subarray(0, 100 * 784), count: 100 });

before(async () => {
  ({ train, test: test_ } = await mnist(2000, N));
  model = pruneMagnitude(trainMlp(train, 32, 2), 0.5);
});

after(() => undefined);

function pixels(n: number): Float32Array {
  return Float32Array.from(test_.images.subarray(n * 784, (n + 1) * 784), (v) => v / 255);
}

const VARIANTS: { name: string; mode: TfliteMode; opts: TfliteExportOptions }[] = [
  { name: 'float32', mode: 'float32', opts: {} },
  { name: 'float16', mode: 'float16', opts: {} },
  { name: 'dynamic-int8 (weight-only DEQUANTIZE form)', mode: 'dynamic-int8', opts: {} },
  { name: 'dynamic-int8 (hybrid FULLY_CONNECTED v9)', mode: 'dynamic-int8', opts: { dynamicForm: 'hybrid' } },
  { name: 'full-int8 per-channel as 1x1 CONV_2D', mode: 'full-int8', opts: { perChannel: true } },
  { name: 'full-int8 per-channel FULLY_CONNECTED', mode: 'full-int8', opts: { perChannel: true, perChannelAs: 'fully-connected' } },
  { name: 'full-int8 per-tensor FULLY_CONNECTED', mode: 'full-int8', opts: { perChannel: false } },
];

void describe('LiteRT.js runs every MLP variant we write', () => {
  void test('loads in Node and reports which build it runs', async () => {
    const { version, wasmFile } = await loadLitert();
    assert.equal(version, '2.5.3', 'package.json pins @litertjs/core exactly');
    assert.match(wasmFile, /^litert_wasm(_compat)?_internal\.js$/);
    // The shims are removed again once loaded.
    const g = globalThis as Record<string, unknown>;
    assert.equal(typeof g.importScripts, 'undefined');
    assert.equal(typeof g.ModuleFactory, 'undefined');
  });

  for (const v of VARIANTS) {
    void test(`${v.name}: same outputs as the reference and as the tfjs-tflite runtime`, async () => {
      const { data, quantized } = tfliteBytes(model, v.mode, { representative: rep(), ...v.opts });
      const lm = await LitertModel.load(data, v.name);
      const tm = await TfliteModel.load(data, v.name);
      try {
        assert.deepEqual(lm.inputs[0].shape, [1, 784]);
        assert.equal(lm.inputs[0].dataType, 'float32');
        assert.deepEqual(lm.outputs[0].shape, [1, 10]);
        const ref = forwardMlp(model, test_.images, N);
        const int8Ref = quantized ? dequantize(forwardInt8(quantized, quantizeInput(quantized, test_.images, 0, N), N), quantized.output) : null;
        // float16 and dynamic-range dequantize their weights: compare with float32 loosely, and with
        // the other runtime tightly (both compute the same float math on the same dequantized weights).
        const tolRef = v.mode === 'float32' ? 1e-5 : v.mode === 'full-int8' ? 0 : 0.05;
        let maxRef = 0;
        let maxOther = 0;
        let int8Mismatch = 0;
        for (let n = 0; n < N; n++) {
          const x = pixels(n);
          const a = await lm.run(x);
          const b = tm.run(x);
          for (let c = 0; c < 10; c++) {
            maxOther = Math.max(maxOther, Math.abs(a[c] - b[c]));
            if (int8Ref) {
              int8Mismatch += a[c] === int8Ref[n * 10 + c] ? 0 : 1;
            } else {
              maxRef = Math.max(maxRef, Math.abs(a[c] - ref[n * 10 + c]));
            }
          }
        }
        if (int8Ref) {
          assert.equal(int8Mismatch, 0, `${int8Mismatch} of ${N * 10} outputs differ from the int8 reference`);
        } else {
          assert.ok(maxRef <= tolRef, `max |LiteRT − float forward| = ${maxRef}`);
        }
        // The hybrid kernel quantizes activations at run time; builds may round differently.
        assert.ok(maxOther <= (v.opts.dynamicForm === 'hybrid' ? 0.02 : 1e-5), `max |LiteRT − tfjs-tflite| = ${maxOther}`);
      } finally {
        lm.dispose();
        tm.dispose();
      }
    });
  }

  void test('int8-I/O files run through the wasm TensorBuffer API, bit-exact with the int8 reference and tfjs-tflite', async () => {
    const { data, quantized } = tfliteBytes(model, 'full-int8', { representative: rep(), perChannel: true, int8Io: true });
    const qm = quantized as Parameters<typeof forwardInt8>[0];
    const lm = await LitertModel.load(data, 'int8 I/O');
    const tm = await TfliteModel.load(data, 'int8 I/O');
    try {
      assert.equal(lm.inputs[0].dataType, 'int8');
      assert.equal(lm.outputs[0].dataType, 'int8');
      const xq = quantizeInput(qm, test_.images, 0, N);
      const ref = forwardInt8(qm, xq, N);
      let mismatch = 0;
      let other = 0;
      let nonzero = 0;
      for (let n = 0; n < N; n++) {
        const x = xq.subarray(n * 784, (n + 1) * 784);
        const a = await lm.run(x);
        const b = tm.run(x);
        assert.ok(a instanceof Int8Array);
        for (let c = 0; c < 10; c++) {
          mismatch += a[c] === ref[n * 10 + c] ? 0 : 1;
          other += a[c] === b[c] ? 0 : 1;
          nonzero += a[c] !== -128 ? 1 : 0;
        }
      }
      assert.equal(mismatch, 0, `${mismatch} of ${N * 10} int8 outputs differ from the int8 reference`);
      assert.equal(other, 0, `${other} of ${N * 10} int8 outputs differ from tfjs-tflite`);
      assert.ok(nonzero >= N, 'the outputs are not all at the zero point');
    } finally {
      lm.dispose();
      tm.dispose();
    }
  });

  void test('the comparison shows each .tflite in LiteRT.js beside tfjs-tflite (accuracy, latency, batch, agreement), int8 I/O included', async () => {
    const dir = await tempDir('litert-cmp');
    const rows = [];
    for (const [name, opts] of [
      ['float32', {}],
      ['int8io', { representative: rep(), perChannel: true, int8Io: true }],
    ] as const) {
      const file = path.join(dir, `m_${name}.tflite`);
      await fs.writeFile(file, tfliteBytes(model, name === 'float32' ? 'float32' : 'full-int8', opts).data);
      rows.push(await evaluateModelFile(file, { test: test_, latencyRuns: 20, relPath: `m_${name}.tflite` }));
    }
    for (const r of rows) {
      const m = r.otherRuntimes?.[0];
      assert.ok(m && !m.unavailable, `${r.path}: ${m?.unavailable}`);
      assert.match(m.runtime, /^LiteRT\.js 2\.5\.3 \(XNNPACK, litert_wasm/);
      // Same file, same inputs: the same predictions (full-int8 is bit-exact in both runtimes).
      assert.equal(m.accuracy, r.accuracy);
      assert.equal(m.agreement, 1);
      assert.ok(m.latencyUs !== null && m.latencyUs > 0);
      assert.ok(m.batchLatencyMs !== null && m.batchLatencyMs > 0 && typeof r.batchLatencyMs === 'number' && r.batchLatencyMs > 0);
    }
    const md = renderComparisonMarkdown(rows);
    assert.match(md, /\| LiteRT\.js accuracy \| LiteRT\.js latency \(µs\) \|/);
    assert.match(md, /## TFLite files in a second runtime/);
    assert.match(md, new RegExp(`\\| m_int8io\\.tflite \\| LiteRT\\.js 2\\.5\\.3 [^|]*\\| ${(rows[1].accuracy! * 100).toFixed(2)} % \\| \\+0\\.00 pt \\| 100\\.00 % \\|`));
    // Without the package the row says why, in the table's footnote.
    const missing = litertMissingReason('@litertjs/not-a-package');
    assert.match(missing ?? '', /not installed .*npm install --save-exact @litertjs\/not-a-package/);
    assert.equal(litertMissingReason(), null);
    const md2 = renderComparisonMarkdown([{ ...rows[0], otherRuntimes: [{ runtime: 'LiteRT.js', accuracy: null, latencyUs: null, batchLatencyMs: null, agreement: null, unavailable: missing! }] }]);
    assert.match(md2, /not run¹/);
    assert.ok(md2.includes(`¹ m_float32.tflite: LiteRT.js did not run it: ${missing}`));
  });

  void test('a corrupt file is a clear error', async () => {
    const { data } = tfliteBytes(model, 'float32');
    const bad = data.slice(0, 200);
    await assert.rejects(LitertModel.load(bad, 'truncated.tflite'), (e: unknown) => e instanceof BadInputError && /truncated\.tflite/.test(e.message));
  });
});
