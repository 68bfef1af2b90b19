/**
 * The issue-10 figures: trains the simple MNIST convnet (Conv32-Pool-Conv64-Pool-Flatten-
 * Dropout-Dense10) and a small Functional model (Conv32/2-BN-ReLU, DepthwiseConv-BN-ReLU, 1×1 Conv32,
 * Add, GlobalAveragePooling, Dense) with tfjs-layers on the wasm backend (the engine's conv
 * gradient kernels), exports every TFLite variant through the engine and measures each file:
 * size, gzip size, accuracy on the MNIST test set in the tfjs-tflite runtime and in LiteRT.js,
 * median latency per sample and per batch of 100 (one sample per invoke, both runtimes), op list.
 *
 *   npx tsx bench/tflite-cnn.ts [trainSamples=6000] [testSamples=10000] [epochs=2]
 *
 * Prints a Markdown table; the load (`uptime`) is printed first because latencies depend on it.
 */
import { execSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend';
import { graphTfliteBytes } from '../src/engine/export/tflite/graphExport';
import { readTflite } from '../src/engine/export/tflite/reader';
import { operatorName } from '../src/engine/export/tflite/schema';
import type { ModelGraph } from '../src/engine/graph/types';
import { LitertModel } from '../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../src/engine/runtime/tfliteRuntime';
import type { TfliteMode } from '../src/protocol/config';
import { mnist } from '../test/unit/export-helpers';
import { graphFromTfjsLayers, pixelsOf } from '../test/unit/tflite-graph-helpers';

const [trainN, testN, epochs] = [Number(process.argv[2] ?? 6000), Number(process.argv[3] ?? 10000), Number(process.argv[4] ?? 2)];

function convnet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function functionalModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [28, 28, 1], name: 'input_1' });
  let h = tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv2d' }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'batch_normalization' }).apply(h) as tfl.SymbolicTensor;
  const a = tfl.layers.activation({ activation: 'relu', name: 'activation' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'depthwise_conv2d' }).apply(a) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'batch_normalization_1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reLU({ name: 're_lu' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ filters: 32, kernelSize: 1, name: 'conv2d_1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.add({ name: 'add' }).apply([h, a]) as tfl.SymbolicTensor;
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
  const x = tf.tensor4d(pixelsOf(train.images, 0, train.count), [train.count, 28, 28, 1]);
  const y = tf.tensor1d(Float32Array.from(train.labels));
  const graphs: ModelGraph[] = [];
  // The small Functional model learns slowly at Adam's default rate (GAP over 32 channels): 1e-2.
  for (const [name, make, lr] of [
    ['mnist_convnet', convnet, 1e-3],
    ['functional_bn_dw_add_gap', functionalModel, 1e-2],
  ] as const) {
    const m = make();
    m.compile({ optimizer: tf.train.adam(lr), loss: 'sparseCategoricalCrossentropy' });
    const t0 = Date.now();
    await m.fit(x, y, { epochs, batchSize: 64, verbose: 0 });
    const xt = tf.tensor4d(pixelsOf(test.images, 0, test.count), [test.count, 28, 28, 1]);
    const pred = tf.tidy(() => tf.argMax(m.predict(xt) as tf.Tensor, 1).dataSync());
    xt.dispose();
    const acc = Array.from(pred).reduce((n: number, p, i) => n + (p === test.labels[i] ? 1 : 0), 0) / test.count;
    console.log(`${name}: trained ${epochs} epochs on ${train.count} samples in ${((Date.now() - t0) / 1000).toFixed(0)} s; tfjs-layers test accuracy ${(100 * acc).toFixed(2)} %`);
    graphs.push(graphFromTfjsLayers(m, name));
    m.dispose();
  }
  tf.dispose([x, y]);
  const calibration = { samples: pixelsOf(train.images, 0, 100), count: 100 };
  for (const g of graphs) {
    console.log(`\n### ${g.name} (${test.count} test images)\n`);
    console.log('| variant | bytes | gzip | acc tfjs-tflite | acc LiteRT.js | µs/sample tfjs-tflite | µs/sample LiteRT.js | ms/100 tfjs-tflite | ms/100 LiteRT.js | ops |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const mode of ['float32', 'float16', 'dynamic-int8', 'full-int8'] as TfliteMode[]) {
      const { data } = graphTfliteBytes(g, mode, { calibration });
      const ops = readTflite(data).operators.map((o) => `${operatorName(o.op)}v${o.version}`);
      const tm = await TfliteModel.load(data, mode);
      const lm = await LitertModel.load(data, mode);
      let ct = 0;
      let cl = 0;
      const tt: number[] = [];
      const tl: number[] = [];
      for (let n = 0; n < test.count; n++) {
        const xi = pixelsOf(test.images, n, 1);
        let t0 = performance.now();
        const a = tm.run(xi);
        tt.push(performance.now() - t0);
        t0 = performance.now();
        const b = await lm.run(xi);
        tl.push(performance.now() - t0);
        ct += argmax(a) === test.labels[n] ? 1 : 0;
        cl += argmax(b) === test.labels[n] ? 1 : 0;
      }
      const batch = async (run: (x: Float32Array) => unknown): Promise<number> => {
        const times: number[] = [];
        for (let r = 0; r < 5; r++) {
          const t0 = performance.now();
          for (let n = 0; n < 100; n++) {
            await run(pixelsOf(test.images, n, 1));
          }
          times.push(performance.now() - t0);
        }
        return median(times);
      };
      const bt = await batch((xi) => tm.run(xi));
      const bl = await batch((xi) => lm.run(xi));
      const pct = (c: number): string => `${((100 * c) / test.count).toFixed(2)} %`;
      console.log(
        `| ${mode} | ${data.length} | ${gzipSync(data).length} | ${pct(ct)} | ${pct(cl)} | ${(median(tt) * 1000).toFixed(0)} | ${(median(tl) * 1000).toFixed(0)} | ${bt.toFixed(1)} | ${bl.toFixed(1)} | ${ops.join(' ')} |`,
      );
      tm.dispose();
      lm.dispose();
    }
  }
  console.log(`\nload after: ${execSync('uptime').toString().trim()}`);
}

void main();
