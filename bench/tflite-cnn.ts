/**
 * The issue-10 figures: trains the simple MNIST convnet (Conv32-Pool-Conv64-Pool-Flatten-
 * Dropout-Dense10) and a small Functional model (Conv32/2-BN-ReLU, DepthwiseConv-BN-ReLU, 1×1 Conv32,
 * Add, GlobalAveragePooling, Dense) with tfjs-layers on the wasm backend (the engine's conv
 * gradient kernels), exports every TFLite variant through the engine and measures each file:
 * size, gzip size, accuracy on the MNIST test set in the tfjs-tflite runtime and in LiteRT.js,
 * median latency per sample and per batch of 100 (one sample per invoke, both runtimes), op list.
 *
 *   npx tsx bench/tflite-cnn.ts [trainSamples=6000] [testSamples=10000] [epochs=2] [cacheDir]
 *
 * With a cache folder, the trained models are saved there (`<name>.graph.json`, weights in
 * base64) and reused by later runs with the same arguments, so the measuring half can be rerun
 * after an exporter change without training again. Prints a Markdown table; the load
 * (`uptime`) is printed first because latencies depend on it.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { simpleConvnetLayers } from './simpleConvnet';
import { initBackend } from '../src/engine/backend';
import { graphTfliteBytes } from '../src/engine/export/tflite/graphExport';
import { quantizeInputValues } from '../src/engine/export/tflite/int8Ref';
import { readTflite } from '../src/engine/export/tflite/reader';
import { operatorName } from '../src/engine/export/tflite/schema';
import type { ModelGraph } from '../src/engine/graph/types';
import { LitertModel } from '../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../src/engine/runtime/tfliteRuntime';
import type { TfliteMode } from '../src/protocol/config';
import { mnist } from '../test/unit/export-helpers';
import { graphFromTfjsLayers, pixelsOf } from '../test/unit/tflite-graph-helpers';

const [trainN, testN, epochs] = [Number(process.argv[2] ?? 6000), Number(process.argv[3] ?? 10000), Number(process.argv[4] ?? 2)];
const cacheDir = process.argv[5];

interface CachedGraph {
  graph: Omit<ModelGraph, 'layers'> & { layers: (Omit<ModelGraph['layers'][number], 'weights'> & { weights: { name: string; shape: number[]; trainable: boolean; data: string }[] })[] };
  note: string;
}

function saveGraph(file: string, g: ModelGraph, note: string): void {
  const layers = g.layers.map((l) => ({ ...l, weights: l.weights.map((w) => ({ ...w, data: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64') })) }));
  writeFileSync(file, JSON.stringify({ graph: { ...g, layers }, note } satisfies CachedGraph));
}

function loadGraph(file: string): { graph: ModelGraph; note: string } | null {
  if (!existsSync(file)) {
    return null;
  }
  const c = JSON.parse(readFileSync(file, 'utf8')) as CachedGraph;
  const layers = c.graph.layers.map((l) => ({ ...l, weights: l.weights.map((w) => { const b = Buffer.from(w.data, 'base64'); return { ...w, data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) }; }) }));
  return { graph: { ...c.graph, layers }, note: c.note };
}

/**
 * The Functional model: two stride-2 stages, each Conv-BN-ReLU then a residual depthwise block
 * (DepthwiseConv3×3-BN-ReLU, 1×1 Conv, Add), GlobalAveragePooling2D, Dense10. The first
 * session's one-stage version (one 3×3 stride-2 conv, then GAP) saw only 7×7 pixels before
 * averaging over the image and reached 27 % after 3 epochs; the second stage gives a 19×19+
 * receptive field, which GAP over digits needs.
 */
function functionalModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [28, 28, 1], name: 'input_1' });
  const stage = (x: tfl.SymbolicTensor, filters: number, i: string): tfl.SymbolicTensor => {
    let h = tfl.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: `conv2d${i}` }).apply(x) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization({ name: `batch_normalization${i}` }).apply(h) as tfl.SymbolicTensor;
    const a = tfl.layers.activation({ activation: 'relu', name: `activation${i}` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: `depthwise_conv2d${i}` }).apply(a) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization({ name: `batch_normalization_dw${i}` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.reLU({ name: `re_lu${i}` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.conv2d({ filters, kernelSize: 1, name: `conv2d_pw${i}` }).apply(h) as tfl.SymbolicTensor;
    return tfl.layers.add({ name: `add${i}` }).apply([h, a]) as tfl.SymbolicTensor;
  };
  let h = stage(input, 32, '');
  h = stage(h, 64, '_1');
  h = tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10, activation: 'softmax', name: 'dense' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'functional' });
}

const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const argmax = (a: ArrayLike<number>): number => Array.from(a).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);

async function main(): Promise<void> {
  console.log(`load: ${execSync('uptime').toString().trim()}`);
  const backend = await initBackend('wasm');
  console.log(`training backend: ${backend.detail}`);
  const { train, test } = await mnist(trainN, testN);
  const graphs: ModelGraph[] = [];
  const only = process.env.BENCH_MODELS?.split(',');
  for (const [name, make, lr] of [
    ['mnist_convnet', simpleConvnetLayers, 1e-3],
    ['functional_bn_dw_add_gap', functionalModel, 2e-3],
  ] as const) {
    if (only && !only.includes(name)) {
      continue;
    }
    const file = cacheDir ? path.join(cacheDir, `${name}-${train.count}-${epochs}.graph.json`) : '';
    const cached = file ? loadGraph(file) : null;
    if (cached) {
      console.log(`${name}: ${cached.note} (cached in ${file})`);
      graphs.push(cached.graph);
      continue;
    }
    const x = tf.tensor4d(pixelsOf(train.images, 0, train.count), [train.count, 28, 28, 1]);
    const y = tf.tensor1d(Float32Array.from(train.labels));
    const m = make();
    m.compile({ optimizer: tf.train.adam(lr), loss: 'sparseCategoricalCrossentropy' });
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await m.fit(x, y, { epochs, batchSize: 64, shuffle: true, verbose: 0 });
    const cpu = process.cpuUsage(cpu0);
    tf.dispose([x, y]);
    const xt = tf.tensor4d(pixelsOf(test.images, 0, test.count), [test.count, 28, 28, 1]);
    const pred = tf.tidy(() => tf.argMax(m.predict(xt, { batchSize: 500 }) as tf.Tensor, 1).dataSync());
    xt.dispose();
    const acc = Array.from(pred).reduce((n: number, p, i) => n + (p === test.labels[i] ? 1 : 0), 0) / test.count;
    const note = `trained ${epochs} epochs (Adam ${lr}, batch 64) on ${train.count} samples in ${((Date.now() - t0) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU; tfjs-layers test accuracy ${(100 * acc).toFixed(2)} % on ${test.count}`;
    console.log(`${name}: ${note}`);
    const g = graphFromTfjsLayers(m, name);
    graphs.push(g);
    if (file) {
      mkdirSync(cacheDir, { recursive: true });
      saveGraph(file, g, note);
    }
    m.dispose();
  }
  if (process.env.TRAIN_ONLY) {
    return;
  }
  const calibration = { samples: pixelsOf(train.images, 0, 100), count: 100 };
  for (const g of graphs) {
    console.log(`\n### ${g.name} (${test.count} test images)\n`);
    console.log('| variant | bytes | gzip | acc tfjs-tflite | acc LiteRT.js | µs/sample tfjs-tflite | µs/sample LiteRT.js | ms/100 tfjs-tflite | ms/100 LiteRT.js | ops |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const [mode, int8Io] of [['float32', false], ['float16', false], ['dynamic-int8', false], ['full-int8', false], ['full-int8', true]] as [TfliteMode, boolean][]) {
      const r = graphTfliteBytes(g, mode, { calibration, int8Io });
      const data = r.data;
      // int8-I/O files take the input quantized with the file's input parameters.
      const feed = (xi: Float32Array): ArrayLike<number> => (int8Io ? quantizeInputValues(r.quantized!, r.lowered, xi) : xi);
      const ops = readTflite(data).operators.map((o) => `${operatorName(o.op)}v${o.version}`);
      const tm = await TfliteModel.load(data, mode);
      const lm = await LitertModel.load(data, mode);
      let ct = 0;
      let cl = 0;
      const tt: number[] = [];
      const tl: number[] = [];
      for (let n = 0; n < test.count; n++) {
        const xi = feed(pixelsOf(test.images, n, 1));
        let t0 = performance.now();
        const a = tm.run(xi);
        tt.push(performance.now() - t0);
        t0 = performance.now();
        const b = await lm.run(xi);
        tl.push(performance.now() - t0);
        ct += argmax(a) === test.labels[n] ? 1 : 0;
        cl += argmax(b) === test.labels[n] ? 1 : 0;
      }
      const inputs = Array.from({ length: 100 }, (_, n) => feed(pixelsOf(test.images, n, 1)));
      const batch = async (run: (x: ArrayLike<number>) => unknown): Promise<number> => {
        const times: number[] = [];
        for (let k = 0; k < 5; k++) {
          const t0 = performance.now();
          for (let n = 0; n < 100; n++) {
            await run(inputs[n]);
          }
          times.push(performance.now() - t0);
        }
        return median(times);
      };
      const bt = await batch((xi) => tm.run(xi));
      const bl = await batch((xi) => lm.run(xi));
      const pct = (c: number): string => `${((100 * c) / test.count).toFixed(2)} %`;
      console.log(
        `| ${mode}${int8Io ? ' int8 I/O' : mode === 'full-int8' ? ' float I/O' : ''} | ${data.length} | ${gzipSync(data).length} | ${pct(ct)} | ${pct(cl)} | ${(median(tt) * 1000).toFixed(0)} | ${(median(tl) * 1000).toFixed(0)} | ${bt.toFixed(1)} | ${bl.toFixed(1)} | ${ops.join(' ')} |`,
      );
      tm.dispose();
      lm.dispose();
    }
  }
  console.log(`\nload after: ${execSync('uptime').toString().trim()}`);
}

void main();
