/**
 * The generic forward pass of a ModelGraph with tfjs-core ops: layers in topological order,
 * each asking its kind. Trainers pass their variables as the weights; inference passes
 * tensors made from the graph's WeightTensors (`graphWeightTensors`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AnalyzedGraph, AnalyzedLayer } from './analyze';
import { isTrainableLayer, type LayerNode } from './types';

export interface GraphForwardOptions {
  training?: boolean;
  /** Seed for Dropout; each layer gets seed + its index, so masks differ between layers. */
  seed?: number;
  /** Receives BatchNormalization's new moving statistics in training (the receiver owns `value`). */
  update?: (node: LayerNode, weightName: string, value: tf.Tensor) => void;
  /**
   * Each layer's index in the whole model, when `g` is a part of it (a cached base's head):
   * Dropout seeds are then those the whole model's pass would use. Default: the index in `g`.
   */
  layerIndex?: ReadonlyMap<string, number>;
}

/** Whether `l` runs in training mode in a training pass: a frozen BatchNormalization does not (Keras ≥ 2.0). */
export function layerTraining(l: Pick<AnalyzedLayer, 'node' | 'kind'>, training: boolean): boolean {
  return training && !(l.kind.inferenceWhenFrozen === true && !isTrainableLayer(l.node));
}

/** Output of the graph's output layer for a batch `x` [batch, ...inputShape]. Intermediates are the caller's to tidy. */
export function forwardGraph(g: AnalyzedGraph, weights: (node: LayerNode) => tf.Tensor[], x: tf.Tensor, opts: GraphForwardOptions = {}): tf.Tensor {
  const training = opts.training ?? false;
  const outs = new Map<string, tf.Tensor>();
  g.layers.forEach((l, i) => {
    const inputs = l.node.inbound.length === 0 ? [x] : l.node.inbound.map((n) => outs.get(n) as tf.Tensor);
    const update = opts.update;
    const ctx = {
      seed: opts.seed === undefined ? undefined : opts.seed + (opts.layerIndex?.get(l.node.name) ?? i),
      update: update ? (name: string, value: tf.Tensor) => update(l.node, name, value) : undefined,
    };
    outs.set(l.node.name, l.kind.forward(l.node.config, weights(l.node), inputs, layerTraining(l, training), ctx));
  });
  return outs.get(g.graph.outputs[0]) as tf.Tensor;
}

/** Tensors of a node's WeightTensors (the caller disposes them). */
export function weightTensors(node: LayerNode): tf.Tensor[] {
  return node.weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
}

/** Inference on a float batch: returns the output's values; all tensors are disposed. */
export function predictGraph(g: AnalyzedGraph, x: Float32Array, batch: number): Float32Array {
  const ws = new Map(g.layers.map((l) => [l.node.name, weightTensors(l.node)]));
  try {
    const out = tf.tidy(() => {
      const input = tf.tensor(x, [batch, ...g.inputShape], 'float32');
      return forwardGraph(g, (n) => ws.get(n.name) as tf.Tensor[], input);
    });
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  } finally {
    for (const t of ws.values()) {
      tf.dispose(t);
    }
  }
}
