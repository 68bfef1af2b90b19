/**
 * TF.js layers models written by stock tfjs-layers (`model.save` through an IO handler, then
 * model.json + shard as tfjs writes them) import with every layer kind the engine supports,
 * and their forward pass equals tfjs-layers' own (1e-5). Weights stored in every dtype TF.js
 * writes (float32, uint8/uint16/float16-quantized, int32, several shards) decode as the
 * stock loader `tf.loadLayersModel` decodes them. Shard paths must stay inside the folder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { BadInputError } from '../../src/engine/errors';
import { analyzeGraph } from '../../src/engine/graph/analyze';
import { predictGraph } from '../../src/engine/graph/forward';
import { importModelFile, loadModelFile } from '../../src/engine/import/index';
import { supportedClassNames } from '../../src/engine/layers/registry';
import { toFloat16 } from '../../src/engine/quantize/float16';
import { tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('import-tfjs');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Deterministic values in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
}

/** Random weights everywhere (positive variances), so no layer is an identity by accident. */
function randomize(model: tfl.LayersModel, seed: number): void {
  const r = rng(seed);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) {
      continue;
    }
    const values = layer.weights.map((w) => {
      const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
      const positive = /variance/.test(w.originalName);
      return tf.tensor(Float32Array.from({ length: n }, () => (positive ? 0.5 + Math.abs(r()) : 0.5 * r())), w.shape as number[]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

interface Saved {
  modelTopology: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** What stock tfjs-layers' model.save hands an IO handler. */
async function saveArtifacts(model: tfl.LayersModel): Promise<Saved> {
  let saved: Saved | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      saved = { modelTopology: a.modelTopology, weightSpecs: a.weightSpecs ?? [], weightData: a.weightData as ArrayBuffer };
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } });
    }),
  );
  assert.ok(saved);
  return saved;
}

/** model.json + shards as tfjs' file handlers write them (shards split at weight boundaries). */
async function writeModelFolder(name: string, saved: Saved, shards: { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }[]): Promise<string> {
  const folder = path.join(dir, name);
  await fs.mkdir(folder, { recursive: true });
  const paths = shards.map((_s, i) => `group1-shard${i + 1}of${shards.length}.bin`);
  await Promise.all(shards.map((s, i) => fs.writeFile(path.join(folder, paths[i]), s.data)));
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths, weights: shards.flatMap((s) => s.specs) }],
  };
  const file = path.join(folder, 'model.json');
  await fs.writeFile(file, JSON.stringify(json));
  return file;
}

async function compareForward(model: tfl.LayersModel, file: string, seed: number): Promise<number> {
  const graph = await loadModelFile(file);
  const g = analyzeGraph(graph);
  const n = 3;
  const r = rng(seed);
  const x = Float32Array.from({ length: n * g.inputShape.reduce((a, b) => a * b, 1) }, () => r());
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, [n, ...g.inputShape])) as tf.Tensor).dataSync() as Float32Array);
  const got = predictGraph(g, x, n);
  assert.equal(got.length, expected.length);
  let max = 0;
  got.forEach((v, i) => (max = Math.max(max, Math.abs(v - expected[i]))));
  return max;
}

/** Stock tfjs-layers models that together use every layer kind the engine supports. */
function models(): { name: string; model: tfl.LayersModel }[] {
  const L = tfl.layers;
  const conv = tfl.sequential({
    name: 'conv_stack',
    layers: [
      L.rescaling({ inputShape: [10, 10, 3], scale: 1 / 2, offset: 0.1 }),
      L.zeroPadding2d({ padding: [[1, 0], [0, 1]] }),
      L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
      L.batchNormalization({ epsilon: 0.001 }),
      L.reLU({ maxValue: 6 }),
      L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6' }),
      L.separableConv2d({ filters: 5, kernelSize: 3, padding: 'valid', activation: 'tanh' }),
      L.globalAveragePooling2d({}),
      L.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  const pool = tfl.sequential({
    name: 'pool_stack',
    layers: [
      L.inputLayer({ inputShape: [12, 12, 2] }),
      L.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'valid', activation: 'sigmoid' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
      L.flatten(),
      L.dropout({ rate: 0.5 }),
      L.dense({ units: 12, activation: 'swish' }),
      L.reshape({ targetShape: [2, 2, 3] }),
      L.globalMaxPooling2d({}),
      L.dense({ units: 5, activation: 'hardSigmoid' }),
      L.activation({ activation: 'linear' }),
      L.activation({ activation: 'sigmoid' }),
    ],
  });
  const x = L.input({ shape: [6, 6, 2] });
  const a = L.conv2d({ filters: 3, kernelSize: 1, name: 'branch_a' }).apply(x) as tfl.SymbolicTensor;
  const b = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'branch_b' }).apply(x) as tfl.SymbolicTensor;
  const sum = L.add({ name: 'sum' }).apply([a, b]) as tfl.SymbolicTensor;
  const bn = L.batchNormalization({ name: 'bn' }).apply(sum) as tfl.SymbolicTensor;
  const cat = L.concatenate({ name: 'cat' }).apply([a, bn]) as tfl.SymbolicTensor;
  const act = L.activation({ activation: 'tanh', name: 'act' }).apply(cat) as tfl.SymbolicTensor;
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(act) as tfl.SymbolicTensor;
  const out = L.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(gap) as tfl.SymbolicTensor;
  const functional = tfl.model({ name: 'functional_graph', inputs: x, outputs: out });
  return [
    { name: 'conv_stack', model: conv },
    { name: 'pool_stack', model: pool },
    { name: 'functional_graph', model: functional },
  ];
}

void test('models saved by stock tfjs-layers import with every layer kind; forward = tfjs-layers (1e-5)', async () => {
  const seen = new Set<string>();
  for (const [i, { name, model }] of models().entries()) {
    randomize(model, 100 + i);
    const saved = await saveArtifacts(model);
    const file = await writeModelFolder(name, saved, [{ specs: saved.weightSpecs, data: new Uint8Array(saved.weightData) }]);
    const graph = await loadModelFile(file);
    graph.layers.forEach((l) => seen.add(l.className));
    assert.equal(graph.name, name, 'a model.json is named after its folder');
    const diff = await compareForward(model, file, 7 + i);
    console.log(`${name}: ${graph.layers.length} layers (${[...new Set(graph.layers.map((l) => l.className))].join(', ')}), max |ours − tfjs-layers| = ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-5, `${name}: ${diff}`);
  }
  // tfjs-layers 4.22 has no Normalization class (Keras' preprocessing layer): that kind is read from
  // Keras files and checked against h5py + NumPy in export-normalization.test.ts.
  const fromTfjs = supportedClassNames().filter((k) => k !== 'Normalization');
  assert.deepEqual([...seen].sort(), fromTfjs.sort(), 'every supported kind tfjs-layers has was imported from a tfjs-layers file');
});

/** Quantizes float32 weights the way the tensorflowjs converter does (affine uint8/uint16, or float16). */
function quantize(spec: tf.io.WeightsManifestEntry, values: Float32Array, dtype: 'uint8' | 'uint16' | 'float16'): { spec: tf.io.WeightsManifestEntry; data: Uint8Array } {
  if (dtype === 'float16') {
    const h = toFloat16(values);
    return { spec: { ...spec, quantization: { dtype } }, data: new Uint8Array(h.buffer, h.byteOffset, h.byteLength) };
  }
  const levels = dtype === 'uint8' ? 255 : 65535;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const scale = max > min ? (max - min) / levels : 1;
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  values.forEach((v, i) => (q[i] = Math.round((v - min) / scale)));
  return { spec: { ...spec, quantization: { dtype, min, scale } }, data: new Uint8Array(q.buffer) };
}

void test('quantized weights (uint8, uint16, float16) and several shards decode as tf.loadLayersModel decodes them', async () => {
  const { model } = models()[0];
  randomize(model, 5);
  const saved = await saveArtifacts(model);
  const all = new Float32Array(saved.weightData);
  let off = 0;
  const perWeight = saved.weightSpecs.map((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = all.slice(off, off + n);
    off += n;
    return quantize(s, v, (['uint8', 'uint16', 'float16'] as const)[i % 3]);
  });
  // Two shards, split between weights.
  const half = Math.ceil(perWeight.length / 2);
  const concat = (ps: { data: Uint8Array }[]) => Buffer.concat(ps.map((p) => Buffer.from(p.data)));
  const shards = [perWeight.slice(0, half), perWeight.slice(half)].map((ps) => ({ specs: ps.map((p) => p.spec), data: new Uint8Array(concat(ps)) }));
  const file = await writeModelFolder('quantized', saved, shards);
  const bytes = concat(perWeight);
  const stock = await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: saved.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: perWeight.map((p) => p.spec), weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }),
  );
  const graph = await loadModelFile(file);
  const stockByName = new Map(stock.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  let checked = 0;
  for (const layer of stock.layers) {
    const node = graph.layers.find((l) => l.name === layer.name);
    for (const w of layer.weights) {
      const short = w.originalName.split('/').pop() as string;
      const mine = node?.weights.find((x) => x.name === short);
      assert.ok(mine, `${w.originalName} imported`);
      assert.deepEqual(mine.data, stockByName.get(w.originalName), `${w.originalName}: same dequantized values as the stock loader`);
      checked++;
    }
  }
  assert.equal(checked, saved.weightSpecs.length);
  const diff = await compareForward(stock, file, 3);
  assert.ok(diff <= 1e-5, `forward ${diff}`);
});

void test('int32 weights are read as their integer values', async () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
  const saved = await saveArtifacts(model);
  const kernel = Int32Array.from([1, -2, 3, -4, 5, -6]);
  const bias = Int32Array.from([7, -8]);
  const specs: tf.io.WeightsManifestEntry[] = [
    { name: 'd/kernel', shape: [3, 2], dtype: 'int32' },
    { name: 'd/bias', shape: [2], dtype: 'int32' },
  ];
  const data = new Uint8Array(Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(bias.buffer)]));
  const graph = await loadModelFile(await writeModelFolder('int32', saved, [{ specs, data }]));
  const d = graph.layers.find((l) => l.name === 'd');
  assert.deepEqual(Array.from(d?.weights[0].data ?? []), [1, -2, 3, -4, 5, -6]);
  assert.deepEqual(Array.from(d?.weights[1].data ?? []), [7, -8]);
});

void test('shard paths outside the model folder, short shards and graph models are refused', async () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
  const saved = await saveArtifacts(model);
  const file = await writeModelFolder('escape', saved, [{ specs: saved.weightSpecs, data: new Uint8Array(saved.weightData) }]);
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as { weightsManifest: { paths: string[] }[]; format?: string; modelTopology: unknown };
  await fs.writeFile(path.join(dir, 'outside.bin'), Buffer.from(saved.weightData));
  json.weightsManifest[0].paths = ['../outside.bin'];
  await fs.writeFile(file, JSON.stringify(json));
  await assert.rejects(loadModelFile(file), (e: Error) => e instanceof BadInputError && /outside/.test(e.message));
  json.weightsManifest[0].paths = ['short.bin'];
  await fs.writeFile(path.join(path.dirname(file), 'short.bin'), Buffer.from(saved.weightData).subarray(0, 10));
  await fs.writeFile(file, JSON.stringify(json));
  await assert.rejects(loadModelFile(file), (e: Error) => e instanceof BadInputError && /hold 10 bytes but the weightsManifest declares 32/.test(e.message));
  json.format = 'graph-model';
  json.modelTopology = { node: [], library: {}, versions: {} };
  await fs.writeFile(file, JSON.stringify(json));
  await assert.rejects(loadModelFile(path.dirname(file)), (e: Error) => e instanceof BadInputError && /graph model/.test(e.message));
});

void test("the tensorflowjs converter's model.json (Keras JSON under model_config, Keras weight names) imports too", async () => {
  const { model } = models()[2];
  randomize(model, 11);
  const saved = await saveArtifacts(model);
  // tensorflowjs_converter --input_format keras nests the Keras model JSON under model_config.
  const converted = { ...saved, modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: saved.modelTopology } };
  const file = await writeModelFolder('converted', converted, [{ specs: saved.weightSpecs, data: new Uint8Array(saved.weightData) }]);
  const imp = await importModelFile(path.dirname(file));
  assert.equal(imp.format, 'tfjs-layers');
  assert.equal(imp.file, file);
  assert.match(imp.writtenBy, /tfjs-layers/);
  const diff = await compareForward(model, file, 13);
  assert.ok(diff <= 1e-5, `forward ${diff}`);
});

void test('a nested tfjs-layers model (a Sequential used as a layer, as Teachable Machine web exports are) imports and runs like tfjs-layers', async () => {
  const L = tfl.layers;
  const backbone = tfl.sequential({
    name: 'backbone',
    layers: [L.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'Conv1' }), L.batchNormalization({ name: 'bn_Conv1' }), L.reLU({ maxValue: 6, name: 'Conv1_relu' }), L.globalAveragePooling2d({ name: 'gap' })],
  });
  const head = tfl.sequential({ name: 'head', layers: [L.dense({ inputShape: [4], units: 6, activation: 'relu', name: 'dense_Dense1' }), L.dense({ units: 2, activation: 'softmax', useBias: false, name: 'dense_Dense2' })] });
  const model = tfl.sequential({ name: 'tm', layers: [backbone, head] });
  for (const m of [backbone, head]) {
    randomize(m, 21);
  }
  const saved = await saveArtifacts(model);
  const file = await writeModelFolder('nested_tfjs', saved, [{ specs: saved.weightSpecs, data: new Uint8Array(saved.weightData) }]);
  const graph = await loadModelFile(file);
  assert.deepEqual(
    graph.layers.map((l) => l.className),
    ['InputLayer', 'Conv2D', 'BatchNormalization', 'ReLU', 'GlobalAveragePooling2D', 'Dense', 'Dense'],
  );
  const diff = await compareForward(model, file, 17);
  console.log(`nested tfjs-layers model: weight names ${saved.weightSpecs.map((s) => s.name).join(', ')}; max |ours − tfjs-layers| = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-5, `forward ${diff}`);
});
