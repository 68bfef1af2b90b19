/**
 * Checks a ModelGraph and infers every layer's per-sample output shape: names unique,
 * inbound layers earlier in the list, every class known to the registry, every config
 * valid for its inputs, and every weight present with the shape its kind declares.
 * Problems are BadInputErrors naming the layer.
 */
import { BadInputError } from '../errors';
import type { LayerKind, WeightSpec } from '../layers/kind';
import { kindOfNode } from '../layers/registry';
import type { LayerNode, ModelGraph, Shape } from './types';

export interface AnalyzedLayer {
  node: LayerNode;
  kind: LayerKind;
  inputShapes: Shape[];
  outputShape: Shape;
  specs: WeightSpec[];
}

export interface AnalyzedGraph {
  graph: ModelGraph;
  layers: AnalyzedLayer[];
  byName: Map<string, AnalyzedLayer>;
  inputShape: Shape;
  outputShape: Shape;
}

function where(node: LayerNode): string {
  return `layer '${node.name}' (${node.className})`;
}

/** Runs `fn`, prefixing a BadInputError's message with the layer it concerns. */
export function atLayer<T>(node: LayerNode, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError && !err.message.startsWith('layer ')) {
      throw new BadInputError(`${where(node)}: ${err.message}`, err.where ?? where(node));
    }
    throw err;
  }
}

/** Shape inference without weight checks (for building a graph before its weights exist). */
export function analyzeGraph(graph: ModelGraph, opts: { checkWeights?: boolean } = {}): AnalyzedGraph {
  const checkWeights = opts.checkWeights ?? true;
  const byName = new Map<string, AnalyzedLayer>();
  const layers: AnalyzedLayer[] = [];
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new BadInputError(`Model '${graph.name}' has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; only models with one input and one output are supported.`);
  }
  for (const node of graph.layers) {
    if (byName.has(node.name)) {
      throw new BadInputError(`Model '${graph.name}' has two layers named '${node.name}'; layer names must be unique.`);
    }
    const kind = kindOfNode(node);
    const inputShapes = node.inbound.map((n) => {
      const src = byName.get(n);
      if (!src) {
        throw new BadInputError(`${where(node)} takes its input from '${n}', which is not an earlier layer of the model.`);
      }
      return src.outputShape;
    });
    const isInput = node.className === 'InputLayer';
    if (isInput !== (node.inbound.length === 0)) {
      throw new BadInputError(`${where(node)}: ${isInput ? 'an InputLayer has no inbound layers' : 'has no inbound layers; only an InputLayer may start the graph'}.`);
    }
    const outputShape = atLayer(node, () => kind.outputShape(node.config, inputShapes));
    const specs = atLayer(node, () => kind.weightSpecs(node.config, inputShapes));
    if (checkWeights) {
      checkLayerWeights(node, specs);
    }
    const a: AnalyzedLayer = { node, kind, inputShapes, outputShape, specs };
    byName.set(node.name, a);
    layers.push(a);
  }
  const input = byName.get(graph.inputs[0]);
  const output = byName.get(graph.outputs[0]);
  if (!input || input.node.className !== 'InputLayer') {
    throw new BadInputError(`Model '${graph.name}': its input '${graph.inputs[0]}' is not an InputLayer of the model.`);
  }
  if (!output) {
    throw new BadInputError(`Model '${graph.name}': its output '${graph.outputs[0]}' is not a layer of the model.`);
  }
  return { graph, layers, byName, inputShape: input.outputShape, outputShape: output.outputShape };
}

function checkLayerWeights(node: LayerNode, specs: WeightSpec[]): void {
  if (node.weights.length !== specs.length) {
    throw new BadInputError(`${where(node)} has ${node.weights.length} weights (${node.weights.map((w) => w.name).join(', ') || 'none'}); its configuration needs ${specs.length} (${specs.map((s) => s.name).join(', ') || 'none'}).`);
  }
  specs.forEach((s, i) => {
    const w = node.weights[i];
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (w.name !== s.name || w.shape.join(',') !== s.shape.join(',') || w.data.length !== n) {
      throw new BadInputError(`${where(node)}: weight ${i} is '${w.name}' [${w.shape.join(', ')}] with ${w.data.length} values; expected '${s.name}' [${s.shape.join(', ')}].`);
    }
  });
}
