/**
 * Keras 2 HDF5 model files (`model.save('x.h5')` layout), written and read with h5wasm:
 * root attributes model_config (Sequential JSON), training_config, keras_version, backend;
 * group model_weights with layer_names, and per layer weight_names plus the datasets
 * `<layer>/<layer>/kernel:0` [in, out] float32 and `<layer>/<layer>/bias:0`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { MlpModel } from '../model/mlp';
import { BadInputError } from '../errors';
import { assertSafeTarget, mkdirSafe, tempPathFor } from '../util/atomic';
import { guardHdf5 } from '../util/hdf5Guard';
import { LIMITS, openRegularFile, readAt } from '../util/safeRead';
import { validateModel } from './validateModel';

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

export interface KerasH5Contents {
  model: MlpModel;
  kerasVersion: string;
  backend: string;
  modelConfig: { class_name: string; config: { name?: string; layers: { class_name: string; config: Record<string, unknown> }[] } };
  trainingConfig: unknown;
  layerNames: string[];
  weightNames: Record<string, string[]>;
}

function asString(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v instanceof Uint8Array) {
    return new TextDecoder().decode(v);
  }
  return String(v);
}

function asStrings(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).map(asString);
}

/** Reads a Keras 2 .h5 Sequential model of Dense layers. Throws BadInputError with the reason otherwise. */
export async function readKerasH5(file: string, name = path.basename(file).replace(/\.h5$/i, '')): Promise<KerasH5Contents> {
  const h5 = await loadH5wasm();
  const where = path.basename(file);
  const fail = (why: string): never => {
    throw new BadInputError(`${where} is not a Keras Dense model: ${why}`, where);
  };
  // A regular file within the cap (h5wasm opens the path itself; never /dev/zero or a FIFO).
  const { fh, size } = await openRegularFile(file, { what: 'Keras .h5 model', maxBytes: LIMITS.model });
  let head: Buffer;
  try {
    head = await readAt(fh, 8, 0);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1') !== '\x89HDF\r\n\x1a\n') {
    fail('not an HDF5 file (bad signature)');
  }
  // HDF5 diagnostics stay off the terminal; a damaged file is bad input with the reason.
  return guardHdf5(file, 'Keras .h5 model', () => {
    const f = new h5.File(file, 'r');
    try {
      const attr = (k: string): unknown => (f.attrs[k] ? f.attrs[k].value : undefined);
      const cfgText = attr('model_config');
      if (cfgText === undefined) {
        fail('no model_config attribute');
      }
      let modelConfig: KerasH5Contents['modelConfig'];
      try {
        modelConfig = JSON.parse(asString(cfgText)) as KerasH5Contents['modelConfig'];
      } catch {
        return fail('model_config is not JSON');
      }
      if (modelConfig.class_name !== 'Sequential' || !Array.isArray(modelConfig.config?.layers)) {
        fail(`model class '${modelConfig.class_name}' (only Sequential is supported)`);
      }
      const mw = f.get('model_weights');
      if (!mw || !(mw instanceof h5.Group)) {
        fail('no model_weights group');
      }
      const group = mw as InstanceType<H5['Group']>;
      const layerNames = asStrings(group.attrs['layer_names']?.value ?? []);
      const weightNames: Record<string, string[]> = {};
      const dense = modelConfig.config.layers.filter((l) => l.class_name !== 'InputLayer');
      let inputDim = 0;
      const first = modelConfig.config.layers[0]?.config as { batch_input_shape?: (number | null)[] } | undefined;
      if (first?.batch_input_shape) {
        inputDim = Number(first.batch_input_shape[first.batch_input_shape.length - 1]);
      }
      const layers = dense.map((l) => {
        if (l.class_name !== 'Dense') {
          fail(`layer '${String(l.config.name)}' is a ${l.class_name} (only Dense layers are supported)`);
        }
        const lname = String(l.config.name);
        const lg = group.get(lname);
        if (!lg || !(lg instanceof h5.Group)) {
          return fail(`no weights for layer '${lname}'`);
        }
        const wn = asStrings(lg.attrs['weight_names']?.value ?? []);
        weightNames[lname] = wn;
        const kName = wn.find((n) => n.endsWith('kernel:0'));
        const bName = wn.find((n) => n.endsWith('bias:0'));
        if (!kName || !bName) {
          return fail(`layer '${lname}' lacks kernel:0 / bias:0 in weight_names`);
        }
        const k = group.get(`${lname}/${kName}`);
        const b = group.get(`${lname}/${bName}`);
        if (!(k instanceof h5.Dataset) || !(b instanceof h5.Dataset)) {
          return fail(`layer '${lname}' weight datasets missing`);
        }
        const kShape = k.shape ?? [];
        if (kShape.length !== 2) {
          return fail(`layer '${lname}' kernel has shape [${kShape.join(',')}]`);
        }
        // No storage layout HDF5 offers inflates more than deflate's 1032:1, so a dataset
        // claiming more than that is damaged: refuse it before h5wasm allocates it.
        for (const d of [k, b]) {
          const n = (d.shape ?? []).reduce((x, y) => x * y, 1);
          if (n * 4 > 1032 * size) {
            return fail(`dataset ${d.path} claims ${(d.shape ?? []).join(' × ')} values, more than a ${size}-byte file can hold`);
          }
        }
        const kernel = Float32Array.from(k.value as ArrayLike<number>);
        const bias = Float32Array.from(b.value as ArrayLike<number>);
        return {
          name: lname,
          inputDim: kShape[0],
          units: kShape[1],
          activation: (typeof l.config.activation === 'string' ? l.config.activation : 'linear') as MlpModel['layers'][number]['activation'],
          kernel,
          bias,
        };
      });
      const model: MlpModel = { name, inputDim: inputDim || (layers[0]?.inputDim ?? 0), layers };
      validateModel(model, 'Keras .h5');
      return {
        model,
        kerasVersion: asString(attr('keras_version')),
        backend: asString(attr('backend')),
        modelConfig,
        trainingConfig: JSON.parse(asString(attr('training_config') ?? 'null')) as unknown,
        layerNames,
        weightNames,
      };
    } finally {
      f.close();
    }
  });
}
