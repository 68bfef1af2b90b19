/**
 * Shared by the layer-kind and graph tests: one-layer graphs with random weights, and the
 * same graph loaded into stock tfjs-layers (from our Keras topology) as the reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initGraphWeights } from '../../src/engine/graph/build';
import { kerasModelConfig } from '../../src/engine/graph/kerasTopology';
import type { LayerNode, ModelGraph, Shape } from '../../src/engine/graph/types';
import { kindOf } from '../../src/engine/layers/registry';
import { Rng } from '../../src/engine/util/random';

/** A graph: InputLayer 'x' of `inputShape`, then the given nodes (configs parsed by their kinds). */
export function graphOf(inputShape: Shape, nodes: { name: string; className: string; config: Record<string, unknown>; inbound: string[] }[], seed = 1): ModelGraph {
  const layers: LayerNode[] = [
    { name: 'x', className: 'InputLayer', config: kindOf('InputLayer').parseConfig({ batch_input_shape: [null, ...inputShape] }, 'x'), inbound: [], weights: [] },
    ...nodes.map((n) => ({ name: n.name, className: n.className, config: kindOf(n.className).parseConfig(n.config, n.name), inbound: n.inbound, weights: [] })),
  ];
  const g: ModelGraph = { name: 'm', layers, inputs: ['x'], outputs: [layers[layers.length - 1].name] };
  initGraphWeights(g, seed);
  // Random values everywhere (biases, BN statistics too), so no weight is trivially 0 or 1.
  const rng = new Rng(seed + 100);
  for (const l of g.layers) {
    for (const w of l.weights) {
      for (let i = 0; i < w.data.length; i++) {
        w.data[i] = w.name === 'moving_variance' ? rng.uniform(0.2, 2) : w.name === 'gamma' ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5);
      }
    }
  }
  return g;
}

export function randomInput(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

/** Loads `g` into tfjs-layers through its Keras topology and sets the same weights. */
export async function toTfjsLayers(g: ModelGraph): Promise<tfl.LayersModel> {
  const model = await tfl.models.modelFromJSON({ modelTopology: { model_config: kerasModelConfig(g) } } as never);
  for (const l of g.layers) {
    if (l.weights.length) {
      model.getLayer(l.name).setWeights(l.weights.map((w) => tf.tensor(w.data, w.shape)));
    }
  }
  return model;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}
