/**
 * TF.js layers format: `model.json` (a tfjs-layers Sequential topology + weightsManifest)
 * and one weights file `group1-shard1of1.bin`, loadable with stock `tf.loadLayersModel`.
 * Written with writeFilesAtomic, model.json last, so a reader never sees a model.json
 * whose weights are missing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Activation } from '../../protocol/config';
import { parseJsonText } from '../config/load';
import { BadInputError } from '../errors';
import type { DenseLayer, MlpModel } from '../model/mlp';
import { decodeTfjsGroup } from '../import/tfjsWeights';
import { writeFilesAtomic } from '../util/atomic';
import { LIMITS, readFileLimited, readTextLimited, resolveInside } from '../util/safeRead';
import { kerasDenseConfig } from './kerasDense';
import { checkWeightBytes, checkWeightsManifest } from './tfjsManifest';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
const GENERATED_BY = 'Model Optimizer (TF.js layers format, tfjs-layers 4.x compatible)';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number };
}

/** The model.json object for `model` (weights described in the order kernel, bias per layer). */
export function tfjsModelJson(model: MlpModel, weightsFile = WEIGHTS_FILE): object {
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
  const weights: WeightSpec[] = model.layers.flatMap((l) => [
    { name: `${l.name}/kernel`, shape: [l.inputDim, l.units], dtype: 'float32' },
    { name: `${l.name}/bias`, shape: [l.units], dtype: 'float32' },
  ]);
  return {
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [weightsFile], weights }],
  };
}

/** Kernel then bias for every layer, float32 little-endian, as one buffer. */
export function tfjsWeightData(model: MlpModel): Uint8Array {
  const total = model.layers.reduce((n, l) => n + l.kernel.length + l.bias.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const l of model.layers) {
    out.set(l.kernel, o);
    o += l.kernel.length;
    out.set(l.bias, o);
    o += l.bias.length;
  }
  return new Uint8Array(out.buffer);
}

/** Saves `model` under `dir` (created if needed). Returns total bytes and the model.json path. */
export async function saveTfjsModel(model: MlpModel, dir: string): Promise<{ bytes: number; modelJson: string }> {
  const modelJson = path.join(dir, MODEL_JSON);
  const bytes = await writeFilesAtomic([
    { path: path.join(dir, WEIGHTS_FILE), data: tfjsWeightData(model) },
    { path: modelJson, data: JSON.stringify(tfjsModelJson(model)) },
  ]);
  return { bytes, modelJson };
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

interface LayerJson {
  class_name: string;
  config: { name?: string; units?: number; activation?: string; use_bias?: boolean; batch_input_shape?: (number | null)[]; batchInputShape?: (number | null)[] };
}

function bad(file: string, problem: string): never {
  throw new BadInputError(`${file}: ${problem}. Pass a TF.js layers model.json of a Sequential stack of Dense layers (as written by Model Optimizer or tfjs-layers' model.save).`, file);
}

function asActivation(a: string | undefined, file: string, layer: string): Activation {
  const v = a ?? 'linear';
  if (v === 'relu' || v === 'softmax' || v === 'linear') {
    return v;
  }
  bad(file, `layer ${layer} uses activation '${v}'; supported: relu, softmax, linear`);
}

/** Loads a TF.js layers model (path to model.json, or a folder containing one) as an MlpModel. */
export async function loadTfjsModel(pathToModelJsonOrDir: string): Promise<MlpModel> {
  let file = path.resolve(pathToModelJsonOrDir);
  try {
    if ((await fs.stat(file)).isDirectory()) {
      file = path.join(file, MODEL_JSON);
    }
  } catch {
    throw new BadInputError(`${file} does not exist. Pass the model.json of a TF.js model (or its folder), e.g. model-optimizer-output/mnist_model/model.json.`, file);
  }
  let json: {
    modelTopology?: { class_name?: string; config?: { name?: string; layers?: LayerJson[] } | LayerJson[]; model_config?: { class_name?: string; config?: { name?: string; layers?: LayerJson[] } } };
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  try {
    json = parseJsonText(await readTextLimited(file, { what: 'TF.js model.json', maxBytes: LIMITS.modelJson }), file) as typeof json;
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    const e = err as NodeJS.ErrnoException;
    throw new BadInputError(`${file} cannot be read as JSON (${e.code ?? e.message}). Pass a TF.js layers model.json.`, file);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    bad(file, 'it is not a JSON object');
  }
  // Keras' converter nests the topology under model_config; tfjs-layers does not.
  const topo = json.modelTopology?.model_config ?? json.modelTopology;
  if (!topo || topo.class_name !== 'Sequential') {
    bad(file, `the topology is ${topo?.class_name ?? 'missing'}, not Sequential`);
  }
  const cfg = topo.config;
  const layersJson = Array.isArray(cfg) ? cfg : (cfg?.layers ?? []);
  const modelName = (Array.isArray(cfg) ? undefined : cfg?.name) ?? path.basename(path.dirname(file));
  if (!json.weightsManifest || json.weightsManifest.length === 0) {
    bad(file, 'it has no weightsManifest');
  }
  const declared = checkWeightsManifest(json.weightsManifest, file);
  let actual = 0;
  // Read every shard of every group, check the total against the manifest, then decode by name.
  const groups: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      const shard = await resolveInside(path.dirname(file), p, 'weights file', file);
      parts.push(await readFileLimited(shard, { what: 'TF.js weights file', maxBytes: LIMITS.model }));
    }
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    actual += buf.length;
    groups.push(buf);
  }
  checkWeightBytes(declared, actual, file);
  const weights = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  json.weightsManifest.forEach((group, g) => {
    const decoded = decodeTfjsGroup(group, groups[g], file);
    group.weights.forEach((spec, i) => weights.set(spec.name.replace(/:0$/, ''), { spec, values: decoded[i].values }));
  });
  try {
    return denseLayersOf(file, layersJson, weights, modelName);
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    // A topology of unexpected shape (a layer without config, a number where a list belongs).
    return bad(file, `its modelTopology has an unexpected structure (${(err as Error).message})`);
  }
}

function denseLayersOf(file: string, layersJson: LayerJson[], weights: Map<string, { spec: WeightSpec; values: Float32Array }>, modelName: string): MlpModel {
  const layers: DenseLayer[] = [];
  let inputDim = 0;
  for (const lj of layersJson) {
    const c = lj.config;
    const shape = c.batch_input_shape ?? c.batchInputShape;
    if (lj.class_name === 'InputLayer') {
      inputDim = Number(shape?.[shape.length - 1] ?? 0);
      continue;
    }
    if (lj.class_name !== 'Dense') {
      bad(file, `layer ${c.name ?? '?'} is a ${lj.class_name}; only Dense layers are supported`);
    }
    const name = c.name ?? `dense_${layers.length}`;
    if (layers.length === 0 && shape) {
      inputDim = Number(shape[shape.length - 1]);
    }
    const inDim = layers.length === 0 ? inputDim : layers[layers.length - 1].units;
    const units = Number(c.units);
    const kernel = weights.get(`${name}/kernel`);
    const bias = weights.get(`${name}/bias`);
    if (!kernel) {
      bad(file, `the weights of layer ${name} (${name}/kernel) are not in the weightsManifest`);
    }
    if (!(inDim > 0) || kernel.spec.shape[0] !== inDim || kernel.spec.shape[1] !== units) {
      bad(file, `layer ${name}'s kernel has shape [${kernel.spec.shape.join(', ')}] but the topology says [${inDim}, ${units}]`);
    }
    layers.push({
      name,
      inputDim: inDim,
      units,
      activation: asActivation(c.activation, file, name),
      kernel: kernel.values,
      bias: c.use_bias === false || !bias ? new Float32Array(units) : bias.values,
    });
  }
  if (layers.length === 0) {
    bad(file, 'it has no Dense layers');
  }
  return { name: modelName, inputDim: layers[0].inputDim, layers };
}
