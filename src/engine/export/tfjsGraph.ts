/**
 * Any ModelGraph in the TF.js layers format: `model.json` whose modelTopology is the
 * graph's Keras topology (Sequential or Functional, each layer's config from its kind) and
 * whose weightsManifest lists every weight (BatchNormalization's moving statistics too) as
 * '<layer>/<weight>' in layer order, plus one float32 shard. Loadable with stock
 * `tf.loadLayersModel`. A graph carries no pruning state, so nothing needs stripping.
 */
import * as path from 'node:path';
import { kerasModelConfig } from '../graph/kerasTopology';
import type { ModelGraph } from '../graph/types';
import { writeFilesAtomic } from '../util/atomic';
import { portableActivations } from './portableActivations';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
const GENERATED_BY = 'Model Optimizer (TF.js layers format, tfjs-layers 4.x compatible)';

export function tfjsGraphModelJson(model: ModelGraph, weightsFile = WEIGHTS_FILE): Record<string, unknown> {
  const graph = portableActivations(model);
  const weights = graph.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: [...w.shape], dtype: 'float32' })));
  return {
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
    modelTopology: { ...kerasModelConfig(graph), keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: [weightsFile], weights }],
  };
}

/** Every weight, in manifest order, float32 little-endian, as one buffer. */
export function tfjsGraphWeightData(graph: ModelGraph): Uint8Array {
  const all = graph.layers.flatMap((l) => l.weights);
  const out = new Float32Array(all.reduce((n, w) => n + w.data.length, 0));
  let o = 0;
  for (const w of all) {
    out.set(w.data, o);
    o += w.data.length;
  }
  return new Uint8Array(out.buffer);
}

/** Saves `graph` under `dir` (model.json written last). Returns total bytes and the model.json path. */
export async function saveTfjsGraph(graph: ModelGraph, dir: string): Promise<{ bytes: number; modelJson: string }> {
  const modelJson = path.join(dir, MODEL_JSON);
  const bytes = await writeFilesAtomic([
    { path: path.join(dir, WEIGHTS_FILE), data: tfjsGraphWeightData(graph) },
    { path: modelJson, data: JSON.stringify(tfjsGraphModelJson(graph)) },
  ]);
  return { bytes, modelJson };
}
