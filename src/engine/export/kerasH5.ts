/**
 * Keras 2 HDF5 model files (`model.save('x.h5')` layout), written with h5wasm: root attributes
 * model_config, training_config, keras_version, backend; group model_weights with layer_names,
 * and per layer weight_names plus the datasets `<layer>/<layer>/<weight>:0`. Files are read by
 * the importers (src/engine/import/kerasLegacyH5.ts), whoever wrote them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { assertSafeTarget, mkdirSafe, tempPathFor } from '../util/atomic';

type H5 = typeof import('h5wasm/node');

let h5Promise: Promise<H5> | null = null;

/** h5wasm is ESM-only: loaded with a dynamic import, once. Its Node build reads and writes real paths. */
export function loadH5wasm(): Promise<H5> {
  h5Promise ??= (async () => {
    const h5 = await import('h5wasm/node');
    await h5.ready;
    return h5;
  })();
  return h5Promise;
}

export const KERAS_VERSION = '2.15.0';
export const KERAS_BACKEND = 'tensorflow';

export interface TrainingInfo {
  learningRate: number;
}

export function kerasTrainingConfig(info: TrainingInfo = { learningRate: 1e-3 }): Record<string, unknown> {
  return {
    loss: 'sparse_categorical_crossentropy',
    metrics: [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'sparse_categorical_accuracy' } }]],
    weighted_metrics: null,
    loss_weights: null,
    optimizer_config: {
      class_name: 'Adam',
      config: { name: 'Adam', learning_rate: info.learningRate, decay: 0.0, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
    },
  };
}

/** Fixed-length byte strings ('S<n>'), as h5py stores Keras' name lists. */
function fixedStrings(names: string[]): { data: string[]; dtype: string } {
  const n = Math.max(1, ...names.map((s) => Buffer.byteLength(s)));
  return { data: names, dtype: `S${n}` };
}

/** One layer's group in model_weights: its weights in Keras' order and layout. */
export interface H5LayerWeights {
  name: string;
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/**
 * Writes the Keras 2 `.h5` layout (root attributes, model_weights with layer_names and per
 * layer weight_names '<layer>/<weight>:0' and datasets `<layer>/<layer>/<weight>:0`)
 * atomically: temp file in the same folder, then rename, the target checked for links.
 * Returns bytes on disk. Shared by the Dense-stack and the graph writers.
 */
export async function writeKerasH5File(file: string, modelConfig: unknown, layers: readonly H5LayerWeights[], training?: TrainingInfo): Promise<number> {
  const h5 = await loadH5wasm();
  await mkdirSafe(path.dirname(file));
  await assertSafeTarget(file);
  const tmp = tempPathFor(file);
  try {
    const f = new h5.File(tmp, 'w');
    try {
      f.create_attribute('backend', KERAS_BACKEND);
      f.create_attribute('keras_version', KERAS_VERSION);
      f.create_attribute('model_config', JSON.stringify(modelConfig));
      f.create_attribute('training_config', JSON.stringify(kerasTrainingConfig(training)));
      const mw = f.create_group('model_weights');
      mw.create_attribute('backend', KERAS_BACKEND);
      mw.create_attribute('keras_version', KERAS_VERSION);
      const ln = fixedStrings(layers.map((l) => l.name));
      mw.create_attribute('layer_names', ln.data, [ln.data.length], ln.dtype);
      for (const l of layers) {
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
