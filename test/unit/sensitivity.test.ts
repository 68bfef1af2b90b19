/**
 * The sensitivity job (issue 16) on a small trained MLP, in-process through runJob: the same
 * seed gives the same report, another seed only other error samples; the pruning cells match a
 * plain-JS forward pass with the kernel pruned by a plain sort; the "only this layer int8"
 * accuracy matches the mixed reference (int8 reference kernels + float reference); the
 * accumulated error of the output matches RMSE between a plain-JS float forward pass and the
 * full-int8 file in the real TFLite runtime. Plus hand-worked suggestion and 2:4 checks.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { resolveConfig } from '../../src/engine/config';
import type { ImageSet } from '../../src/engine/data/dataset';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { floatOpsOf } from '../../src/engine/export/tflite/emit';
import { graphTfliteBytes } from '../../src/engine/export/tflite/graphExport';
import { lowerGraph } from '../../src/engine/export/tflite/lower';
import { forwardMixed } from '../../src/engine/export/tflite/mixedRef';
import { quantizeLowered } from '../../src/engine/export/tflite/quantizeLowered';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import { errorSampleIndices } from '../../src/engine/jobs/sensitivity';
import type { MlpModel } from '../../src/engine/model/mlp';
import { runJob } from '../../src/engine/run';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { nmGroupsOk } from '../../src/engine/sensitivity/nm';
import { suggestSparsities } from '../../src/engine/sensitivity/suggest';
import type { PartialRunConfig } from '../../src/protocol/config';
import type { EngineEvent } from '../../src/protocol/engine';
import type { PruneSensitivityRow, SensitivityReport } from '../../src/protocol/sensitivity';
import { freshOutDir } from './child-helpers';
import { mnist, trainMlp } from './export-helpers';
import { pixelsOf } from './tflite-graph-helpers';

const TEST = 400;
let train: ImageSet;
let testSet: ImageSet;
let mlp: MlpModel;
let graph: ModelGraph;
let modelJson: string;
const reports = new Map<number, { report: SensitivityReport; event: SensitivityReport; dir: string; events: EngineEvent[] }>();

// validationSplit 0: no validation split, so the job decides on the test set (with a warning) and the
// plain-JS references below are computed on the test images. The validation case is its own test.
const config = (seed: number, validationSplit = 0): PartialRunConfig => ({
  data: { trainLimit: 3000, testLimit: TEST },
  train: { seed, validationSplit },
  quantize: { representativeSamples: 100 },
  sensitivity: { sparsities: [0.5, 0.9], targetSparsity: 0.6, errorSamples: 50 },
  backend: 'wasm',
});

async function analyze(seed: number, tag: string, validationSplit = 0): Promise<{ report: SensitivityReport; event: SensitivityReport; dir: string; events: EngineEvent[] }> {
  const out = freshOutDir(`sens-${tag}`);
  const events: EngineEvent[] = [];
  const t = await runJob({ type: 'start', runId: `s${seed}${tag}`, job: 'sensitivity', config: config(seed, validationSplit), configSource: 'test', outDir: out, inputModel: modelJson }, (e) => events.push(e), new AbortController().signal);
  assert.equal(t.type, 'done', JSON.stringify(t));
  const ev = events.find((e): e is Extract<EngineEvent, { type: 'sensitivity' }> => e.type === 'sensitivity');
  assert.ok(ev, 'a sensitivity event');
  const report = JSON.parse(readFileSync(path.join(out, 'sensitivity.json'), 'utf8')) as SensitivityReport;
  const record = JSON.parse(readFileSync(path.join(out, 'runs', `s${seed}${tag}.json`), 'utf8')) as { sensitivity: SensitivityReport };
  assert.deepEqual(record.sensitivity, report, 'the run record carries the same report');
  return { report, event: ev.report, dir: out, events };
}

/** Plain-JS forward of the 2-layer MLP (relu, softmax), in float64. */
function forward(m: MlpModel, x: Float32Array): Float64Array {
  let h: Float64Array = Float64Array.from(x);
  m.layers.forEach((l, li) => {
    const y = new Float64Array(l.units);
    for (let o = 0; o < l.units; o++) {
      let acc = l.bias[o];
      for (let i = 0; i < l.inputDim; i++) {
        acc += h[i] * l.kernel[i * l.units + o];
      }
      y[o] = acc;
    }
    if (li < m.layers.length - 1) {
      h = y.map((v) => Math.max(0, v));
    } else {
      const mx = Math.max(...y);
      const e = y.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      h = e.map((v) => v / s);
    }
  });
  return h;
}

const argmax = (a: ArrayLike<number>): number => Array.from(a).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);

function accuracyOf(m: MlpModel, set: ImageSet = testSet, start = 0, count = set.count): number {
  let ok = 0;
  for (let n = start; n < start + count; n++) {
    ok += argmax(forward(m, pixelsOf(set.images, n, 1))) === set.labels[n] ? 1 : 0;
  }
  return ok / count;
}

before(async () => {
  await initBackend('wasm');
  ({ train, test: testSet } = await mnist(3000, TEST));
  mlp = trainMlp(train, 32, 2);
  graph = mlpToGraph({ ...mlp, name: 'mlp32' });
  const dir = freshOutDir('sens-model');
  modelJson = (await saveTfjsGraph(graph, path.join(dir, 'mlp32'))).modelJson;
  reports.set(42, await analyze(42, 'a'));
});

void describe('sensitivity job', () => {
  void test('the same seed gives the same report (file, event, record); another seed changes only the int8 error samples', async () => {
    const a = reports.get(42)!;
    assert.deepEqual(a.event, a.report);
    const again = await analyze(42, 'b');
    assert.deepEqual(again.report, a.report);
    const other = await analyze(7, 'c');
    assert.deepEqual(other.report.prune, a.report.prune);
    assert.equal(other.report.fullInt8Accuracy, a.report.fullInt8Accuracy);
    assert.notDeepEqual(errorSampleIndices(TEST, 50, 7), errorSampleIndices(TEST, 50, 42));
    assert.notEqual(other.report.quant[0].own.rmse, a.report.quant[0].own.rmse);
    assert.equal(a.report.errorSamples, 50);
    assert.equal(a.report.split, 'test');
    assert.equal(a.report.samples, TEST);
    assert.ok(a.events.some((e) => e.type === 'warning' && e.code === 'selection-on-test-set' && /train\.validationSplit/.test(e.message)), 'says it decided on the test set');
    assert.deepEqual(a.report.prune.map((p) => p.layer), ['dense', 'dense_1']);
    assert.deepEqual(a.report.quant.map((q) => q.layer), ['dense', 'dense_1']);
    assert.deepEqual(a.report.quant[1].ops, ['fc', 'softmax']);
  });

  void test('with a validation split it decides on the validation samples (Keras tail split: the last 300 of 3000), not the test set', async () => {
    const v = await analyze(42, 'val', 0.1);
    assert.equal(v.report.split, 'validation');
    assert.equal(v.report.samples, 300);
    const want = accuracyOf(mlp, train, 2700, 300);
    assert.ok(Math.abs(v.report.baselineAccuracy - want) <= 1 / 300, `baseline ${v.report.baselineAccuracy} vs plain JS on the validation images ${want}`);
    assert.ok(!v.events.some((e) => e.type === 'warning' && e.code === 'selection-on-test-set'));
    assert.match(readFileSync(path.join(v.dir, 'sensitivity.md'), 'utf8'), /on 300 validation samples \(the test set is kept/);
  });

  void test('pruning cells = a plain-JS forward pass with the smallest |w| of that layer zeroed (plain sort), others dense', () => {
    const r = reports.get(42)!.report;
    assert.ok(Math.abs(r.baselineAccuracy - accuracyOf(mlp)) <= 1 / TEST, `baseline ${r.baselineAccuracy} vs ${accuracyOf(mlp)}`);
    for (const [li, layer] of ['dense', 'dense_1'].entries()) {
      r.sparsities.forEach((s, si) => {
        const k = mlp.layers[li].kernel;
        const order = Array.from(k.keys()).sort((a, b) => Math.abs(k[a]) - Math.abs(k[b]));
        const zeroed = Float32Array.from(k);
        order.slice(0, Math.round(k.length * s)).forEach((i) => (zeroed[i] = 0));
        const m: MlpModel = { ...mlp, layers: mlp.layers.map((l, j) => (j === li ? { ...l, kernel: zeroed } : l)) };
        const want = accuracyOf(m);
        const row = r.prune.find((p) => p.layer === layer)!;
        assert.ok(Math.abs(row.accuracy[si] - want) <= 1 / TEST, `${layer} at ${s}: ${row.accuracy[si]} vs ${want}`);
        assert.ok(Math.abs(row.drop[si] - (r.baselineAccuracy - row.accuracy[si])) < 1e-12);
      });
    }
    assert.equal(r.prune[0].weights, 784 * 32);
  });

  void test('"only this layer int8" accuracy = the mixed reference (int8 reference kernels + float reference) on the test set', () => {
    const r = reports.get(42)!.report;
    const l = lowerGraph(graph);
    const q = quantizeLowered(l, pixelsOf(train.images, 0, 100), 100, true);
    for (const row of r.quant) {
      const floatLayers = ['dense', 'dense_1'].filter((n) => n !== row.layer);
      const isFloat = floatOpsOf(l, new Set(floatLayers));
      let ok = 0;
      for (let n = 0; n < TEST; n++) {
        ok += argmax(forwardMixed(l, q, isFloat, pixelsOf(testSet.images, n, 1))) === testSet.labels[n] ? 1 : 0;
      }
      assert.ok(Math.abs((row.int8OnlyAccuracy ?? -1) - ok / TEST) <= 1 / TEST, `${row.layer}: ${row.int8OnlyAccuracy} vs ${ok / TEST}`);
      assert.ok(Math.abs((row.int8OnlyDrop ?? 0) - ((r.float32Accuracy ?? 0) - (row.int8OnlyAccuracy ?? 0))) < 1e-12);
    }
  });

  void test('accumulated error at the output = RMSE / max |Δ| / cosine between a plain-JS float forward pass and the full-int8 file in tfjs-tflite', async () => {
    const r = reports.get(42)!.report;
    const { data } = graphTfliteBytes(graph, 'full-int8', { calibration: { samples: pixelsOf(train.images, 0, 100), count: 100 } });
    const tm = await TfliteModel.load(data, 'full-int8');
    try {
      let sq = 0;
      let n = 0;
      let max = 0;
      let cos = 0;
      const idx = errorSampleIndices(TEST, 50, 42);
      for (const i of idx) {
        const x = pixelsOf(testSet.images, i, 1);
        const want = forward(mlp, x);
        const got = tm.run(x);
        let dot = 0;
        let a2 = 0;
        let b2 = 0;
        for (let c = 0; c < 10; c++) {
          const d = got[c] - want[c];
          sq += d * d;
          n++;
          max = Math.max(max, Math.abs(d));
          dot += got[c] * want[c];
          a2 += got[c] * got[c];
          b2 += want[c] * want[c];
        }
        cos += dot / Math.sqrt(a2 * b2);
      }
      const acc = r.quant.find((q) => q.layer === 'dense_1')!.accumulated;
      assert.ok(Math.abs(acc.rmse - Math.sqrt(sq / n)) < 1e-5, `rmse ${acc.rmse} vs ${Math.sqrt(sq / n)}`);
      assert.ok(Math.abs(acc.maxAbs - max) < 1e-5, `max ${acc.maxAbs} vs ${max}`);
      assert.ok(Math.abs(acc.cosine - cos / idx.length) < 1e-6);
      assert.ok(acc.rmse > 0, 'int8 changes the output');
      // The softmax output's step is 1/256: rmseSteps is rmse in those steps.
      assert.ok(Math.abs(acc.rmseSteps - acc.rmse * 256) < 1e-9);
    } finally {
      tm.dispose();
    }
  });

  void test('the suggestion is a prune.layers map that resolveConfig accepts and reaches the global target', () => {
    const r = reports.get(42)!.report;
    const s = r.suggestion!;
    const total = r.prune.reduce((a, p) => a + p.weights, 0);
    const overall = r.prune.reduce((a, p) => a + s.layers[p.layer] * p.weights, 0) / total;
    assert.ok(Math.abs(overall - 0.6) < 1e-3, `overall ${overall}`);
    const cfg = resolveConfig(JSON.parse(s.config), 'suggestion');
    assert.deepEqual(cfg.prune.layers, s.layers);
  });

  void test('a suggestion naming a model file\'s layers is accepted for --model runs, and checked against that file when the job starts', async () => {
    const cnn = { prune: { layers: { conv2d: 0, conv2d_1: 0.25, dense: 0.5 } } };
    // Without a model file the names are the reference MLP's (dense, dense_1): conv2d is refused early.
    assert.throws(() => resolveConfig(cnn, 'x'), /prune\.layers\.conv2d.*not a layer of this model/);
    assert.deepEqual(resolveConfig(cnn, 'x', { modelFile: true }).prune.layers, cnn.prune.layers);
    // With --model the job checks the names against the file's graph (here the MLP: conv2d is not in it).
    const out = freshOutDir('sens-names');
    const t = await runJob({ type: 'start', runId: 'names', job: 'prune', config: { ...config(42), ...cnn }, configSource: 'test', outDir: out, inputModel: modelJson }, () => undefined, new AbortController().signal);
    assert.equal(t.type, 'error');
    assert.match(t.type === 'error' ? t.message : '', /Layer "conv2d" in prune\.layers cannot be pruned: the model has no such layer\. Prunable layers: dense, dense_1/);
  });
});

void describe('suggestion and 2:4, hand-worked', () => {
  const row = (layer: string, weights: number, drop: number[]): PruneSensitivityRow => ({ layer, className: 'Dense', weights, accuracy: drop.map((d) => 0.9 - d), drop });

  void test('the cheapest accuracy per pruned weight goes first; the last step is cut to hit the target', () => {
    // a: 100 weights, drops 0.01 at 0.5, 0.10 at 0.9; b: 300 weights, drops 0.003 at 0.5, 0.06 at 0.9.
    // Cost per weight of a → 0.5: 0.01 / 50 = 2e-4; b → 0.5: 0.003 / 150 = 2e-5 (first; 150 pruned).
    // Then a → 0.5: 2e-4; b 0.5 → 0.9: 0.057 / 120 = 4.75e-4 → a (200 pruned). Target 0.6·400 = 240:
    // a 0.5 → 0.9 costs 0.09 / 40 = 2.25e-3 > b's 4.75e-4 → b gets the last 40 weights: 0.5 + 40/300.
    const { suggestion } = suggestSparsities([row('a', 100, [0.01, 0.1]), row('b', 300, [0.003, 0.06])], [0.5, 0.9], 0.6);
    assert.deepEqual(suggestion!.layers, { a: 0.5, b: 0.633 });
    assert.equal(suggestion!.config, '{"prune":{"layers":{"a":0.5,"b":0.633}}}');
    // Estimated drop: a 0.01 + b at 0.6333 (linear between 0.003 and 0.06).
    assert.ok(Math.abs(suggestion!.estimatedDrop - (0.01 + 0.003 + (0.133 / 0.4) * 0.057)) < 1e-9);
    assert.equal(suggestSparsities([row('a', 100, [0.01, 0.1])], [0.5, 0.9], 0.95).suggestion, undefined);
    assert.throws(() => resolveConfig({ sensitivity: { sparsities: [0.5], targetSparsity: 0.8 } }), /sensitivity\.targetSparsity \(0\.8\) is above the largest/);
  });

  void test('2:4: groups of 4 consecutive inputs per output unit, at least 2 zeros each', () => {
    // Dense [8 in, 2 out]: unit 0 has zeros at inputs 0,1 and 5,6 (both groups ok); unit 1 at 0 and 4,5,6 (first group fails).
    const k = new Float32Array(16).fill(1);
    for (const i of [0, 1, 5, 6]) {k[i * 2] = 0;}
    for (const i of [0, 4, 5, 6]) {k[i * 2 + 1] = 0;}
    assert.equal(nmGroupsOk(k, [8, 2], 2, 4), 3 / 4);
    for (const i of [1]) {k[i * 2 + 1] = 0;}
    assert.equal(nmGroupsOk(k, [8, 2], 2, 4), 1);
  });
});
