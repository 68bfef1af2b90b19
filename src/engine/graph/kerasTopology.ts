/**
 * The Keras 2 model topology of a graph (the `.h5` root attribute model_config and TF.js
 * model.json's modelTopology.model_config): 'Sequential' when the graph is a chain from its
 * InputLayer, else 'Functional' with inbound_nodes. Each layer's config comes from its kind.
 */
import { kindOfNode } from '../layers/registry';
import type { ModelGraph } from './types';

export function isSequentialChain(graph: ModelGraph): boolean {
  return graph.layers.every((l, i) => (i === 0 ? l.className === 'InputLayer' : l.inbound.length === 1 && l.inbound[0] === graph.layers[i - 1].name && l.className !== 'InputLayer')) && graph.outputs[0] === graph.layers[graph.layers.length - 1].name;
}

function layerEntry(graph: ModelGraph, i: number): { class_name: string; config: Record<string, unknown> } {
  const node = graph.layers[i];
  const config = kindOfNode(node).kerasConfig(node.config, node);
  // A frozen layer stays frozen when the file is loaded again (Keras and tfjs-layers read `trainable`).
  return { class_name: node.className, config: node.trainable === false && node.className !== 'InputLayer' ? { ...config, trainable: false } : config };
}

/** `modelName` is the Keras model's own name ('sequential', 'model'), not the file stem. */
export function kerasModelConfig(graph: ModelGraph, modelName?: string): Record<string, unknown> {
  if (isSequentialChain(graph)) {
    return {
      class_name: 'Sequential',
      config: { name: modelName ?? 'sequential', layers: graph.layers.map((_l, i) => layerEntry(graph, i)) },
    };
  }
  return {
    class_name: 'Functional',
    config: {
      name: modelName ?? 'model',
      layers: graph.layers.map((l, i) => ({
        ...layerEntry(graph, i),
        name: l.name,
        inbound_nodes: l.inbound.length === 0 ? [] : [l.inbound.map((src) => [src, 0, 0, {}])],
      })),
      input_layers: graph.inputs.map((n) => [n, 0, 0]),
      output_layers: graph.outputs.map((n) => [n, 0, 0]),
    },
  };
}
