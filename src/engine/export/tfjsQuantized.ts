/**
 * Weight-quantized TF.js Layers models (uint8 or float16) using the standard
 * weightsManifest `quantization` field, so stock `tf.loadLayersModel` dequantizes them at
 * load time. uint8 ranges are chosen so 0 is a grid point: pruned zeros stay exactly zero.
 *
 * Also reads a TF.js Layers model's files (float32 or quantized) and decodes their weights
 * for reports and evaluation.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TfjsQuantMode } from '../../protocol/config';
import type { MlpModel } from '../model/mlp';
import { parseJsonText } from '../config/load';
import { BadInputError } from '../errors';
import { groupByteLength, decodeTfjsGroup } from '../import/tfjsWeights';
import { toFloat16 } from '../quantize/float16';
import { writeFilesAtomic } from '../util/atomic';
import { LIMITS, readFileLimited, readTextLimited, resolveInside } from '../util/safeRead';
import { tfjsModelJson } from './tfjs';
import { checkWeightBytes, checkWeightsManifest } from './tfjsManifest';
import { validateModel } from './validateModel';
import { analyzeGraph } from '../graph/analyze';
import { graphToMlp } from '../graph/mlp';
import type { ModelGraph } from '../graph/types';
import { checkFiniteWeights } from './kerasH5Graph';
import { tfjsGraphModelJson } from './tfjsGraph';

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

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

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

/** The same Sequential topology the plain TF.js saver (export/tfjs.ts) writes. */
export function tfjsTopology(model: MlpModel): Record<string, unknown> {
  return (tfjsModelJson(model) as { modelTopology: Record<string, unknown> }).modelTopology;
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
  return writeQuantized(dir, tfjsTopology(model), quantizeWeights(weights, mode));
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

export interface TfjsFiles {
  modelJsonPath: string;
  json: ModelJson;
  /** All weight shards concatenated in manifest order. */
  weightData: Uint8Array;
  /** Bytes on disk: model.json plus shards. */
  bytes: number;
  /** Files (absolute) making up the model. */
  files: string[];
}

function resolveModelJson(p: string): Promise<string> {
  return fs.stat(p).then(
    (s) => (s.isDirectory() ? path.join(p, 'model.json') : p),
    () => p,
  );
}

export async function readTfjsFiles(pathToModelJsonOrDir: string): Promise<TfjsFiles> {
  const modelJsonPath = await resolveModelJson(pathToModelJsonOrDir);
  const where = path.basename(path.dirname(modelJsonPath)) + '/' + path.basename(modelJsonPath);
  let text: string;
  try {
    text = await readTextLimited(modelJsonPath, { what: 'TF.js model.json', maxBytes: LIMITS.modelJson });
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    throw new BadInputError(`cannot read TF.js model ${modelJsonPath}: ${(err as Error).message}`, where);
  }
  const json = parseJsonText(text, where) as ModelJson;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BadInputError(`${where} is not a TF.js model: it is not a JSON object. Pass the model.json written by tfjs (model.save) or the tensorflowjs converter.`, where);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new BadInputError(`${where} is not a TF.js Layers model (no modelTopology / weightsManifest). Pass the model.json written by tfjs (model.save) or the tensorflowjs converter.`, where);
  }
  const declared = checkWeightsManifest(json.weightsManifest, where);
  const dir = path.dirname(modelJsonPath);
  const files = [modelJsonPath];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const f = await resolveInside(dir, p, 'weights file', modelJsonPath);
      files.push(f);
      chunks.push(new Uint8Array(await readFileLimited(f, { what: 'TF.js weights file', maxBytes: LIMITS.model })));
    }
  }
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  checkWeightBytes(declared, weightData.length, where);
  let off = 0;
  for (const c of chunks) {
    weightData.set(c, off);
    off += c.length;
  }
  return { modelJsonPath, json, weightData, bytes: Buffer.byteLength(text) + weightData.length, files };
}

/** Decodes every weight, dequantized by tfjs-core's own decoder (tf.io.decodeWeights). */
export function decodeWeights(files: TfjsFiles): Map<string, { values: Float32Array; shape: number[]; quantization?: WeightQuantization }> {
  const out = new Map<string, { values: Float32Array; shape: number[]; quantization?: WeightQuantization }>();
  const where = path.basename(files.modelJsonPath);
  let off = 0;
  for (const group of files.json.weightsManifest) {
    // The shards of all groups are concatenated: each group takes the bytes its manifest describes.
    const n = groupByteLength(group, where);
    const decoded = decodeTfjsGroup(group, files.weightData.subarray(off, Math.min(off + n, files.weightData.length)), where);
    off += n;
    group.weights.forEach((spec, i) => out.set(spec.name, { values: decoded[i].values, shape: decoded[i].shape, quantization: spec.quantization }));
  }
  if (off !== files.weightData.length) {
    throw new BadInputError(`${where}: the weight files hold ${files.weightData.length} bytes but the manifest describes ${off}. The shards do not belong to this model.json: copy the model folder again.`, where);
  }
  return out;
}
