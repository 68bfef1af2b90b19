/**
 * Building a fresh ModelGraph from a list of layers (config-defined models, the reference
 * MLP): Keras' auto-naming ('conv2d', 'conv2d_1', 'max_pooling2d', …), configs parsed by
 * each kind, shapes inferred and weights initialised in layer order from `seed`.
 */
import { Rng } from '../util/random';
import { kindOf, canonicalClassName } from '../layers/registry';
import { layerWhere } from '../layers/common/config';
import { analyzeGraph, atLayer } from './analyze';
import { initWeight } from './init';
import type { LayerNode, ModelGraph, Shape } from './types';

/** Keras' to_snake_case of a class name: 'Conv2D' → 'conv2d', 'MaxPooling2D' → 'max_pooling2d', 'ReLU' → 're_lu'. */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Hands out Keras-style unique names per class: the first 'dense', then 'dense_1', … */
export class LayerNamer {
  private readonly counts = new Map<string, number>();
  private readonly used = new Set<string>();

  reserve(name: string): void {
    this.used.add(name);
  }

  next(className: string): string {
    const base = kerasSnakeCase(className);
    for (;;) {
      const k = this.counts.get(base) ?? 0;
      this.counts.set(base, k + 1);
      const name = k === 0 ? base : `${base}_${k}`;
      if (!this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
  }
}

export interface LayerDef {
  className: string;
  /** Keras- or TF.js-style config (snake_case or camelCase). */
  config: Record<string, unknown>;
  name?: string;
  /** Keras' `trainable` (absent = true). */
  trainable?: boolean;
}

/**
 * A Sequential model: an InputLayer of `inputShape` (named `inputName`, default
 * '<first layer>_input' as Keras names a Sequential's input) then `defs` in order.
 */
export function buildSequential(name: string, inputShape: Shape, defs: LayerDef[], seed: number, inputName?: string): ModelGraph {
  const namer = new LayerNamer();
  for (const d of defs) {
    if (d.name !== undefined) {
      namer.reserve(d.name);
    }
  }
  const layerNames = defs.map((d) => d.name ?? namer.next(canonicalClassName(d.className) ?? d.className));
  const input: LayerNode = {
    name: inputName ?? `${layerNames[0] ?? 'input'}_input`,
    className: 'InputLayer',
    config: kindOf('InputLayer').parseConfig({ batch_input_shape: [null, ...inputShape] }, 'model input'),
    inbound: [],
    weights: [],
  };
  const layers: LayerNode[] = [input];
  defs.forEach((d, i) => {
    const className = canonicalClassName(d.className) ?? d.className;
    const kind = kindOf(className, layerNames[i]);
    const config = kind.parseConfig(d.config, layerWhere(layerNames[i], className));
    layers.push({ name: layerNames[i], className, config, inbound: [layers[layers.length - 1].name], weights: [], ...(d.trainable === false ? { trainable: false } : {}) });
  });
  const graph: ModelGraph = { name, layers, inputs: [input.name], outputs: [layers[layers.length - 1].name] };
  return initGraphWeights(graph, seed);
}

/** Gives every layer fresh weights (in layer order, one stream from `seed`); returns the same graph. */
export function initGraphWeights(graph: ModelGraph, seed: number): ModelGraph {
  const rng = new Rng(seed);
  const a = analyzeGraph(graph, { checkWeights: false });
  for (const l of a.layers) {
    l.node.weights = atLayer(l.node, () => l.specs.map((s) => initWeight(s, rng)));
  }
  return graph;
}
