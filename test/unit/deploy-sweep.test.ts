/**
 * deploy.target as a constraint on the sweep's recommendation (issue 12): on a microcontroller
 * only files TensorFlow Lite Micro runs and that fit the target's flash and RAM (and latency
 * budget) can be recommended; without a target the smallest file within the accuracy budget is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelReport } from '../../src/protocol/engine';
import { deployConstraint } from '../../src/engine/deploy/constraint';
import { buildSweepSummary, renderSweepMarkdown } from '../../src/engine/report/sweep';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { mnist, randomModel, tempDir } from './export-helpers';

void test('the sweep recommends only files that run on and fit deploy.target', async () => {
  const { train } = await mnist(200, 1);
  const dir = await tempDir('deploy-sweep');
  const model = randomModel('pruned_s50', [784, 128, 10]);
  const files: [string, Uint8Array][] = [
    ['sweep/base_float32.tflite', tfliteBytes(model, 'float32').data],
    ['sweep/pruned_s50_float16.tflite', tfliteBytes(model, 'float16').data],
    ['sweep/pruned_s50_dynamic_int8.tflite', tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'dequantize' }).data],
    ['sweep/pruned_s50_full_int8.tflite', tfliteBytes(model, 'full-int8', { representative: { images: train.images, count: 200 }, perChannel: true }).data],
  ];
  await fs.mkdir(path.join(dir, 'sweep'));
  for (const [rel, data] of files) {
    await fs.writeFile(path.join(dir, rel), data);
  }
  // Made-up sizes and accuracies, so the smallest file within 1 point is the float16 one, then dynamic-int8.
  const row = (rel: string, gzip: number, acc: number): ModelReport => ({
    model: 'm', format: 'tflite', variant: rel, path: rel, bytes: gzip * 2, gzipBytes: gzip, params: 0, nonzeros: 0, layers: [], accuracy: acc, accuracyDelta: null, runtime: 't', latencyUs: null, targetSparsity: 0.5,
  });
  const rows = [row(files[0][0], 400, 0.97), row(files[1][0], 50, 0.97), row(files[2][0], 60, 0.97), row(files[3][0], 100, 0.969)];
  const base = { complete: true, sparsities: [0.5], layers: 'all' as const, variants: ['float16', 'dynamic-int8', 'full-int8'], epochs: 1, maxAccuracyDrop: 0.01, kernelSizes: [1, 1], rows };
  assert.equal(buildSweepSummary(base).recommended, files[1][0]);
  const resolve = (rel: string): string => path.join(dir, ...rel.split('/'));
  const constrained = (target: string, maxLatencyMs: number | null = null) => {
    const check = deployConstraint({ target, maxLatencyMs }, resolve)!;
    return buildSweepSummary({ ...base, deploy: { target, maxLatencyMs, check } });
  };
  // Cortex-M4F: TFLM refuses float16 and the DEQUANTIZE form's 401,408 B of float weights fit its
  // 640 KiB RAM, so dynamic-int8 is next; the M0+ (144 KiB RAM) leaves only full-int8 and float32.
  const m4 = constrained('cortex-m4f');
  assert.equal(m4.recommended, files[2][0]);
  assert.deepEqual(m4.target!.excluded.map((x) => x.path), [files[1][0]]);
  assert.match(m4.target!.excluded[0].reason, /TensorFlow Lite Micro refuses/);
  const m0 = constrained('cortex-m0plus');
  assert.equal(m0.recommended, files[3][0]);
  assert.match(m0.target!.excluded.find((x) => x.path === files[2][0])!.reason, /arena \d+ B > RAM 147456 B/);
  assert.match(m0.recommendation, /for cortex-m0plus/);
  assert.match(renderSweepMarkdown(m0), /Not considered for cortex-m0plus/);
  // A phone runs every .tflite: the unconstrained choice stands.
  assert.equal(constrained('phone').recommended, files[1][0]);
  // A latency budget no file meets on the M0+: no recommendation, and the text says why.
  const none = constrained('cortex-m0plus', 0.001);
  assert.equal(none.recommended, null);
  assert.match(none.recommendation, /No file both fits cortex-m0plus/);
  await fs.rm(dir, { recursive: true, force: true });
});
