/**
 * `evaluate` reads every model through the importers (the one reader of .h5 / .keras /
 * model.json): a TF.js model stock tfjs-layers cannot load (here a Normalization layer,
 * which tfjs-layers 4.22 does not have) is still evaluated, on the graph, and says so; a
 * Dense stack in .h5 keeps the plain-JS forward pass. Accuracies against hand-computed
 * predictions (the formula, in plain JS, on the weights set here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { sampleSet } from '../../src/engine/data/dataset';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { buildSequential } from '../../src/engine/graph/build';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { loadLayersModelFromDisk } from '../../src/engine/report/tfjsRuntime';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-eval-readers-'));
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const MEAN = [1, -2, 0.5, 3];
const VAR = [4, 1, 0.25, 9];
/** Dense 4 → 3 (row-major [in, out]) and its bias. */
const W = [1, -1, 0.5, -0.5, 2, 0, 0, 1, -1, 1.5, -0.5, 1];
const B = [0.1, -0.2, 0.05];

/** argmax of softmax(((x − mean)/√var) · W + b) = argmax of the logits, by the formula. */
function expectedClass(x: number[], normalize: boolean): number {
  const z = x.map((v, i) => (normalize ? (v - MEAN[i]) / Math.sqrt(VAR[i] + 0) : v));
  const logits = B.map((b, j) => b + z.reduce((s, v, i) => s + v * W[i * 3 + j], 0));
  return logits.indexOf(Math.max(...logits));
}

void test('a TF.js model stock tfjs-layers cannot load is evaluated on its graph; a Dense .h5 in the plain-JS pass', async () => {
  const n = 60;
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 8 - 4;
  const xs = Array.from({ length: n }, () => [rnd(), rnd(), rnd(), rnd()]);

  // Normalization → Dense(3, softmax). Labels: the formula's class for 2/3 of the samples, another class for the rest.
  const g = buildSequential('normed', [4], [{ className: 'Normalization', config: { axis: -1 } }, { className: 'Dense', config: { units: 3, activation: 'softmax' } }], 1);
  const [, norm, dense] = g.layers;
  norm.weights[0].data.set(MEAN);
  norm.weights[1].data.set(VAR);
  dense.weights[0].data.set(W);
  dense.weights[1].data.set(B);
  // Keras' Normalization divides by max(√variance, ε): for these variances that is √variance.
  const labels = xs.map((x, i) => (i % 3 === 2 ? (expectedClass(x, true) + 1) % 3 : expectedClass(x, true)));
  const set = sampleSet(Float32Array.from(xs.flat()), labels, [4], 3);
  const out = path.join(dir, 'normed');
  await saveTfjsGraph(g, out);
  await assert.rejects(loadLayersModelFromDisk(out), /cannot be loaded by tfjs-layers/);
  const row = await evaluateModelFile(path.join(out, 'model.json'), { test: set, latencyRuns: 3 });
  assert.equal(row.accuracy, 40 / 60);
  assert.match(row.runtime, /^tfjs graph forward pass \(file weights\); tfjs-layers cannot load it: /);
  assert.equal(row.format, 'tfjs');
  assert.equal(row.params, 4 + 4 + 1 + 12 + 3);
  assert.deepEqual(row.layers.map((l) => l.name), ['dense']);
  assert.deepEqual(row.classes?.support, [0, 1, 2].map((c) => labels.filter((l) => l === c).length));

  // A Dense stack as .h5: the plain-JS forward pass over the file's weights, same accuracy rule.
  const mlp = buildSequential('mlp', [4], [{ className: 'Dense', config: { units: 3, activation: 'softmax' } }], 1);
  mlp.layers[1].weights[0].data.set(W);
  mlp.layers[1].weights[1].data.set(B);
  const plainLabels = xs.map((x, i) => (i % 4 === 3 ? (expectedClass(x, false) + 2) % 3 : expectedClass(x, false)));
  const h5 = path.join(dir, 'mlp.h5');
  await saveKerasH5Graph(mlp, h5);
  const h5row = await evaluateModelFile(h5, { test: sampleSet(Float32Array.from(xs.flat()), plainLabels, [4], 3), latencyRuns: 3 });
  assert.equal(h5row.accuracy, 45 / 60);
  assert.equal(h5row.runtime, 'js forward pass (h5 weights)');
  assert.equal(h5row.params, 15);
  // The same model as TF.js runs in stock tfjs-layers.
  const tfjsDir = path.join(dir, 'mlp');
  await saveTfjsGraph(mlp, tfjsDir);
  const tfjsRow = await evaluateModelFile(tfjsDir, { test: sampleSet(Float32Array.from(xs.flat()), plainLabels, [4], 3), latencyRuns: 3 });
  assert.equal(tfjsRow.accuracy, 45 / 60);
  assert.equal(tfjsRow.runtime, 'tfjs-layers (loadLayersModel)');
});
