/**
 * The QAT and clustering stages end to end on an MNIST subset (trained MLP, pruned 50 %):
 * pruning-preserving QAT keeps every zero, writes `<model>_qat_full_int8.tflite` with the trained
 * ranges (its accuracy in tfjs-tflite equals the stage's fake-quantized accuracy to within a
 * few flipped predictions), rows marked `qat` / `clustered` with PTQ vs QAT and clustering
 * sections in comparison.md; the clustered files are smaller under gzip than the unclustered ones.
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
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import { runClusterStage } from '../../src/engine/jobs/cluster';
import { runExportStage } from '../../src/engine/jobs/export';
import { runQatStage } from '../../src/engine/jobs/qat';
import { resolveConfig } from '../../src/engine/config';
import { stagesOf } from '../../src/engine/jobs/pipeline';
import { runSweepPoint, sparsityPoints } from '../../src/engine/jobs/sweepPoints';
import { sweepPointOf } from '../../src/engine/jobs/sweep';
import { pruneMagnitude, tempDir, trainMlp } from './export-helpers';
import { fakeContext } from './train-helpers';

const config: RunConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainLimit: 3000, testLimit: 1000 },
  train: { ...DEFAULT_CONFIG.train, batchSize: 64 },
  quantize: { ...DEFAULT_CONFIG.quantize, tflite: ['float32', 'float16', 'full-int8'], tfjs: [], representativeSamples: 100 },
  qat: { ...DEFAULT_CONFIG.qat, enabled: true, epochs: 1, learningRate: 1e-4 },
  cluster: { ...DEFAULT_CONFIG.cluster, enabled: true, clusters: 16, epochs: 1, learningRate: 1e-4 },
};

let out: string;
let pruned: ModelGraph;

before(async () => {
  await tf.setBackend('cpu');
  out = await tempDir('qat-stage');
  const data = await fakeContext(config, out).data();
  const mlp = pruneMagnitude(trainMlp(data.train, 64, 2), 0.5);
  pruned = mlpToGraph(mlp);
  await saveMlpTfjs(mlp, path.join(out, 'pruned_mnist_model'));
});
after(async () => {
  await fs.rm(out, { recursive: true, force: true });
});

void test('QAT + clustering of a pruned MLP: files, rows, zeros kept, PTQ vs QAT and gzip sections', async () => {
  const ctx = fakeContext(config, out);
  const qat = await runQatStage(ctx, pruned);
  assert.equal(qat.model.name, 'pruned_mnist_model_qat');
  // Pruning-preserving: every pruned weight is still zero, and the others trained.
  pruned.layers.forEach((l, i) => {
    const k = l.weights[0]?.data;
    if (k) {
      const q = qat.model.layers[i].weights[0].data;
      assert.ok(k.every((v, j) => v !== 0 || q[j] === 0), `${l.name}: a pruned weight was revived`);
      assert.ok(q.some((v, j) => v !== k[j]), `${l.name}: QAT did not change the weights`);
    }
  });
  assert.deepEqual(Object.keys(qat.ranges).sort(), [':input', 'dense', 'dense_1:pre'].sort());
  const clustered = await runClusterStage(ctx, pruned);
  assert.deepEqual(clustered.uniqueValues, { 'dense/kernel': 16, 'dense_1/kernel': 16 });

  const rows = await runExportStage(ctx, [pruned], { qat, clustered: clustered.model });
  const by = (p: string): ModelReport => rows.find((r) => r.path === p) ?? assert.fail(`no row ${p}: ${rows.map((r) => r.path).join(', ')}`);
  const qrow = by('pruned_mnist_model_qat_full_int8.tflite');
  assert.equal(qrow.technique, 'qat');
  assert.equal(qrow.variant, 'full-int8 QAT');
  const ptq = by('pruned_mnist_model_full_int8.tflite');
  assert.equal(ptq.technique, undefined);
  // The file runs what the stage simulated: at most a few of 1000 predictions differ.
  assert.ok(Math.abs((qrow.accuracy ?? 0) - qat.testAccuracy) <= 0.003, `file ${qrow.accuracy} vs simulated ${qat.testAccuracy}`);
  // Zeros survive into the int8 file (at least the pruned half of the hidden kernel).
  assert.ok(qrow.nonzeros <= ptq.nonzeros + 10, `QAT file ${qrow.nonzeros} non-zeros vs PTQ ${ptq.nonzeros}`);

  for (const [c, u] of [
    ['pruned_mnist_model_clustered.h5', 'pruned_mnist_model.h5'],
    ['pruned_mnist_model_clustered_float32.tflite', 'pruned_mnist_model_float32.tflite'],
    ['pruned_mnist_model_clustered_float16.tflite', 'pruned_mnist_model_float16.tflite'],
  ]) {
    const cr = by(c);
    assert.equal(cr.technique, 'clustered');
    assert.ok(cr.gzipBytes < 0.75 * by(u).gzipBytes, `${c}: gzip ${cr.gzipBytes} vs ${u} ${by(u).gzipBytes}`);
    assert.ok(Math.abs((cr.accuracy ?? 0) - clustered.testAccuracy) <= 0.003, `${c}: ${cr.accuracy} vs the stage's ${clustered.testAccuracy}`);
  }
  const md = await fs.readFile(path.join(out, 'comparison.md'), 'utf8');
  assert.match(md, /## Post-training quantization vs quantization-aware training/);
  const line = `| pruned_mnist_model | pruned_mnist_model_full_int8.tflite | ${((ptq.accuracy ?? 0) * 100).toFixed(2)} % | pruned_mnist_model_qat_full_int8.tflite | ${((qrow.accuracy ?? 0) * 100).toFixed(2)} % |`;
  assert.ok(md.includes(line), `${line}\n${md}`);
  assert.match(md, /## Weight clustering/);
  assert.match(md, /\| tflite float32 \| pruned_mnist_model_float32\.tflite \|/);
  const json = JSON.parse(await fs.readFile(path.join(out, 'comparison.json'), 'utf8')) as { rows: ModelReport[] };
  assert.equal(json.rows.filter((r) => r.technique === 'qat').length, 1);
  assert.equal(json.rows.filter((r) => r.technique === 'clustered').length, 4);
});

void test('a sweep point with qat.enabled: sparsity × {PTQ, QAT}, both rows tagged with the point\'s target, zeros kept in the QAT file', async () => {
  const cfg: RunConfig = {
    ...config,
    // 42 steps per epoch here: update the masks every 5 so the target is reached.
    prune: { ...config.prune, schedule: { kind: 'polynomial_decay', initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 'auto', power: 3, frequency: 5 } },
    sweep: { ...config.sweep, sparsities: [0.75], layers: 'all', tflite: ['full-int8'], epochs: 1 },
  };
  const ctx = fakeContext(cfg, out);
  const [point] = sparsityPoints(cfg);
  const { rows } = await runSweepPoint(ctx, pruned, point);
  assert.deepEqual(
    rows.map((r) => [r.path, r.variant, r.technique, r.targetSparsity]),
    [
      ['sweep/pruned_s75_full_int8.tflite', 'full-int8', undefined, 0.75],
      ['sweep/pruned_s75_qat_full_int8.tflite', 'full-int8 QAT', 'qat', 0.75],
    ],
  );
  // ≥ 75 % of the kernels' weights are zero in both int8 files (the QAT file kept the point's masks).
  for (const r of rows) {
    assert.ok(r.nonzeros <= 0.27 * r.params, `${r.path}: ${r.nonzeros} non-zeros of ${r.params}`);
  }
  assert.equal(sweepPointOf('pruned_s75_qat_full_int8.tflite', false), 'pruned_s75');
});

void test('stages: pipeline train → prune → cluster → qat → export; sweep adds qat; qat / cluster commands', () => {
  assert.deepEqual(stagesOf('pipeline', config), ['train', 'prune', 'cluster', 'qat', 'export']);
  assert.deepEqual(stagesOf('pipeline', { ...config, qat: { ...config.qat, enabled: false }, cluster: { ...config.cluster, enabled: false } }), ['train', 'prune', 'export']);
  assert.deepEqual(stagesOf('sweep', config, { models: ['m.h5'] }), ['prune', 'qat', 'export']);
  assert.deepEqual(stagesOf('qat', config), ['qat', 'export']);
  assert.deepEqual(stagesOf('cluster', config), ['cluster', 'export']);
});

void test('config: qat and cluster sections validated with problem + fix', () => {
  assert.equal(resolveConfig({ qat: { enabled: true } }).qat.epochs, 2);
  assert.equal(resolveConfig({}).cluster.clusters, 16);
  assert.throws(() => resolveConfig({ qat: { emaDecay: 1 } }), /qat\.emaDecay/);
  assert.throws(() => resolveConfig({ cluster: { clusters: 1 } }), /cluster\.clusters/);
  assert.throws(() => resolveConfig({ cluster: { layers: 'last' as never } }), /cluster\.layers/);
  assert.throws(() => resolveConfig({ qat: { epoch: 2 } as never }), /qat\.epoch.*epochs/s);
});
