/**
 * A Dense model with the data's normalisation built in (issue 11: an image folder's x / 255, a
 * CSV's per-feature standardisation) against the same Dense stack without it (the MLP writer's
 * files, the baseline of this run), in every TFLite variant and both runtimes: CPU time per
 * sample and accuracy on the MNIST test set. Also the full-int8 files in the converter's
 * per-channel FULLY_CONNECTED form (quantize.perChannelDenseAs "fully_connected"), which is what
 * such a model got before the graph exporter wrote the fast form (≈ 37× slower in tfjs-tflite).
 *
 * Used by `npm run bench` (measure.ts dense-norm-latency) and alone:
 *   node --import tsx bench/measure.ts dense-norm-latency [--out <pipeline output folder>]
 * The model is the pipeline's pruned_mnist_model (TF.js) when given, else a plain-JS-trained MLP.
 */
import type { TfliteMode } from '../src/protocol/config';
import { featureStats } from '../src/engine/data/prepare';
import type { Normalization } from '../src/engine/data/dataset';
import { withInputNormalization } from '../src/engine/export/inputNormalization';
import { tfliteBytes } from '../src/engine/export/tflite';
import { readTflite } from '../src/engine/export/tflite/reader';
import { operatorName } from '../src/engine/export/tflite/schema';
import { mlpToGraph } from '../src/engine/graph/mlp';
import type { MlpModel } from '../src/engine/model/mlp';
import { LitertModel } from '../src/engine/runtime/litertRuntime';
import { TfliteModel } from '../src/engine/runtime/tfliteRuntime';

const MODES: TfliteMode[] = ['float32', 'float16', 'dynamic-int8', 'full-int8'];
const FEATURES = 784;

export interface DenseNormData {
  trainX: Uint8Array;
  testX: Uint8Array;
  testY: Uint8Array;
}

interface File {
  name: string;
  model: 'plain' | 'image' | 'csv';
  mode: TfliteMode | 'full-int8 FULLY_CONNECTED';
  data: Uint8Array;
  /** The model's input from a pixel: x / 255 for the plain MLP, the raw value for the normalised ones. */
  raw: boolean;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * The same function on raw values: `m` expects x / 255; behind a normalisation z = (x − mean) / std
 * the first Dense layer becomes w' = w·std / 255, b' = b + Σ w·mean / 255 (so accuracies compare).
 */
function behind(m: MlpModel, norm: Normalization, name: string): MlpModel {
  const l0 = m.layers[0];
  const kernel = Float32Array.from(l0.kernel);
  const bias = Float32Array.from(l0.bias);
  const at = (v: number[], f: number): number => v[v.length === 1 ? 0 : f];
  for (let f = 0; f < l0.inputDim; f++) {
    for (let u = 0; u < l0.units; u++) {
      const w = l0.kernel[f * l0.units + u];
      bias[u] += (w * at(norm.mean, f)) / 255;
      kernel[f * l0.units + u] = (w * at(norm.std, f)) / 255;
    }
  }
  return { ...m, name, layers: [{ ...l0, kernel, bias }, ...m.layers.slice(1)] };
}

export async function denseNormLatency(model: MlpModel, d: DenseNormData, rounds = 7, runs = 300): Promise<object> {
  const calCount = 200;
  const repBytes = { images: d.trainX.subarray(0, calCount * FEATURES), count: calCount };
  const repRaw = { images: Float32Array.from(repBytes.images), count: calCount };
  const stats = featureStats({ x: d.trainX.subarray(0, 10000 * FEATURES), labels: new Int32Array(0), count: 10000, source: 'MNIST training images' }, FEATURES);
  const norms: Record<'image' | 'csv', Normalization> = { image: { kind: 'scale', mean: [0], std: [255] }, csv: { kind: 'standardize', ...stats } };
  const files: File[] = [];
  for (const mode of MODES) {
    files.push({ name: `plain_${mode}`, model: 'plain', mode, raw: false, data: tfliteBytes(model, mode, { representative: repBytes }).data });
  }
  for (const which of ['image', 'csv'] as const) {
    const g = withInputNormalization(mlpToGraph(behind(model, norms[which], `${which}_model`)), norms[which], 'keras');
    for (const mode of MODES) {
      files.push({ name: `${which}_${mode}`, model: which, mode, raw: true, data: tfliteBytes(g, mode, { representative: repRaw }).data });
    }
    files.push({ name: `${which}_full-int8_fc`, model: which, mode: 'full-int8 FULLY_CONNECTED', raw: true, data: tfliteBytes(g, 'full-int8', { representative: repRaw, perChannelAs: 'fully-connected' }).data });
  }
  const sample = d.testX.subarray(0, FEATURES);
  const loaded = [];
  for (const f of files) {
    const x = Float32Array.from(sample, (p) => (f.raw ? p : p / 255));
    loaded.push({ f, x, tm: await TfliteModel.load(f.data, f.name), lm: await LitertModel.load(f.data, f.name), t: [] as number[], l: [] as number[] });
  }
  // Turns (A B C … A B C …) so load changes hit every file alike; CPU time, the machine is shared.
  for (let r = 0; r <= rounds; r++) {
    for (const m of loaded) {
      let c0 = process.cpuUsage();
      for (let i = 0; i < runs; i++) {
        m.tm.run(m.x);
      }
      let c = process.cpuUsage(c0);
      if (r > 0) {
        m.t.push((c.user + c.system) / runs);
      }
      c0 = process.cpuUsage();
      for (let i = 0; i < runs; i++) {
        await m.lm.run(m.x);
      }
      c = process.cpuUsage(c0);
      if (r > 0) {
        m.l.push((c.user + c.system) / runs);
      }
    }
  }
  const N = d.testY.length;
  const out: Record<string, object> = {};
  const us: Record<string, { tfjs_tflite: number; litert: number }> = {};
  for (const m of loaded) {
    let okT = 0;
    let okL = 0;
    const x = new Float32Array(FEATURES);
    for (let s = 0; s < N; s++) {
      const px = d.testX.subarray(s * FEATURES, (s + 1) * FEATURES);
      for (let i = 0; i < FEATURES; i++) {
        x[i] = m.f.raw ? px[i] : px[i] / 255;
      }
      const a = m.tm.run(x);
      const b = await m.lm.run(x);
      okT += a.indexOf(Math.max(...a)) === d.testY[s] ? 1 : 0;
      okL += b.indexOf(Math.max(...b)) === d.testY[s] ? 1 : 0;
    }
    us[m.f.name] = { tfjs_tflite: median(m.t), litert: median(m.l) };
    out[m.f.name] = {
      mode: m.f.mode,
      bytes: m.f.data.length,
      us_cpu: { tfjs_tflite: r1(median(m.t)), litert: r1(median(m.l)) },
      accuracy: { tfjs_tflite: okT / N, litert: okL / N },
      ops: readTflite(m.f.data).operators.map((o) => operatorName(o.op)).join(' '),
    };
    m.tm.dispose();
    m.lm.dispose();
  }
  // Ratios against the plain MLP of the same variant, measured in this run.
  const ratios: Record<string, { tfjs_tflite: number; litert: number }> = {};
  for (const m of loaded.filter((x) => x.f.model !== 'plain')) {
    const base = us[`plain_${m.f.mode === 'full-int8 FULLY_CONNECTED' ? 'full-int8' : m.f.mode}`];
    ratios[m.f.name] = { tfjs_tflite: r3(us[m.f.name].tfjs_tflite / base.tfjs_tflite), litert: r3(us[m.f.name].litert / base.litert) };
  }
  return {
    model: `${model.name} (${[model.inputDim, ...model.layers.map((l) => l.units)].join('-')})`,
    method: `CPU µs per sample, median of ${rounds} rounds × ${runs} invokes, files in turns; accuracy on ${N} test images`,
    files: out,
    ratio_vs_plain: ratios,
  };
}
