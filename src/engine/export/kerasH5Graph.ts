/**
 * Any ModelGraph as a Keras 2 HDF5 file (`tf.keras` 2.x `model.save('x.h5')` layout): root
 * attributes model_config (the graph's Sequential/Functional topology, each layer's config
 * from its kind), training_config, keras_version, backend; model_weights with layer_names and
 * per layer weight_names '<layer>/<weight>:0' with the datasets `<layer>/<layer>/<weight>:0`
 * in Keras' layouts. A graph carries no pruning state. The one `.h5` writer: Dense stacks
 * (the reference MLP) are written through it too.
 *
 * As tf.keras 2.x writes a Sequential model: the first layer after the InputLayer carries the
 * `batch_input_shape` (after `dtype`), and layer_names lists the model's layers without the
 * InputLayer (a Sequential's `model.layers` has none; the Keras 2.14/2.15 fixtures show both).
 * A Functional model lists its InputLayers, as Keras does.
 */
import { BadInputError } from '../errors';
import { analyzeGraph } from '../graph/analyze';
import { isSequentialChain, kerasModelConfig } from '../graph/kerasTopology';
import { mlpToGraph } from '../graph/mlp';
import type { ModelGraph } from '../graph/types';
import type { MlpModel } from '../model/mlp';
import { writeKerasH5File, type TrainingInfo } from './kerasH5';
import { portableActivations } from './portableActivations';
import { validateModel } from './validateModel';

type LayerEntry = { class_name: string; config: Record<string, unknown> };

/** Refuses non-finite weights before a byte is written (a diverged model), naming the layer. */
export function checkFiniteWeights(graph: ModelGraph, format: string): void {
  for (const l of graph.layers) {
    for (const w of l.weights) {
      const i = w.data.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) {
        const where = `${graph.name || 'model'} (${format} export)`;
        throw new BadInputError(`${where}: layer '${l.name}' has a non-finite weight (${w.name}[${i}] = ${w.data[i]}): the model diverged; retrain with a lower learning rate`, where);
      }
    }
  }
}

/** The Sequential topology with the input shape on its first layer, after `dtype`, as Keras 2 writes it. */
function withFirstLayerInputShape(config: Record<string, unknown>): Record<string, unknown> {
  const inner = config.config as { name: string; layers: LayerEntry[] };
  const [input, first, ...rest] = inner.layers;
  const shape = input.config.batch_input_shape;
  if (!first || shape === undefined || 'batch_input_shape' in first.config) {
    return config;
  }
  const c: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(first.config)) {
    c[k] = v;
    if (k === 'dtype') {
      c.batch_input_shape = shape;
    }
  }
  if (!('batch_input_shape' in c)) {
    c.batch_input_shape = shape;
  }
  return { ...config, config: { ...inner, layers: [input, { ...first, config: c }, ...rest] } };
}

/** Writes `file` atomically (temp file in the same folder, then rename). Returns bytes on disk. */
export async function saveKerasH5Graph(model: ModelGraph, file: string, training?: TrainingInfo): Promise<number> {
  const graph = portableActivations(model);
  analyzeGraph(graph);
  checkFiniteWeights(graph, 'Keras .h5');
  if (isSequentialChain(graph)) {
    return writeKerasH5File(file, withFirstLayerInputShape(kerasModelConfig(graph)), graph.layers.slice(1), training);
  }
  return writeKerasH5File(file, kerasModelConfig(graph), graph.layers, training);
}

/** A Dense stack (MlpModel) as a Keras .h5, through the same writer: the file the reference run has always written. */
export async function saveKerasH5(model: MlpModel, file: string, training?: TrainingInfo): Promise<number> {
  validateModel(model, 'Keras .h5');
  return saveKerasH5Graph(mlpToGraph(model), file, training);
}
