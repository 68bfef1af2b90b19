/**
 * runExportStage / runEvaluateStage end to end on an MNIST subset: every file written and
 * announced, each evaluated in its runtime, comparison.md/json consistent with the report.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import type { ModelReport } from '../../src/protocol/engine';
import { saveMlpTfjs } from './mlp-files';
import { runEvaluateStage } from '../../src/engine/jobs/evaluate';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { runExportStage } from '../../src/engine/jobs/export';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { BuiltinOperator } from '../../src/engine/export/tflite/schema';
import { accuracyOf, argmaxRows, forwardMlp } from '../../src/engine/quantize/forward';
import type { MlpModel } from '../../src/engine/model/mlp';
import { listDir, pruneMagnitude, tempDir, trainMlp } from './export-helpers';
import { fakeContext } from './train-helpers';

const config: RunConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainLimit: 4000, testLimit: 2000 },
  quantize: { ...DEFAULT_CONFIG.quantize, representativeSamples: 100 },
};

let out: string;
let baseline: MlpModel;
let pruned: MlpModel;

before(async () => {
  await tf.setBackend('cpu');
  out = await tempDir('export-stage');
  const data = await fakeContext(config, out).data();
  baseline = trainMlp(data.train, 64, 2);
  pruned = pruneMagnitude(baseline, 0.5);
  await saveMlpTfjs(baseline, path.join(out, 'mnist_model'));
  await saveMlpTfjs(pruned, path.join(out, 'pruned_mnist_model'));
});
after(async () => {
  await fs.rm(out, { recursive: true, force: true });
});

void test('writes the reference files and every variant, evaluates each, writes the comparison', async () => {
  const ctx = fakeContext(config, out);
  const rows = await runExportStage(ctx, [mlpToGraph(baseline), mlpToGraph(pruned)]);
  assert.deepEqual(await listDir(out), [
    'comparison.json',
    'comparison.md',
    'mnist_model',
    'mnist_model.h5',
    'pruned_mnist_model',
    'pruned_mnist_model.h5',
    'pruned_mnist_model_float16',
    'pruned_mnist_model_float16.tflite',
    'pruned_mnist_model_float32.tflite',
    'pruned_mnist_model_full_int8.tflite',
    'pruned_mnist_model_quant.tflite',
    'pruned_mnist_model_uint8',
  ]);
  const artifactPaths = ctx.artifacts.map((a) => a.path);
  for (const p of ['mnist_model.h5', 'pruned_mnist_model.h5', 'pruned_mnist_model_quant.tflite', 'pruned_mnist_model_uint8/model.json', 'comparison.json']) {
    assert.ok(artifactPaths.includes(p), `artifact ${p}`);
  }
  for (const a of ctx.artifacts.filter((x) => x.kind === 'tflite' || x.kind === 'keras-h5')) {
    assert.equal(a.bytes, (await fs.stat(path.join(out, a.path))).size, a.path);
  }
  const report = ctx.events.find((e) => e.type === 'report');
  assert.ok(report && report.type === 'report');
  assert.deepEqual(report.rows, rows);
  assert.equal(rows.length, 10, rows.map((r) => r.path).join(', '));
  const by = (p: string): ModelReport => rows.find((r) => r.path === p)!;
  // Per-layer table on the float Keras/TF.js rows: non-zeros counted from the weights, MACs = in × out.
  const table = by('pruned_mnist_model.h5').layerTable!;
  assert.deepEqual(table.map((l) => [l.name, l.type, l.outputShape, l.params, l.macs]), [
    ['dense_input', 'InputLayer', [baseline.inputDim], 0, 0],
    ...pruned.layers.map((l) => [l.name, 'Dense', [l.units], l.kernel.length + l.bias.length, l.kernel.length]),
  ]);
  assert.deepEqual(table.slice(1).map((l) => l.nonZeros), pruned.layers.map((l) => [...l.kernel, ...l.bias].filter((v) => v !== 0).length));
  assert.equal(by('pruned_mnist_model_quant.tflite').layerTable, undefined);
  assert.match(await fs.readFile(path.join(out, 'comparison.md'), 'utf8'), /## Layers of pruned_mnist_model\n\n\| Layer \| Type \| Output shape \| Params \| Non-zeros \| MACs \|/);

  // Baseline float rows: accuracy equals an independent forward pass; delta 0.
  const data = await ctx.data();
  const floatAcc = accuracyOf(baseline, data.test.images, data.test.labels, data.test.count);
  assert.equal(by('mnist_model.h5').accuracy, floatAcc);
  assert.ok(Math.abs(by('mnist_model/model.json').accuracy! - floatAcc) < 1e-3);
  assert.equal(by('mnist_model/model.json').accuracyDelta, 0);

  const quant = by('pruned_mnist_model_quant.tflite');
  assert.equal(quant.format, 'tflite');
  assert.equal(quant.variant, 'dynamic-int8');
  assert.match(quant.runtime, /TFLite/);
  assert.ok(quant.latencyUs !== null && quant.latencyUs > 0);
  assert.equal(by('pruned_mnist_model_full_int8.tflite').variant, 'full-int8');
  assert.equal(by('pruned_mnist_model_float16.tflite').variant, 'float16');
  assert.equal(by('pruned_mnist_model_uint8/model.json').format, 'tfjs-quantized');
  const prunedAcc = accuracyOf(pruned, data.test.images, data.test.labels, data.test.count);
  for (const r of rows) {
    assert.ok(r.accuracy !== null && r.accuracyDelta !== null, r.path);
    assert.ok(Math.abs(r.accuracyDelta - (r.accuracy - floatAcc)) < 1e-6);
    assert.ok(r.gzipBytes > 0 && r.gzipBytes < r.bytes, `${r.path} gzip ${r.gzipBytes} of ${r.bytes}`);
    if (r.model === 'pruned_mnist_model') {
      // Sparsity read back from each file; quantization can only add zeros.
      for (const l of r.layers) {
        assert.ok(l.sparsity >= 0.5 && l.sparsity < 0.53, `${r.path} ${l.name} ${l.sparsity}`);
      }
      assert.ok(Math.abs(r.accuracy - prunedAcc) <= 0.01, `${r.path}: ${r.accuracy} vs ${prunedAcc}`);
    } else {
      assert.ok(r.layers.every((l) => l.sparsity < 0.01));
    }
  }
  // Smaller files where expected
  assert.ok(quant.bytes < by('pruned_mnist_model_float32.tflite').bytes / 3);
  assert.ok(by('pruned_mnist_model_float16.tflite').bytes < by('pruned_mnist_model_float32.tflite').bytes / 1.8);

  // Per class: names of the data set, supports = the test labels' counts, the diagonal = the accuracy.
  const support = new Array<number>(10).fill(0);
  data.test.labels.forEach((y) => support[y]++);
  for (const r of rows) {
    const c = r.classes!;
    assert.deepEqual(c.names, data.test.classNames, r.path);
    assert.deepEqual(c.support, support, r.path);
    const diag = c.confusion!.reduce((a, row, i) => a + row[i], 0);
    assert.equal(diag / data.test.count, r.accuracy, r.path);
    c.confusion!.forEach((row, i) => assert.equal(row.reduce((a, b) => a + b, 0), support[i]));
  }
  // The h5 row's matrix against predictions of an independent forward pass.
  const pred = argmaxRows(forwardMlp(baseline, data.test.images, data.test.count), data.test.count, 10);
  const h5 = by('mnist_model.h5').classes!.confusion!;
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 10; j++) {
      let n = 0;
      pred.forEach((p, k) => (n += data.test.labels[k] === i && p === j ? 1 : 0));
      assert.equal(h5[i][j], n, `confusion[${i}][${j}]`);
    }
  }

  const json = JSON.parse(await fs.readFile(path.join(out, 'comparison.json'), 'utf8')) as { rows: ModelReport[] };
  assert.deepEqual(json.rows, rows);
  const md = await fs.readFile(path.join(out, 'comparison.md'), 'utf8');
  for (const r of rows) {
    assert.ok(md.includes(`| ${r.path} |`), r.path);
  }
  assert.match(md, /## Accuracy per class\n/);
  assert.match(md, new RegExp(`\\| 3 \\| ${support[3]} \\| `));
});

void test('honours the configured variant lists', async () => {
  const sub = path.join(out, 'only');
  const cfg: RunConfig = { ...config, quantize: { ...config.quantize, tflite: ['full-int8'], tfjs: [], perChannel: false, int8Io: true } };
  const ctx = fakeContext(cfg, sub);
  const rows = await runExportStage(ctx, [mlpToGraph(pruned)]);
  assert.deepEqual(await listDir(sub), ['comparison.json', 'comparison.md', 'pruned_mnist_model.h5', 'pruned_mnist_model_full_int8.tflite']);
  assert.deepEqual(
    rows.map((r) => r.variant),
    ['float32', 'full-int8'],
  );
});

void test('quantize.perChannelDenseAs and dynamicRangeForm choose the operators written', async () => {
  const opsOf = async (dir: string, file: string): Promise<number[]> =>
    [...new Set(readTflite(new Uint8Array(await fs.readFile(path.join(dir, file)))).operators.map((o) => o.op))].sort((a, b) => a - b);
  const sortOps = (ops: number[]): number[] => [...ops].sort((a, b) => a - b);
  const variants = async (name: string, q: Partial<RunConfig['quantize']>): Promise<{ full: number[]; dyn: number[] }> => {
    const sub = path.join(out, name);
    const cfg: RunConfig = { ...config, quantize: { ...config.quantize, tflite: ['full-int8', 'dynamic-int8'], tfjs: [], ...q } };
    await runExportStage(fakeContext(cfg, sub), [mlpToGraph(pruned)]);
    return { full: await opsOf(sub, 'pruned_mnist_model_full_int8.tflite'), dyn: await opsOf(sub, 'pruned_mnist_model_quant.tflite') };
  };
  const byDefault = await variants('ops-default', {});
  assert.ok(byDefault.full.includes(BuiltinOperator.CONV_2D) && !byDefault.full.includes(BuiltinOperator.FULLY_CONNECTED));
  assert.deepEqual(byDefault.dyn, sortOps([BuiltinOperator.DEQUANTIZE, BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.SOFTMAX]));
  const converterLike = await variants('ops-converter', { perChannelDenseAs: 'fully_connected', dynamicRangeForm: 'hybrid' });
  assert.ok(converterLike.full.includes(BuiltinOperator.FULLY_CONNECTED) && !converterLike.full.includes(BuiltinOperator.CONV_2D));
  assert.deepEqual(converterLike.dyn, sortOps([BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.SOFTMAX]));
});

void test('evaluate stage: one file → one row, emitted as report', async () => {
  const ctx = fakeContext(config, out);
  const rows = await runEvaluateStage(ctx, path.join(out, 'pruned_mnist_model_full_int8.tflite'));
  assert.equal(rows.length, 1);
  assert.equal(rows[0].path, 'pruned_mnist_model_full_int8.tflite');
  assert.equal(rows[0].variant, 'full-int8');
  assert.ok(rows[0].accuracy !== null && rows[0].accuracy > 0.8);
  assert.ok(ctx.events.some((e) => e.type === 'report'));
  await assert.rejects(runEvaluateStage(ctx, path.join(out, 'comparison.md')), /don't know how to evaluate comparison\.md/);
});
