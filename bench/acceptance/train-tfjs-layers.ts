/**
 * Issue 9's "same model saved by stock tfjs-layers": builds the Keras "simple MNIST convnet"
 * (Conv2D 32 3×3 relu → MaxPooling 2 → Conv2D 64 3×3 relu → MaxPooling 2 → Flatten → Dropout 0.5 →
 * Dense 10 softmax) with stock tfjs-layers, trains it with tfjs-layers' own `fit` (Adam 1e-3,
 * sparse categorical cross-entropy, batch 64, validationSplit 0.1 = the last 10 %, shuffled every
 * epoch) on the wasm backend — which trains convolutions only because the engine registers its
 * convolution gradient kernels there (src/engine/backend.ts) — and saves it with `model.save`
 * through an IO handler (`tf.io.withSaveHandler`) as `<out>/model.json` + `<out>/weights.bin`.
 * Nothing of the engine touches the model: the file is what a tfjs-layers user would have.
 *
 *   node --import tsx bench/acceptance/train-tfjs-layers.ts OUT_DIR [epochs=2] [trainSamples=60000] [seed=42]
 *
 * Math.random is replaced by a seeded generator first: tfjs draws initial weights, dropout masks
 * and the per-epoch shuffle from it when no seed is given, so a run is reproducible. Prints the
 * load, the backend, per-epoch metrics and the test accuracy tfjs-layers itself measures.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { simpleConvnetLayers } from '../simpleConvnet';
import { initBackend } from '../../src/engine/backend';

import { mnistPackagePaths, readImageSet } from '../../src/engine/data/mnist';
import { mulberry32 } from '../../src/engine/util/random';

const [outDir, epochs, trainN, seed] = [process.argv[2], Number(process.argv[3] ?? 2), Number(process.argv[4] ?? 60000), Number(process.argv[5] ?? 42)];
if (!outDir) {
  console.error('usage: node --import tsx bench/acceptance/train-tfjs-layers.ts OUT_DIR [epochs=2] [trainSamples=60000] [seed=42]');
  process.exit(2);
}
Math.random = mulberry32(seed);

function pixels(images: Uint8Array | Float32Array, count: number): Float32Array {
  const part = images.subarray(0, count * 784);
  return part instanceof Uint8Array ? Float32Array.from(part, (v) => v / 255) : Float32Array.from(part);
}

async function main(): Promise<void> {
  console.log(`load: ${execSync('uptime').toString().trim()}`);
  const backend = await initBackend('wasm');
  console.log(`backend: ${backend.detail}; tfjs-layers ${tfl.version_layers}; seed ${seed}`);
  const p = mnistPackagePaths();
  const train = await readImageSet(p.trainImages, p.trainLabels, 10);
  const test = await readImageSet(p.testImages, p.testLabels, 10);
  const n = Math.min(trainN, train.count);
  const x = tf.tensor4d(pixels(train.images, n), [n, 28, 28, 1]);
  const y = tf.tensor1d(Float32Array.from(train.labels.subarray(0, n)));
  const model = simpleConvnetLayers();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const t0 = process.cpuUsage();
  const w0 = Date.now();
  await model.fit(x, y, {
    epochs,
    batchSize: 64,
    validationSplit: 0.1,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        const l = logs ?? {};
        console.log(`epoch ${epoch + 1}/${epochs}: loss ${l.loss?.toFixed(4)} acc ${l.acc?.toFixed(4)} val_loss ${l.val_loss?.toFixed(4)} val_acc ${l.val_acc?.toFixed(4)} (${((Date.now() - w0) / 1000).toFixed(0)} s wall)`);
      },
    },
  });
  const cpu = process.cpuUsage(t0);
  console.log(`fit: ${((Date.now() - w0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
  tf.dispose([x, y]);
  const xt = tf.tensor4d(pixels(test.images, test.count), [test.count, 28, 28, 1]);
  const pred = tf.tidy(() => tf.argMax(model.predict(xt, { batchSize: 500 }) as tf.Tensor, 1).dataSync());
  xt.dispose();
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    correct += pred[i] === test.labels[i] ? 1 : 0;
  }
  console.log(`test accuracy (tfjs-layers predict, ${test.count} images): ${(correct / test.count).toFixed(4)}`);
  fs.mkdirSync(outDir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
      await fs.promises.writeFile(path.join(outDir, 'weights.bin'), Buffer.from(bytes));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await fs.promises.writeFile(path.join(outDir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }),
  );
  console.log(`saved ${path.join(outDir, 'model.json')} + weights.bin (model.save through tf.io.withSaveHandler)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
