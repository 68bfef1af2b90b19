/**
 * The reference MLP as a graph: Keras' names, the same weights as initMlp for a seed, the
 * same forward as the MLP trainer's, and the MlpModel bridge both ways.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { graphToMlp, mlpToGraph, referenceMlpGraph } from '../../src/engine/graph/mlp';
import { graphParamCount, layerTable } from '../../src/engine/graph/stats';
import { initMlp } from '../../src/engine/model/init';
import { paramCount } from '../../src/engine/model/mlp';
import { TfjsTrainer } from '../../src/engine/train/tfjsTrainer';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { Rng } from '../../src/engine/util/random';
import { maxAbsDiff } from './layers-helpers';

before(async () => {
  await initBackend('wasm');
});

const REF = { hidden: [128], hiddenActivation: 'relu' as const, outputActivation: 'softmax' as const };

void test('the reference MLP graph: names, shapes, params, MACs, and initMlp’s weights', () => {
  const g = referenceMlpGraph(REF, 784, 10, 42, 'mnist_model');
  assert.deepEqual(g.layers.map((l) => `${l.name}:${l.className}`), ['dense_input:InputLayer', 'dense:Dense', 'dense_1:Dense']);
  const rows = layerTable(analyzeGraph(g));
  assert.deepEqual(rows.map((r) => [r.name, r.outputShape, r.params, r.macs]), [
    ['dense_input', [784], 0, 0],
    ['dense', [128], 784 * 128 + 128, 784 * 128],
    ['dense_1', [10], 128 * 10 + 10, 1280],
  ]);
  const mlp = initMlp(REF, 784, 10, 42, 'mnist_model');
  assert.equal(graphParamCount(g), paramCount(mlp));
  const back = graphToMlp(g);
  assert.ok(back.model);
  back.model.layers.forEach((l, i) => {
    assert.deepEqual(l.kernel, mlp.layers[i].kernel);
    assert.deepEqual(l.bias, mlp.layers[i].bias);
  });
  assert.deepEqual(graphToMlp(mlpToGraph(mlp)).model, mlp);
});

void test('graph forward and graph trainer agree with the MLP trainer on the reference MLP', () => {
  const mlp = initMlp(REF, 784, 10, 3, 'm');
  const rng = new Rng(9);
  const images = Uint8Array.from({ length: 32 * 784 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: 32 }, () => rng.int(10));
  const tfjs = new TfjsTrainer(mlp, 1e-3);
  const graph = new GraphTrainer(mlpToGraph(mlp), 1e-3);
  const a = tfjs.predict(images, 32);
  assert.ok(maxAbsDiff(a, graph.predict(images, 32)) < 1e-5);
  const x = Float32Array.from(images, (v) => v / 255);
  assert.ok(maxAbsDiff(a, predictGraph(analyzeGraph(mlpToGraph(mlp)), x, 32)) < 1e-5);
  for (let i = 0; i < 3; i++) {
    const r1 = tfjs.trainBatch(images, labels, 32);
    const r2 = graph.trainBatch(images, labels, 32);
    assert.ok(Math.abs(r1.loss - r2.loss) < 1e-4, `step ${i}: ${r1.loss} vs ${r2.loss}`);
  }
  const k1 = tfjs.getModel('m').layers[0].kernel;
  const k2 = graph.getModel('m').layers[1].weights[0].data;
  assert.ok(maxAbsDiff(k1, k2) < 1e-5);
  tfjs.dispose();
  graph.dispose();
});
