/**
 * Evaluates one saved model file in the runtime that would run it in deployment and
 * measures it from disk: `.tflite` in the real TFLite runtime, TF.js in stock tfjs-layers,
 * `.h5` with a forward pass over the weights read back from the file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { BATCH_LATENCY_SAMPLES, type ClassReport, type ModelReport, type RuntimeMeasurement } from '../../protocol/engine';
import { inputValue, modelInputs, type Features, type ImageSet } from '../data/dataset';
import { readTflite, type ReadTflite } from '../export/tflite/reader';
import { isDenseOp, storedWeights } from '../export/tflite/dense';
import { TensorType } from '../export/tflite/schema';
import { BadInputError } from '../errors';
import { forwardMlp } from '../quantize/forward';
import { quantizeValue } from '../quantize/int8';
import { LitertModel, litertMissingReason } from '../runtime/litertRuntime';
import { TfliteModel } from '../runtime/tfliteRuntime';
import { checkInputSize } from '../util/modelFit';
import { analyzeGraph } from '../graph/analyze';
import { predictGraph } from '../graph/forward';
import { checkInputShape } from '../graph/input';
import { graphParamCount, layerTable } from '../graph/stats';
import type { ModelGraph } from '../graph/types';
import { loadModelFile } from '../import';
import { buildGraph } from '../import/build';
import { importTfjsFiles, readTfjsModelFiles } from '../import/tfjsModel';
import { graphToMlp } from '../graph/mlp';
import { LIMITS, readFileLimited } from '../util/safeRead';
import { classReport } from './classReport';
import { fileSizes, tfliteStats } from './fileStats';
import { loadLayersModelFromFiles, predictLayersModel } from './tfjsRuntime';

export type ModelFileKind = 'keras-h5' | 'tflite' | 'tfjs';

export interface EvaluateOptions {
  /** Logical model name for the row; default from the file name. */
  model?: string;
  /** Relative path shown in the row (POSIX); default the absolute path. */
  relPath?: string;
  /** Test set; null = sizes and sparsity only. */
  test: ImageSet | null;
  /** Single-sample runs timed for the median latency (0 = skip). */
  latencyRuns?: number;
  /** .tflite: also run the file in LiteRT.js when it is installed (default true). */
  litert?: boolean;
}

export async function detectKind(p: string): Promise<ModelFileKind> {
  const lower = p.toLowerCase();
  if (lower.endsWith('.h5') || lower.endsWith('.keras.h5') || lower.endsWith('.hdf5') || lower.endsWith('.keras')) {
    return 'keras-h5';
  }
  if (lower.endsWith('.tflite')) {
    return 'tflite';
  }
  if (lower.endsWith('.json')) {
    return 'tfjs';
  }
  const st = await fs.stat(p).catch(() => null);
  if (st?.isDirectory()) {
    return 'tfjs';
  }
  throw new BadInputError(`don't know how to evaluate ${path.basename(p)}: expected a Keras .h5 or .keras, a .tflite, or a TF.js model.json (or its folder)`, path.basename(p));
}

export function tfliteVariant(g: ReadTflite): string {
  const fcs = g.operators.filter(isDenseOp);
  if (fcs.some((o) => g.tensors[o.inputs[0]].type === TensorType.INT8)) {
    // Some weighted ops int8, others float on float inputs: a float-fallback (mixed) file.
    return fcs.some((o) => g.tensors[o.inputs[0]].type === TensorType.FLOAT32 && g.tensors[storedWeights(g, o.inputs[1])].type === TensorType.FLOAT32) ? 'mixed-int8' : 'full-int8';
  }
  if (fcs.some((o) => g.tensors[storedWeights(g, o.inputs[1])].type === TensorType.INT8)) {
    return 'dynamic-int8';
  }
  if (g.tensors.some((t) => t.type === TensorType.FLOAT16)) {
    return 'float16';
  }
  return 'float32';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeRuns(runs: number, one: (i: number) => void): number | null {
  if (runs <= 0) {
    return null;
  }
  for (let i = 0; i < Math.min(10, runs); i++) {
    one(i);
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    one(i);
    times.push((performance.now() - t0) * 1000);
  }
  return Math.round(median(times) * 10) / 10;
}

/** Repetitions of the batch timing (the median is reported). */
const BATCH_REPEATS = 5;

/** Median wall time of `one()` (a whole batch) in ms, after one untimed call; null when there is no batch. */
async function timeBatch(samples: number, one: () => unknown): Promise<number | null> {
  if (samples < BATCH_LATENCY_SAMPLES) {
    return null;
  }
  await one();
  const times: number[] = [];
  for (let r = 0; r < BATCH_REPEATS; r++) {
    const t0 = performance.now();
    await one();
    times.push(performance.now() - t0);
  }
  return Math.round(median(times) * 100) / 100;
}

function argmax(a: ArrayLike<number>, from = 0, n = a.length): number {
  let best = from;
  for (let j = from + 1; j < from + n; j++) {
    if (a[j] > a[best]) {
      best = j;
    }
  }
  return best - from;
}

/** Runs a .tflite file on the whole test set in the real runtime: accuracy and raw outputs. */
export async function runTfliteOnTest(
  bytes: Uint8Array,
  test: ImageSet,
  source = 'model',
): Promise<{ accuracy: number; outputs: Float32Array; classes: number; model: TfliteModel; prepare: (px: Features) => ArrayLike<number> }> {
  const g = readTflite(bytes, source);
  const model = await TfliteModel.load(bytes, source);
  const inT = g.tensors[g.inputs[0]];
  const features = model.inputSize;
  try {
    checkInputSize(source, features, test, 'the test set');
  } catch (err) {
    model.dispose();
    throw err;
  }
  const buf = new Float32Array(features);
  const ibuf = new Int8Array(features);
  const q = inT.quant ? { scale: inT.quant.scale[0], zeroPoint: inT.quant.zeroPoint[0] } : null;
  const prepare = (px: Features): ArrayLike<number> => {
    if (inT.type === TensorType.INT8 && q) {
      for (let i = 0; i < features; i++) {
        ibuf[i] = quantizeValue(Math.fround(inputValue(px, i)), q);
      }
      return ibuf;
    }
    for (let i = 0; i < features; i++) {
      buf[i] = inputValue(px, i);
    }
    return buf;
  };
  const classes = model.outputSize;
  const outputs = new Float32Array(test.count * classes);
  let correct = 0;
  for (let n = 0; n < test.count; n++) {
    const y = model.run(prepare(test.images.subarray(n * features, (n + 1) * features)));
    outputs.set(y, n * classes);
    if (argmax(y) === test.labels[n]) {
      correct++;
    }
  }
  return { accuracy: test.count ? correct / test.count : 0, outputs, classes, model, prepare };
}

/** Overall accuracy = the confusion matrix's diagonal over all samples (0 for an empty set, as before). */
function overall(c: ClassReport, count: number): number {
  const correct = c.accuracy.reduce<number>((sum, a, i) => sum + (a ?? 0) * c.support[i], 0);
  return count ? Math.round(correct) / count : 0;
}

export async function evaluateModelFile(file: string, opts: EvaluateOptions): Promise<ModelReport> {
  const kind = await detectKind(file);
  const latencyRuns = opts.latencyRuns ?? 200;
  const test = opts.test;
  const baseName = path.basename(file).replace(/\.(h5|keras|tflite)$/i, '');
  const relPath = opts.relPath ?? file;
  if (kind === 'keras-h5') {
    // Read by the importers (the one reader of Keras files), run over the file's weights.
    const graph = await loadModelFile(file, { name: baseName });
    const m = await measureGraph(graph, path.basename(file), test, latencyRuns);
    return { model: opts.model ?? baseName, format: 'keras-h5', variant: 'float32', path: relPath, ...(await fileSizes([file])), ...graphStats(graph), accuracyDelta: null, ...m };
  }
  if (kind === 'tflite') {
    const bytes = new Uint8Array(await readFileLimited(file, { what: 'TFLite model', maxBytes: LIMITS.model }));
    const g = readTflite(bytes, path.basename(file));
    const stats = tfliteStats(g);
    const sizes = await fileSizes([file]);
    let accuracy: number | null = null;
    let latencyUs: number | null = null;
    let batchLatencyMs: number | null = null;
    let runtime = 'tflite';
    let classes: ClassReport | undefined;
    let otherRuntimes: RuntimeMeasurement[] | undefined;
    if (test) {
      const r = await runTfliteOnTest(bytes, test, path.basename(file));
      const sample = (i: number): ArrayLike<number> => r.prepare(test.images.subarray(i * test.features, (i + 1) * test.features));
      try {
        accuracy = r.accuracy;
        classes = classReport(r.outputs, r.classes, test.labels, test.count, test.classNames);
        runtime = `TFLite wasm (${r.model.runtimeVariant}, tfjs-tflite)`;
        latencyUs = timeRuns(Math.min(latencyRuns, test.count), (i) => {
          r.model.run(sample(i));
        });
        batchLatencyMs = await timeBatch(test.count, () => {
          for (let i = 0; i < BATCH_LATENCY_SAMPLES; i++) {
            r.model.run(sample(i));
          }
        });
      } finally {
        r.model.dispose();
      }
      if (opts.litert !== false) {
        otherRuntimes = [await measureInLitert(bytes, test, sample, r.outputs, r.classes, latencyRuns, path.basename(file))];
      }
    }
    return {
      model: opts.model ?? baseName,
      format: 'tflite',
      variant: tfliteVariant(g),
      path: relPath,
      ...sizes,
      ...stats,
      accuracy,
      accuracyDelta: null,
      runtime,
      latencyUs,
      batchLatencyMs,
      ...(otherRuntimes ? { otherRuntimes } : {}),
      ...(classes ? { classes } : {}),
    };
  }
  // The one TF.js reader (import/tfjsModel.ts): the graph for sizes and sparsity, the same bytes for stock tfjs-layers.
  const files = await readTfjsModelFiles(file);
  const dir = path.basename(path.dirname(files.modelJsonPath));
  const graph = buildGraph(importTfjsFiles(files), opts.model ?? dir);
  const qd = files.groups.flatMap((g) => g.weights).find((s) => s.quantization)?.quantization?.dtype;
  let m: Measured = { accuracy: null, latencyUs: null, batchLatencyMs: null, runtime: 'tfjs-layers (loadLayersModel)' };
  if (test) {
    let lm: tfl.LayersModel | null = null;
    let notStock = '';
    try {
      lm = await loadLayersModelFromFiles(files);
    } catch (err) {
      // A model the importers run but stock tfjs-layers cannot load (e.g. a converter's Keras 3 JSON): measured on the graph, saying so.
      notStock = err instanceof Error ? err.message : String(err);
    }
    if (lm) {
      try {
        m = await measureLayersModel(lm, files.where, test, latencyRuns);
      } finally {
        lm.dispose();
      }
    } else {
      const g = await measureGraph(graph, files.where, test, latencyRuns, 'file weights');
      m = { ...g, runtime: `${g.runtime}; tfjs-layers cannot load it: ${notStock.slice(0, 200)}` };
    }
  }
  return {
    model: opts.model ?? dir,
    format: qd ? 'tfjs-quantized' : 'tfjs',
    variant: qd ?? 'float32',
    path: relPath,
    ...(await fileSizes(files.files)),
    ...graphStats(graph),
    accuracyDelta: null,
    ...m,
  };
}

/** What running a model on the test set measures. */
interface Measured {
  accuracy: number | null;
  latencyUs: number | null;
  batchLatencyMs: number | null;
  runtime: string;
  classes?: ClassReport;
}

/** Accuracy, per-class results and latencies from a runner's outputs on the whole test set. */
async function measure(
  test: ImageSet,
  width: number,
  run: { outputs: (start: number, n: number) => Float32Array; chunk: number; one: (i: number) => unknown; batch: () => unknown; latencyRuns: number; runtime: string },
): Promise<Measured> {
  const outputs = new Float32Array(test.count * width);
  for (let s = 0; s < test.count; s += run.chunk) {
    const n = Math.min(run.chunk, test.count - s);
    outputs.set(run.outputs(s, n), s * width);
  }
  const classes = classReport(outputs, width, test.labels, test.count, test.classNames);
  return {
    accuracy: overall(classes, test.count),
    latencyUs: timeRuns(Math.min(run.latencyRuns, test.count), (i) => run.one(i % test.count)),
    batchLatencyMs: await timeBatch(test.count, run.batch),
    runtime: run.runtime,
    classes,
  };
}

/** A TF.js model in stock tfjs-layers (the runtime a TF.js deployment uses, with its own dequantization). */
async function measureLayersModel(lm: tfl.LayersModel, where: string, test: ImageSet, latencyRuns: number): Promise<Measured> {
  const inShape = lm.inputs[0].shape.slice(1);
  checkInputSize(where, inShape.reduce<number>((a, b) => a * (b ?? 1), 1), test, 'the test set');
  let first: Float32Array;
  try {
    first = predictLayersModel(lm, test.images, 0, Math.min(1, test.count), test.features);
  } catch (err) {
    // The model loaded but tfjs-layers cannot run it on inputs of the right size (e.g. an
    // input layer whose dtype is not a number type): the model file's fault.
    throw new BadInputError(`${where} cannot be run by tfjs-layers: ${(err as Error).message.slice(0, 300)}. Save or convert the model again.`, where);
  }
  return measure(test, first.length / Math.max(1, Math.min(1, test.count)), {
    outputs: (s, n) => predictLayersModel(lm, test.images, s, n, test.features),
    chunk: 1000,
    one: (i) => predictLayersModel(lm, test.images, i, 1, test.features),
    batch: () => predictLayersModel(lm, test.images, 0, BATCH_LATENCY_SAMPLES, test.features),
    latencyRuns,
    runtime: 'tfjs-layers (loadLayersModel)',
  });
}

/** Params, non-zeros and per-layer kernel sparsity of a model read from its file. */
function graphStats(graph: ModelGraph): { params: number; nonzeros: number; layers: { name: string; sparsity: number }[] } {
  const rows = layerTable(analyzeGraph(graph));
  return {
    params: graphParamCount(graph),
    nonzeros: rows.reduce((n, r) => n + r.nonZeros, 0),
    layers: rows.filter((r) => r.kernelSparsity !== null).map((r) => ({ name: r.name, sparsity: r.kernelSparsity ?? 0 })),
  };
}

/** Rows per forward pass when a graph model is evaluated (big batches, no per-sample overhead). */
const GRAPH_EVAL_CHUNK = 256;

/**
 * A model read from a Keras or TF.js file, run over the file's weights: Dense stacks (the
 * reference MLP) in the plain-JS forward pass over float32 weights, every other graph in the
 * tfjs forward pass of its layer kinds.
 */
async function measureGraph(graph: ModelGraph, where: string, test: ImageSet | null, latencyRuns: number, weights = 'h5 weights'): Promise<Measured> {
  const mlp = graphToMlp(graph).model;
  const runtime = mlp ? `js forward pass (${weights})` : 'tfjs graph forward pass (file weights)';
  if (!test) {
    return { accuracy: null, latencyUs: null, batchLatencyMs: null, runtime };
  }
  const g = analyzeGraph(graph);
  if (mlp) {
    checkInputSize(where, mlp.inputDim, test, 'the test set');
    return measure(test, mlp.layers[mlp.layers.length - 1].units, {
      outputs: (s, n) => forwardMlp(mlp, test.images, n, s),
      chunk: 1000,
      one: (i) => forwardMlp(mlp, test.images, 1, i),
      batch: () => forwardMlp(mlp, test.images, BATCH_LATENCY_SAMPLES, 0),
      latencyRuns,
      runtime,
    });
  }
  checkInputShape(test.shape, g.inputShape, 'the test set');
  return measure(test, g.layers[g.layers.length - 1].outputShape.reduce((a, b) => a * b, 1), {
    outputs: (s, n) => predictGraph(g, modelInputs(test, s, n), n),
    chunk: GRAPH_EVAL_CHUNK,
    one: (i) => predictGraph(g, modelInputs(test, i, 1), 1),
    batch: () => predictGraph(g, modelInputs(test, 0, BATCH_LATENCY_SAMPLES), BATCH_LATENCY_SAMPLES),
    // A graph forward pass per sample costs ~1 ms on a CNN: fewer timed runs.
    latencyRuns: Math.min(latencyRuns, 50),
    runtime,
  });
}

/**
 * The same .tflite file in LiteRT.js (today's TFLite kernels, XNNPACK) on the same prepared
 * inputs as tfjs-tflite (int8 for int8-I/O files): accuracy, latency, and how often its top-1
 * class equals tfjs-tflite's. Absent with the reason when the package is not installed (a
 * devDependency: the .vsix does not carry its ~38 MB of wasm) or when it refuses the file.
 */
async function measureInLitert(
  bytes: Uint8Array,
  test: ImageSet,
  sample: (i: number) => ArrayLike<number>,
  primary: Float32Array,
  classes: number,
  latencyRuns: number,
  source: string,
): Promise<RuntimeMeasurement> {
  const none = (unavailable: string, runtime = 'LiteRT.js'): RuntimeMeasurement => ({ runtime, accuracy: null, latencyUs: null, batchLatencyMs: null, agreement: null, unavailable });
  const missing = litertMissingReason();
  if (missing) {
    return none(missing);
  }
  let lm: LitertModel;
  try {
    lm = await LitertModel.load(bytes, source);
  } catch (e) {
    return none(e instanceof Error ? e.message : String(e));
  }
  try {
    const runtime = `LiteRT.js ${lm.runtimeVersion} (XNNPACK, ${lm.wasmFile.replace(/\.js$/, '')})`;
    let correct = 0;
    let same = 0;
    for (let n = 0; n < test.count; n++) {
      const y = await lm.run(sample(n));
      const k = argmax(y);
      correct += k === test.labels[n] ? 1 : 0;
      same += k === argmax(primary, n * classes, classes) ? 1 : 0;
    }
    const runs = Math.min(latencyRuns, test.count);
    const times: number[] = [];
    for (let i = 0; i < runs + Math.min(10, runs); i++) {
      const t0 = performance.now();
      await lm.run(sample(i % test.count));
      if (i >= Math.min(10, runs)) {
        times.push((performance.now() - t0) * 1000);
      }
    }
    const batchLatencyMs = await timeBatch(test.count, async () => {
      for (let i = 0; i < BATCH_LATENCY_SAMPLES; i++) {
        await lm.run(sample(i));
      }
    });
    return {
      runtime,
      accuracy: test.count ? correct / test.count : null,
      latencyUs: times.length ? Math.round(median(times) * 10) / 10 : null,
      batchLatencyMs,
      agreement: test.count ? same / test.count : null,
    };
  } catch (e) {
    return none(e instanceof Error ? e.message : String(e));
  } finally {
    lm.dispose();
  }
}
