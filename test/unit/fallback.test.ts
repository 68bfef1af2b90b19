/**
 * Float fallback within quantize.maxAccuracyDrop (issue 16), through the quantize job: a tight
 * budget keeps the most sensitive layers in float one at a time until the mixed file fits; the
 * file, the comparison row and the run record say which layers stayed float; the written file
 * runs in tfjs-tflite and LiteRT.js and its accuracy equals the mixed reference's (int8
 * reference kernels + float reference). A budget the full-int8 file meets writes nothing more.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backend';
import type { ImageSet } from '../../src/engine/data/dataset';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { floatOpsOf } from '../../src/engine/export/tflite/emit';
import { lowerGraph } from '../../src/engine/export/tflite/lower';
import { forwardMixed } from '../../src/engine/export/tflite/mixedRef';
import { quantizeLowered } from '../../src/engine/export/tflite/quantizeLowered';
import { readTflite } from '../../src/engine/export/tflite/reader';
import { operatorName, TensorType } from '../../src/engine/export/tflite/schema';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import { runJob } from '../../src/engine/run';
import { LitertModel } from '../../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import type { PartialRunConfig } from '../../src/protocol/config';
import type { ModelReport, RunRecord } from '../../src/protocol/engine';
import { freshOutDir } from './child-helpers';
import { mnist, trainMlp } from './export-helpers';
import { pixelsOf } from './tflite-graph-helpers';

const TEST = 500;
let train: ImageSet;
let testSet: ImageSet;
let graph: ModelGraph;
let modelJson: string;

// Per-tensor weights calibrated on 2 images: ranges too narrow, so full-int8 clearly loses accuracy.
const config = (maxAccuracyDrop: number): PartialRunConfig => ({
  data: { trainLimit: 3000, testLimit: TEST },
  quantize: { tflite: ['float32', 'full-int8'], tfjs: [], perChannel: false, representativeSamples: 2, maxAccuracyDrop },
  backend: 'wasm',
});

async function quantize(maxDrop: number, tag: string): Promise<{ out: string; record: RunRecord }> {
  const out = freshOutDir(`fallback-${tag}`);
  const t = await runJob({ type: 'start', runId: `q${tag}`, job: 'quantize', config: config(maxDrop), configSource: 'test', outDir: out, inputModel: modelJson }, () => undefined, new AbortController().signal);
  assert.equal(t.type, 'done', JSON.stringify(t));
  return { out, record: JSON.parse(readFileSync(path.join(out, 'runs', `q${tag}.json`), 'utf8')) as RunRecord };
}

before(async () => {
  await initBackend('wasm');
  ({ train, test: testSet } = await mnist(3000, TEST));
  graph = mlpToGraph({ ...trainMlp(train, 48, 2), name: 'mlp48' });
  modelJson = (await saveTfjsGraph(graph, path.join(freshOutDir('fallback-model'), 'mlp48'))).modelJson;
});

void describe('quantize.maxAccuracyDrop', () => {
  void test('a tight budget: layers go float one at a time, most sensitive first, until the mixed file fits; file, row and record agree', async () => {
    const { out, record } = await quantize(0, 'tight');
    const fb = record.stages.find((s) => s.stage === 'export')?.fallback;
    assert.ok(fb, 'the export stage records the fallback');
    assert.ok(fb.needed, `full-int8 ${fb.fullInt8Accuracy} vs float ${fb.floatAccuracy} should exceed the budget`);
    assert.ok(fb.floatAccuracy - fb.fullInt8Accuracy > 0);
    // The layers are chosen on the validation split (Keras tail split: training images 2700…2999), not on the test set.
    const dec = fb.decidedOn!;
    assert.deepEqual([dec.split, dec.samples], ['validation', 300]);
    // Each trial adds one layer to the previous one's float layers; only the last can be within the budget (on the validation split).
    fb.trials.forEach((t, i) => {
      assert.equal(t.floatLayers.length, i + 1);
      assert.deepEqual(t.floatLayers.slice(0, i), i > 0 ? fb.trials[i - 1].floatLayers : []);
      const within = dec.float32Accuracy - t.accuracy <= 1e-9;
      assert.equal(within, i === fb.trials.length - 1, `trial ${i}: ${t.accuracy} vs float32 ${dec.float32Accuracy} on the validation split`);
    });
    // met is judged on the test set, where the user reads it.
    assert.equal(fb.met, fb.floatAccuracy - (fb.accuracy ?? -1) <= 1e-9);
    assert.deepEqual(fb.floatLayers, fb.trials[fb.trials.length - 1].floatLayers);
    assert.equal(fb.file, 'mlp48_mixed_int8.tflite');

    const row = record.report.find((r: ModelReport) => r.path === fb.file);
    assert.ok(row, 'a comparison row for the mixed file');
    assert.equal(row.variant, 'mixed-int8');
    assert.deepEqual(row.floatLayers, fb.floatLayers);
    assert.equal(row.accuracy, fb.accuracy);
    assert.match(readFileSync(path.join(out, 'comparison.md'), 'utf8'), new RegExp(`mixed-int8 \\(float: ${fb.floatLayers.join(', ')}\\)`));

    // The file: float FULLY_CONNECTED for the float layers, int8 for the rest; runs in both runtimes.
    const data = new Uint8Array(readFileSync(path.join(out, fb.file)));
    const g = readTflite(data);
    const fcs = g.operators.filter((o) => operatorName(o.op) === 'FULLY_CONNECTED');
    assert.equal(fcs.length, 2);
    for (const o of fcs) {
      const w = g.tensors[o.inputs[1]];
      const layer = w.name.split('/')[0];
      assert.equal(w.type === TensorType.FLOAT32, fb.floatLayers.includes(layer), `${w.name}: ${w.type}`);
    }
    const l = lowerGraph(graph);
    const q = quantizeLowered(l, pixelsOf(train.images, 0, 2), 2, false);
    const isFloat = floatOpsOf(l, new Set(fb.floatLayers));
    const tm = await TfliteModel.load(data, 'mixed');
    const lm = await LitertModel.load(data, 'mixed');
    try {
      let ok = 0;
      let maxRt = 0;
      for (let n = 0; n < TEST; n++) {
        const x = pixelsOf(testSet.images, n, 1);
        const ref = forwardMixed(l, q, isFloat, x);
        const y = tm.run(x);
        ok += ref.indexOf(Math.max(...ref)) === testSet.labels[n] ? 1 : 0;
        if (n < 50) {
          const z = await lm.run(x);
          for (let c = 0; c < 10; c++) {
            maxRt = Math.max(maxRt, Math.abs(y[c] - z[c]));
          }
        }
      }
      assert.ok(Math.abs(ok / TEST - (fb.accuracy ?? -1)) <= 1 / TEST, `reference ${ok / TEST} vs runtime ${fb.accuracy}`);
      // The last trial's accuracy is the written file's on the validation images, by our int8 reference.
      let okVal = 0;
      for (let n = 2700; n < 3000; n++) {
        const ref = forwardMixed(l, q, isFloat, pixelsOf(train.images, n, 1));
        okVal += ref.indexOf(Math.max(...ref)) === train.labels[n] ? 1 : 0;
      }
      const last = fb.trials[fb.trials.length - 1].accuracy;
      assert.ok(Math.abs(okVal / 300 - last) <= 1 / 300, `validation: reference ${okVal / 300} vs trial ${last}`);
      assert.ok(maxRt <= 1e-5, `tfjs-tflite vs LiteRT.js max |Δ| ${maxRt}`);
    } finally {
      tm.dispose();
      lm.dispose();
    }
  });

  void test('a budget the full-int8 file meets: recorded as not needed, no mixed file', async () => {
    const { out, record } = await quantize(1, 'loose');
    const fb = record.stages.find((s) => s.stage === 'export')?.fallback;
    assert.ok(fb && !fb.needed && fb.trials.length === 0);
    assert.ok(!existsSync(path.join(out, 'mlp48_mixed_int8.tflite')));
    assert.ok(!record.report.some((r) => r.variant === 'mixed-int8'));
  });
});
