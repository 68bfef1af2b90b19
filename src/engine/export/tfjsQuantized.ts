/**
 * Weight-quantized TF.js Layers models (uint8 or float16) using the standard
 * weightsManifest `quantization` field, so stock `tf.loadLayersModel` dequantizes them at
 * load time. uint8 ranges are chosen so 0 is a grid point: pruned zeros stay exactly zero.
 * Such files are read back by the importer (import/tfjsModel.ts), like every TF.js model.
 */
import * as path from 'node:path';
import type { TfjsQuantMode } from '../../protocol/config';
import type { MlpModel } from '../model/mlp';
import { toFloat16 } from '../quantize/float16';
import { writeFilesAtomic } from '../util/atomic';
import { kerasDenseConfig } from './kerasDense';
import { validateModel } from './validateModel';
import { analyzeGraph } from '../graph/analyze';
import { graphToMlp } from '../graph/mlp';
import type { ModelGraph } from '../graph/types';
import { checkFiniteWeights } from './kerasH5Graph';
import { tfjsGraphModelJson, WEIGHTS_FILE } from './tfjsGraph';

export interface WeightQuantization {
  dtype: 'uint8' | 'float16' | 'uint16';
  scale?: number;
  min?: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: WeightQuantization;
}

export interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}


/** uint8 affine parameters with 0 exactly representable: w ≈ q·scale + min, min = −zq·scale. */
export function uint8Params(values: Float32Array): { scale: number; min: number; zeroQ: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (hi === lo) {
    return { scale: 1, min: 0, zeroQ: 0 };
  }
  const scale = (hi - lo) / 255;
  const zeroQ = Math.round(-lo / scale);
  return { scale, min: -zeroQ * scale, zeroQ };
}

export function quantizeUint8(values: Float32Array): { q: Uint8Array; scale: number; min: number } {
  const { scale, min } = uint8Params(values);
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    q[i] = Math.max(0, Math.min(255, Math.round((values[i] - min) / scale)));
  }
  return { q, scale, min };
}

/**
 * A Dense stack's topology exactly as 0.1.0's TF.js saver wrote it (VarianceScaling
 * initialisers, batch_input_shape on the first layer): the reference run's `_uint8` /
 * `_float16` model.json files stay byte-identical. Other graphs use tfjsGraphModelJson.
 */
export function denseTfjsTopology(model: MlpModel): Record<string, unknown> {
  const layers = model.layers.map((l, i) => ({
    class_name: 'Dense',
    config: {
      ...kerasDenseConfig(l.units, l.activation, { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } }),
      name: l.name,
      trainable: true,
      ...(i === 0 ? { batch_input_shape: [null, model.inputDim] } : {}),
      dtype: 'float32',
    },
  }));
  return { class_name: 'Sequential', config: { name: model.name, layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}

/** Each weight quantized to `mode` (manifest entries in order, and the packed bytes). */
function quantizeWeights(weights: readonly { name: string; shape: readonly number[]; data: Float32Array; keepFloat?: boolean }[], mode: TfjsQuantMode): { specs: WeightSpec[]; bin: Uint8Array } {
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const w of weights) {
    if (w.keepFloat) {
      specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32' });
      parts.push(new Uint8Array(w.data.buffer.slice(w.data.byteOffset, w.data.byteOffset + w.data.byteLength)));
    } else if (mode === 'uint8') {
      const { q, scale, min } = quantizeUint8(w.data);
      specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32', quantization: { dtype: 'uint8', scale, min } });
      parts.push(q);
    } else {
      const h = toFloat16(w.data);
      specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32', quantization: { dtype: 'float16' } });
      parts.push(new Uint8Array(h.buffer, h.byteOffset, h.byteLength));
    }
  }
  const bin = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    bin.set(p, off);
    off += p.length;
  }
  return { specs, bin };
}

async function writeQuantized(dir: string, modelTopology: Record<string, unknown>, q: { specs: WeightSpec[]; bin: Uint8Array }): Promise<{ bytes: number; modelJson: string }> {
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'model-optimizer',
    convertedBy: null,
    modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: q.specs }],
  };
  const modelJson = path.join(dir, 'model.json');
  const bytes = await writeFilesAtomic([
    { path: path.join(dir, WEIGHTS_FILE), data: q.bin },
    { path: modelJson, data: JSON.stringify(json) },
  ]);
  return { bytes, modelJson };
}

/** Writes `<dir>/model.json` + `<dir>/group1-shard1of1.bin` atomically (weights first). */
export async function saveTfjsQuantized(model: MlpModel, dir: string, mode: TfjsQuantMode): Promise<{ bytes: number; modelJson: string }> {
  validateModel(model, `TF.js ${mode}`);
  const weights = model.layers.flatMap((l) => [
    { name: `${l.name}/kernel`, shape: [l.inputDim, l.units], data: l.kernel },
    { name: `${l.name}/bias`, shape: [l.units], data: l.bias },
  ]);
  return writeQuantized(dir, denseTfjsTopology(model), quantizeWeights(weights, mode));
}

/**
 * Any graph as a weight-quantized TF.js model: the topology the float TF.js saver writes
 * (export/tfjsGraph.ts) and every weight (BatchNormalization's statistics too) quantized.
 * A Dense stack keeps the file the reference run has always written (saveTfjsQuantized).
 */
export async function saveTfjsQuantizedGraph(
  graph: ModelGraph,
  dir: string,
  mode: TfjsQuantMode,
  /** Layers whose weights stay float32 (the built-in input normalisation: its statistics must stay exact). */
  keepFloat: (layer: string) => boolean = () => false,
): Promise<{ bytes: number; modelJson: string }> {
  const mlp = graphToMlp(graph).model;
  if (mlp) {
    return saveTfjsQuantized(mlp, dir, mode);
  }
  analyzeGraph(graph);
  checkFiniteWeights(graph, `TF.js ${mode}`);
  const weights = graph.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape, data: w.data, keepFloat: keepFloat(l.name) })));
  const topology = tfjsGraphModelJson(graph).modelTopology as Record<string, unknown>;
  return writeQuantized(dir, topology, quantizeWeights(weights, mode));
}
