/**
 * Any ModelGraph as a Keras 2 HDF5 file (`tf.keras` 2.x `model.save('x.h5')` layout): root
 * attributes model_config (the graph's Sequential/Functional topology, each layer's config
 * from its kind), training_config, keras_version, backend; model_weights with layer_names
 * (every layer, weightless ones too) and per layer weight_names '<layer>/<weight>:0' with the
 * datasets `<layer>/<layer>/<weight>:0` in Keras' layouts. A graph carries no pruning state.
 */
import { analyzeGraph } from '../graph/analyze';
import { kerasModelConfig } from '../graph/kerasTopology';
import type { ModelGraph } from '../graph/types';
import { writeKerasH5File, type TrainingInfo } from './kerasH5';

/** Writes `file` atomically (temp file in the same folder, then rename). Returns bytes on disk. */
export async function saveKerasH5Graph(graph: ModelGraph, file: string, training?: TrainingInfo): Promise<number> {
  analyzeGraph(graph);
  return writeKerasH5File(file, kerasModelConfig(graph), graph.layers, training);
}
