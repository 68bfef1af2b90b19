/**
 * Structured pruning (issue 16): removing channels that are zero everywhere (zero kernel and
 * bias, and zero after the BatchNormalization that follows) leaves the outputs as they were —
 * checked with stock tfjs-core ops (tflite-graph-helpers.ts tfjsForward, independent of our
 * layer kinds), in the TFLite runtime and in tfjs-layers from the saved TF.js files — and
 * yields the expected shapes through BatchNormalization, DepthwiseConv2D, Flatten and Dense,
 * also in the .h5 as h5py reads it. L1 and L2 rank differently where they should; layers whose
 * channels reach the output or an Add are refused. And the prune job with prune.structured.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { BadInputError } from '../../src/engine/errors';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { graphTfliteBytes } from '../../src/engine/export/tflite/graphExport';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph, WeightTensor } from '../../src/engine/graph/types';
import { loadLayersModelFromDisk } from '../../src/engine/report/tfjsRuntime';
import { channelNorms, keptChannels, removeChannels } from '../../src/engine/prune/structured';
import { runJob } from '../../src/engine/run';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { parseArgs } from '../../src/cli/args';
import type { RunRecord } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';
import { PYTHON } from './data-helpers';
import { mnist, trainMlp } from './export-helpers';
import { functional, GraphMaker, tfjsForward } from './tflite-graph-helpers';

const conv = (filters: number, k: number) => ({ filters, kernelSize: [k, k], strides: [1, 1], padding: 'valid', dilationRate: [1, 1], activation: 'relu', useBias: true });

/** Conv(8)-BN-Pool-Depthwise(×2)-Conv(8)-Flatten-Dense(12)-Dropout-Dense(10): dead channels 1, 6 of conv2d; 0, 3 of conv2d_1; 2, 5, 9 of dense. */
function deadChannelModel(): ModelGraph {
  const m = new GraphMaker(5);
  const x = m.input('input_1', [14, 14, 1]);
  let h = m.add('Conv2D', 'conv2d', [x], conv(8, 3), [['kernel', [3, 3, 1, 8], 'glorot', 9, 72], ['bias', [8], 'bias']]);
  h = m.add('BatchNormalization', 'batch_normalization', [h], { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true }, [
    ['gamma', [8], 'ones'],
    ['beta', [8], 'bias'],
    ['moving_mean', [8], 'small'],
    ['moving_variance', [8], 'var'],
  ]);
  h = m.add('MaxPooling2D', 'max_pooling2d', [h], { poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
  h = m.add('DepthwiseConv2D', 'depthwise_conv2d', [h], { kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1], depthMultiplier: 2, activation: 'relu', useBias: true }, [
    ['depthwise_kernel', [3, 3, 8, 2], 'glorot', 9, 18],
    ['bias', [16], 'bias'],
  ]);
  h = m.add('Conv2D', 'conv2d_1', [h], conv(8, 3), [['kernel', [3, 3, 16, 8], 'glorot', 144, 72], ['bias', [8], 'bias']]);
  h = m.add('Flatten', 'flatten', [h], {});
  h = m.add('Dense', 'dense', [h], { units: 12, activation: 'relu', useBias: true }, [['kernel', [4 * 4 * 8, 12], 'glorot', 128, 12], ['bias', [12], 'bias']]);
  h = m.add('Dropout', 'dropout', [h], { rate: 0.5 });
  const y = m.add('Dense', 'dense_1', [h], { units: 10, activation: 'softmax', useBias: true }, [['kernel', [12, 10], 'glorot', 12, 10], ['bias', [10], 'bias']]);
  const g = m.graph('dead', x, y);
  const w = (layer: string, name: string): WeightTensor => g.layers.find((l) => l.name === layer)!.weights.find((q) => q.name === name)!;
  const kill = (layer: string, channels: number[]): void => {
    const k = w(layer, 'kernel');
    const out = k.shape[k.shape.length - 1];
    k.data.forEach((_v, i) => channels.includes(i % out) && (k.data[i] = 0));
    channels.forEach((c) => (w(layer, 'bias').data[c] = 0));
  };
  kill('conv2d', [1, 6]);
  // The BN after conv2d maps a zero channel to beta − mean·γ/√(var+ε): zero for the dead ones.
  for (const c of [1, 6]) {
    w('batch_normalization', 'beta').data[c] = 0;
    w('batch_normalization', 'moving_mean').data[c] = 0;
  }
  // The depthwise filters of a dead channel see zeros; their bias would still leak through ReLU: zero it.
  for (const c of [2, 3, 12, 13]) {
    w('depthwise_conv2d', 'bias').data[c] = 0;
  }
  kill('conv2d_1', [0, 3]);
  kill('dense', [2, 5, 9]);
  return g;
}

const X = Float32Array.from({ length: 6 * 196 }, (_, i) => ((i * 7919) % 255) / 255);
const shapes = (g: ModelGraph): Record<string, number[][]> => Object.fromEntries(g.layers.filter((l) => l.weights.length).map((l) => [l.name, l.weights.map((w) => w.shape)]));

before(async () => {
  await initBackend('wasm');
});

void describe('removing channels', () => {
  void test('zero-norm channels removed: outputs identical (stock tfjs ops, TFLite runtime, tfjs-layers from the saved files), shapes as expected, .h5 shapes in h5py', async () => {
    const g = deadChannelModel();
    // 2 of 8, 2 of 8 and 3 of 12 are exactly round(0.25·C): the dead ones have the smallest (zero) norms.
    const r = removeChannels(g, { fraction: 0.25, norm: 'l1', layers: 'all' }, 'dead_pruned');
    assert.deepEqual(
      r.layers.map((l) => [l.layer, l.before, l.after, l.removed]),
      [
        ['conv2d', 8, 6, [1, 6]],
        ['conv2d_1', 8, 6, [0, 3]],
        ['dense', 12, 9, [2, 5, 9]],
      ],
    );
    assert.deepEqual(r.skipped.map((s) => s.layer), ['dense_1']);
    assert.deepEqual(shapes(r.graph), {
      conv2d: [[3, 3, 1, 6], [6]],
      batch_normalization: [[6], [6], [6], [6]],
      depthwise_conv2d: [[3, 3, 6, 2], [12]],
      conv2d_1: [[3, 3, 12, 6], [6]],
      dense: [[4 * 4 * 6, 9], [9]],
      dense_1: [[9, 10], [10]],
    });
    assert.equal(r.graph.layers.find((l) => l.name === 'conv2d')!.config.filters, 6);
    assert.equal(r.graph.layers.find((l) => l.name === 'dense')!.config.units, 9);
    assert.deepEqual(shapes(g).conv2d, [[3, 3, 1, 8], [8]], 'the input graph is unchanged');

    const before = tfjsForward(g, X, 6);
    const after = tfjsForward(r.graph, X, 6);
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    assert.ok(maxDiff(before, after) <= 1e-6, `stock tfjs ops: max |Δ| ${maxDiff(before, after)}`);

    const tm = await TfliteModel.load(graphTfliteBytes(r.graph, 'float32').data, 'pruned float32');
    try {
      for (let n = 0; n < 6; n++) {
        const y = tm.run(X.subarray(n * 196, (n + 1) * 196));
        assert.ok(maxDiff(y, before.subarray(n * 10, (n + 1) * 10)) <= 1e-5);
      }
    } finally {
      tm.dispose();
    }

    const dir = freshOutDir('structured-files');
    await saveTfjsGraph(r.graph, path.join(dir, 'tfjs'));
    const lm = await loadLayersModelFromDisk(path.join(dir, 'tfjs'));
    const y = lm.predict(tf.tensor4d(X, [6, 14, 14, 1])) as tf.Tensor;
    assert.ok(maxDiff(y.dataSync(), before) <= 1e-5, 'tfjs-layers reads the smaller model and computes the same');
    y.dispose();
    lm.dispose();

    const h5 = path.join(dir, 'dead_pruned.h5');
    await saveKerasH5Graph(r.graph, h5);
    if (existsSync(PYTHON)) {
      const py = spawnSync(PYTHON, ['-c', 'import h5py,sys,json\nf=h5py.File(sys.argv[1],"r")["model_weights"]\nout={}\nf.visititems(lambda n,o: out.__setitem__(n, list(o.shape)) if hasattr(o,"shape") else None)\nprint(json.dumps(out))', h5], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      {
        const read = JSON.parse(py.stdout) as Record<string, number[]>;
        const find = (suffix: string): number[] | undefined => Object.entries(read).find(([k]) => k.endsWith(suffix))?.[1];
        assert.deepEqual(find('conv2d/kernel:0'), [3, 3, 1, 6]);
        assert.deepEqual(find('conv2d_1/kernel:0'), [3, 3, 12, 6]);
        assert.deepEqual(find('depthwise_conv2d/depthwise_kernel:0'), [3, 3, 6, 2]);
        assert.deepEqual(find('dense/kernel:0'), [96, 9]);
        assert.deepEqual(find('batch_normalization/moving_variance:0'), [6]);
      }
    }
  });

  void test('L1 and L2 rank channels differently where they should; ties remove the lower index; at least one channel stays', () => {
    // Channel 0: [1, 1, 1, 1] (L1 4, L2 2); channel 1: [3, 0, 0, 0] (L1 3, L2 3). Kernel [4 in, 2 out].
    const k: WeightTensor = { name: 'kernel', shape: [4, 2], trainable: true, data: Float32Array.from([1, 3, 1, 0, 1, 0, 1, 0]) };
    assert.deepEqual(Array.from(channelNorms(k, 'l1')), [4, 3]);
    assert.deepEqual(Array.from(channelNorms(k, 'l2')), [2, 3]);
    assert.deepEqual(keptChannels(channelNorms(k, 'l1'), 0.5), [0]);
    assert.deepEqual(keptChannels(channelNorms(k, 'l2'), 0.5), [1]);
    assert.deepEqual(keptChannels(Float64Array.from([1, 1, 1, 1]), 0.5), [2, 3]);
    assert.deepEqual(keptChannels(Float64Array.from([1, 2]), 0.99), [1]);
  });

  void test('refusals: the output layer, channels that reach an Add, an unknown layer', () => {
    const f = functional();
    const r = removeChannels(f, { fraction: 0.5, norm: 'l1', layers: 'all' });
    // conv2d → BN → activation feeds the Add; conv2d_1 feeds it too: neither can shrink; dense is the output.
    assert.deepEqual(r.layers, []);
    assert.match(r.skipped.find((s) => s.layer === 'conv2d_1')!.reason, /feed add \(Add\)/);
    assert.throws(() => removeChannels(f, { fraction: 0.5, norm: 'l1', layers: ['dense'] }), (e: unknown) => e instanceof BadInputError && /output layer/.test(e.message));
    assert.throws(() => removeChannels(f, { fraction: 0.5, norm: 'l1', layers: ['nope'] }), BadInputError);
    assert.throws(() => removeChannels(f, { fraction: 1, norm: 'l1', layers: 'all' }), BadInputError);
  });

  void test('CLI: --structured F [--norm l1|l2] for prune and pipeline; bad values exit 2 with the fix', () => {
    assert.deepEqual(parseArgs(['prune', '--structured', '0.5', '--norm', 'l2']).overrides.prune, { structured: { fraction: 0.5, norm: 'l2' } });
    assert.deepEqual(parseArgs(['pipeline', '--structured=0.25']).overrides.prune, { structured: { fraction: 0.25, norm: 'l1' } });
    assert.throws(() => parseArgs(['prune', '--structured', '50%']), /fraction in \[0, 1\)/);
    assert.throws(() => parseArgs(['prune', '--structured', '1']), /fraction in \[0, 1\)/);
    assert.throws(() => parseArgs(['prune', '--norm', 'l1']), /needs --structured/);
    assert.throws(() => parseArgs(['prune', '--structured', '0.5', '--norm', 'l3']), /l1 or l2/);
    assert.throws(() => parseArgs(['quantize', '--structured', '0.5']), /does not prune/);
  });
});

void describe('the prune job with prune.structured', () => {
  void test('a trained MLP loses half its hidden units, is fine-tuned, saved smaller and recorded', async () => {
    const { train } = await mnist(2000, 10);
    const g = mlpToGraph({ ...trainMlp(train, 32, 1), name: 'mlp32' });
    const modelJson = (await saveTfjsGraph(g, path.join(freshOutDir('structured-in'), 'mlp32'))).modelJson;
    const out = freshOutDir('structured-job');
    const t = await runJob(
      { type: 'start', runId: 'st1', job: 'prune', config: { data: { trainLimit: 2000, testLimit: 300 }, prune: { epochs: 1, structured: { fraction: 0.5, norm: 'l2' } }, backend: 'wasm' }, configSource: 'test', outDir: out, inputModel: modelJson },
      () => undefined,
      new AbortController().signal,
    );
    assert.equal(t.type, 'done', JSON.stringify(t));
    const rec = JSON.parse(readFileSync(path.join(out, 'runs', 'st1.json'), 'utf8')) as RunRecord;
    const st = rec.stages.find((s) => s.stage === 'prune')!;
    assert.equal(st.structured?.norm, 'l2');
    assert.deepEqual(st.structured?.layers.map((l) => [l.layer, l.before, l.after, l.removed.length]), [['dense', 32, 16, 16]]);
    assert.equal(st.structured?.paramsAfter, 784 * 16 + 16 + 16 * 10 + 10);
    assert.ok((st.testAccuracy ?? 0) > 0.5, `fine-tuned accuracy ${st.testAccuracy}`);
    const manifest = JSON.parse(readFileSync(path.join(out, 'pruned_mlp32', 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    const kernels = manifest.weightsManifest.flatMap((m) => m.weights).filter((w) => w.name.endsWith('kernel'));
    assert.deepEqual(kernels.map((w) => w.shape), [[784, 16], [16, 10]]);
    // The removed units are those with the smallest L2 column norms of the input model.
    const norms = Array.from(channelNorms(g.layers[1].weights[0], 'l2'));
    const smallest = norms.map((n, i) => [n, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, 16).map((p) => p[1]).sort((a, b) => a - b);
    assert.deepEqual(st.structured?.layers[0].removed, smallest);
    assert.ok(st.nm && st.nm.rows.length === 2 && /NVIDIA/.test(st.nm.note));
  });
});

void describe('structured pruning on the user\'s own data', () => {
  void test('the structured-pruned model.json has the data\'s normalisation built in, like the unstructured one (it used to take normalised values)', async () => {
    // CSV: 3 classes, 6 features far from zero mean / unit variance, standardised: the run builds a Normalization in.
    const dir = freshOutDir('structured-csv');
    const rows = (n: number, seed: number): string => {
      let s = seed;
      const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
      const lines = ['label,a,b,c,d,e,f'];
      for (let i = 0; i < n; i++) {
        const c = i % 3;
        lines.push([c, ...Array.from({ length: 6 }, (_v, j) => (500 + 40 * c * (j + 1) + 30 * rnd()).toFixed(3))].join(','));
      }
      return lines.join('\n') + '\n';
    };
    writeFileSync(path.join(dir, 'train.csv'), rows(300, 1));
    writeFileSync(path.join(dir, 'test.csv'), rows(60, 2));
    const m = new GraphMaker(3);
    const x = m.input('input_1', [6]);
    const h = m.add('Dense', 'dense', [x], { units: 8, activation: 'relu', useBias: true }, [['kernel', [6, 8], 'glorot', 6, 8], ['bias', [8], 'bias']]);
    const y = m.add('Dense', 'dense_1', [h], { units: 3, activation: 'softmax', useBias: true }, [['kernel', [8, 3], 'glorot', 8, 3], ['bias', [3], 'bias']]);
    const modelJson = (await saveTfjsGraph(m.graph('tab', x, y), path.join(dir, 'tab'))).modelJson;
    const data = { source: 'csv', trainFile: path.join(dir, 'train.csv'), testFile: path.join(dir, 'test.csv'), normalize: 'standardize' };
    const firstLayers = async (prune: Record<string, unknown>, out: string): Promise<string[]> => {
      const t = await runJob({ type: 'start', runId: 'r', job: 'prune', config: { data, prune: { epochs: 1, ...prune }, backend: 'wasm' }, configSource: 'test', outDir: out, inputModel: modelJson } as never, () => undefined, new AbortController().signal);
      assert.equal(t.type, 'done', JSON.stringify(t));
      const topo = (JSON.parse(readFileSync(path.join(out, 'pruned_tab', 'model.json'), 'utf8')) as { modelTopology: { model_config?: { config: { layers: { config: { name: string } }[] } }; config?: { layers: { config: { name: string } }[] } } }).modelTopology;
      return (topo.model_config ?? topo).config!.layers.map((l) => l.config.name);
    };
    const unstructured = await firstLayers({}, freshOutDir('structured-csv-u'));
    const structured = await firstLayers({ structured: { fraction: 0.5, norm: 'l1' } }, freshOutDir('structured-csv-s'));
    assert.ok(unstructured.includes('input_normalization'), unstructured.join(', '));
    assert.ok(structured.includes('input_normalization'), structured.join(', '));
  });
});
