/**
 * Any ModelGraph as a Keras 2 HDF5 file (`tf.keras` 2.x `model.save('x.h5')` layout): root
 * attributes model_config (the graph's Sequential/Functional topology, each layer's config
 * from its kind), training_config, keras_version, backend; model_weights with layer_names
 * (every layer, weightless ones too) and per layer weight_names '<layer>/<weight>:0' with the
 * datasets `<layer>/<layer>/<weight>:0` in Keras' layouts. A graph carries no pruning state.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { analyzeGraph } from '../graph/analyze';
import { kerasModelConfig } from '../graph/kerasTopology';
import type { ModelGraph } from '../graph/types';
import { tempPathFor } from '../util/atomic';
import { KERAS_BACKEND, KERAS_VERSION, kerasTrainingConfig, loadH5wasm, type TrainingInfo } from './kerasH5';

function fixedStrings(names: string[]): { data: string[]; dtype: string } {
  const n = Math.max(1, ...names.map((s) => Buffer.byteLength(s)));
  return { data: names, dtype: `S${n}` };
}

/** Writes `file` atomically (temp file in the same folder, then rename). Returns bytes on disk. */
export async function saveKerasH5Graph(graph: ModelGraph, file: string, training?: TrainingInfo): Promise<number> {
  analyzeGraph(graph);
  const h5 = await loadH5wasm();
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    const f = new h5.File(tmp, 'w');
    try {
      f.create_attribute('backend', KERAS_BACKEND);
      f.create_attribute('keras_version', KERAS_VERSION);
      f.create_attribute('model_config', JSON.stringify(kerasModelConfig(graph)));
      f.create_attribute('training_config', JSON.stringify(kerasTrainingConfig(training)));
      const mw = f.create_group('model_weights');
      mw.create_attribute('backend', KERAS_BACKEND);
      mw.create_attribute('keras_version', KERAS_VERSION);
      const ln = fixedStrings(graph.layers.map((l) => l.name));
      mw.create_attribute('layer_names', ln.data, [ln.data.length], ln.dtype);
      for (const l of graph.layers) {
        const lg = mw.create_group(l.name);
        if (l.weights.length === 0) {
          // h5py writes an empty list as a float64 array of shape (0,); an empty fixed string list does the same job for readers.
          lg.create_attribute('weight_names', new Float64Array(0), [0], '<d');
          continue;
        }
        const wn = fixedStrings(l.weights.map((w) => `${l.name}/${w.name}:0`));
        lg.create_attribute('weight_names', wn.data, [wn.data.length], wn.dtype);
        const inner = lg.create_group(l.name);
        for (const w of l.weights) {
          inner.create_dataset({ name: `${w.name}:0`, data: w.data, shape: w.shape, dtype: '<f' });
        }
      }
    } finally {
      f.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return (await fs.stat(file)).size;
}
