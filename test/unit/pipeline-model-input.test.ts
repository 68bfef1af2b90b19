/**
 * `pipeline --model F` with F saved by stock tfjs-layers (`model.save` through an IO handler):
 * F itself is the comparison's baseline row (accuracy, sizes, per-layer table, Δ 0) and every
 * export's Δ is against it; all prunable layers pruned to 50 %; the exported `.h5` files read
 * back by h5py (Debian's /usr/bin/python3, test/unit/keras_reference.py) with a numpy forward
 * pass that gives the same accuracy, and exactly half of each kernel zero. Issue 9's acceptance
 * path on a small subset (the full-size run: bench/acceptance/README.md).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { simpleConvnetLayers } from '../../bench/simpleConvnet';
import type { ModelReport } from '../../src/protocol/engine';
import { initBackend } from '../../src/engine/backend';
import { mnistPackagePaths, readImageSet } from '../../src/engine/data/mnist';
import { freshOutDir, runCli, type CliRun } from './child-helpers';
import { pythonReference, requireH5py } from './import-helpers';

const TRAIN = 1000;
const TEST = 300;

before(async () => {
  await initBackend('wasm');
});

const cli = (args: string[], cwd: string): Promise<CliRun> => runCli(args, cwd);

const pixels = (images: Uint8Array | Float32Array, start: number, count: number): Float32Array =>
  Float32Array.from(images.subarray(start * 784, (start + count) * 784), (v) => (images instanceof Uint8Array ? v / 255 : v));

void test('pipeline --model F (saved by stock tfjs-layers): F is the baseline row, exports compared with it, pruned .h5 checked by h5py', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const p = mnistPackagePaths();
  const train = await readImageSet(p.trainImages, p.trainLabels, 10);
  const test = await readImageSet(p.testImages, p.testLabels, 10);

  // 1. Stock tfjs-layers: build, fit (wasm + our conv gradient kernels), measure, model.save.
  const model = simpleConvnetLayers();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(pixels(train.images, 0, TRAIN), [TRAIN, 28, 28, 1]);
  const y = tf.tensor1d(Float32Array.from(train.labels.subarray(0, TRAIN)));
  await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
  tf.dispose([x, y]);
  const stockPred = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(pixels(test.images, 0, TEST), [TEST, 28, 28, 1])) as tf.Tensor, 1).dataSync());
  const stockAccuracy = Array.from(stockPred).filter((c, i) => c === test.labels[i]).length / TEST;
  assert.ok(stockAccuracy > 0.5, `the stock model learned something (${stockAccuracy})`);

  const dir = freshOutDir('pipeline-model-input');
  const modelDir = path.join(dir, 'stock_convnet');
  await fs.mkdir(modelDir);
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData as ArrayBuffer;
      await fs.writeFile(path.join(modelDir, 'weights.bin'), Buffer.from(data));
      await fs.writeFile(
        path.join(modelDir, 'model.json'),
        JSON.stringify({ modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }] }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const layerNames = model.layers.map((l) => l.name);
  const kernelOf = (cls: string): string => model.layers.find((l) => l.getClassName() === cls)?.name ?? '';
  model.dispose();

  // 2. pipeline --model F: prune every prunable layer to 50 %, export .h5 and weight-quantized TF.js (no TFLite: not what this checks).
  const config = {
    data: { trainLimit: TRAIN, testLimit: TEST },
    prune: { epochs: 1, layers: 'all', schedule: { kind: 'constant_sparsity', targetSparsity: 0.5, frequency: 4 } },
    quantize: { tflite: [], tfjs: ['uint8', 'float16'] },
    backend: 'wasm',
  };
  await fs.writeFile(path.join(dir, 'cfg.json'), JSON.stringify(config));
  const out = path.join(dir, 'out');
  const input = path.join(modelDir, 'model.json');
  const r = await cli(['pipeline', '--config', 'cfg.json', '--model', input, '--out', out], dir);
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-3000));
  assert.match(r.stdout, /stock_convnet \(input\)/, 'the CLI summary marks the input row');

  const { rows } = JSON.parse(await fs.readFile(path.join(out, 'comparison.json'), 'utf8')) as { rows: ModelReport[] };
  const byPath = new Map(rows.map((row) => [row.path, row]));

  // The baseline row is F itself, measured in tfjs-layers: the accuracy stock tfjs-layers gave it.
  const base = rows[0];
  assert.equal(base.source, 'input');
  assert.equal(base.path, input.split(path.sep).join('/'));
  assert.equal(base.model, 'stock_convnet');
  assert.equal(base.format, 'tfjs');
  assert.equal(base.accuracy, stockAccuracy);
  assert.equal(base.accuracyDelta, 0);
  assert.equal(base.bytes, (await fs.stat(input)).size + (await fs.stat(path.join(modelDir, 'weights.bin'))).size);
  // The Sequential's InputLayer first (tfjs-layers keeps it out of model.layers), then every layer.
  assert.deepEqual(base.layerTable?.map((l) => l.name), [`${layerNames[0]}_input`, ...layerNames]);
  assert.equal(base.layerTable?.reduce((n, l) => n + l.params, 0), 34826, 'the convnet has 34 826 parameters');
  assert.equal(rows.filter((row) => row.source === 'input').length, 1);

  // Every export is compared with F.
  for (const rel of ['stock_convnet.h5', 'pruned_stock_convnet.h5', 'pruned_stock_convnet/model.json']) {
    const row = byPath.get(rel);
    assert.ok(row, `${rel} has a row (rows: ${rows.map((x) => x.path).join(', ')})`);
    assert.ok(row.accuracy !== null && row.accuracyDelta !== null);
    assert.ok(Math.abs(row.accuracyDelta - (row.accuracy - stockAccuracy)) < 1e-6, `${rel}: Δ = accuracy − F's`);
  }
  // The re-saved baseline is F: same accuracy.
  assert.equal(byPath.get('stock_convnet.h5')?.accuracy, stockAccuracy);
  const md = await fs.readFile(path.join(out, 'comparison.md'), 'utf8');
  assert.match(md, /\| [^|]*stock_convnet\/model\.json \(input\) \| tfjs \| float32 \|[^\n]*\+0\.00 pt/);
  assert.match(md, /## Layers of stock_convnet\n/);

  // 3. h5py + numpy read the pruned .h5: half of every kernel is zero, biases untouched, and the
  //    numpy forward pass gives the accuracy the comparison reports for that file.
  const pruned = await pythonReference(path.join(out, 'pruned_stock_convnet.h5'), TEST);
  const prunedRow = byPath.get('pruned_stock_convnet.h5');
  assert.equal(pruned.count, TEST);
  assert.equal(pruned.accuracy, prunedRow?.accuracy);
  const zeros = (d: Float32Array): number => d.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  const kernels = pruned.weights.filter((w) => w.name?.startsWith('kernel'));
  assert.deepEqual(kernels.map((w) => w.layer).sort(), [kernelOf('Conv2D'), layerNames[2], kernelOf('Dense')].sort());
  for (const w of kernels) {
    assert.equal(zeros(w.data), w.data.length / 2, `${w.layer}/${w.name}: exactly half zero`);
    assert.equal(prunedRow?.layers.find((l) => l.name === w.layer)?.sparsity, 0.5);
  }
  // Weight-quantized TF.js of the CNN: stock tfjs-decoded weights within half a quantization step
  // of h5py's float weights (uint8: pruned zeros stay exactly zero), measured in tfjs-layers.
  for (const mode of ['uint8', 'float16'] as const) {
    const rel = `pruned_stock_convnet_${mode}/model.json`;
    const row = byPath.get(rel);
    assert.ok(row && row.format === 'tfjs-quantized' && row.variant === mode && row.accuracy !== null, `${rel} measured`);
    assert.ok(Math.abs(row.accuracy - (prunedRow?.accuracy ?? 0)) <= 0.02, `${rel}: accuracy ${row.accuracy} near the float file's`);
    const json = JSON.parse(await fs.readFile(path.join(out, rel), 'utf8')) as { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
    const group = json.weightsManifest[0];
    const bin = await fs.readFile(path.join(out, path.dirname(rel), group.paths[0]));
    const decoded = tf.io.decodeWeights(new Uint8Array(bin).buffer, group.weights);
    for (const w of pruned.weights) {
      const spec = group.weights.find((e) => e.name === `${w.layer}/${w.name?.replace(/:0$/, '')}`);
      assert.ok(spec, `${w.layer}/${w.name} in ${rel}`);
      const dq = decoded[spec.name].dataSync();
      const step = mode === 'uint8' ? (spec.quantization?.scale ?? 0) / 2 + 1e-7 : 0;
      for (let i = 0; i < w.data.length; i++) {
        const tol = mode === 'uint8' ? step : Math.abs(w.data[i]) * 2 ** -11 + 6e-8;
        assert.ok(Math.abs(dq[i] - w.data[i]) <= tol, `${rel} ${spec.name}[${i}]: ${dq[i]} vs ${w.data[i]}`);
        if (w.data[i] === 0) {
          assert.equal(dq[i], 0, `${rel} ${spec.name}[${i}]: a pruned zero stays zero`);
        }
      }
    }
    tf.dispose(Object.values(decoded));
  }

  // The baseline .h5 written for F reads back with F's accuracy in numpy too.
  const baseH5 = await pythonReference(path.join(out, 'stock_convnet.h5'), TEST);
  assert.equal(baseH5.accuracy, stockAccuracy);
  for (const w of pruned.weights.filter((x) => x.name?.startsWith('bias'))) {
    const before = baseH5.weights.find((b) => b.layer === w.layer && b.name === w.name);
    assert.ok(before, `${w.layer}/${w.name} in the baseline .h5`);
    // Only a channel that never fired keeps an exact zero bias; pruning adds none.
    assert.equal(zeros(w.data), zeros(before.data), `${w.layer}/bias is not pruned`);
  }
});
