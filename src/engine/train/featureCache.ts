/**
 * The frozen-prefix feature cache of transfer learning: when the layers a model starts with
 * cannot change during training — frozen (or weightless) and deterministic in training: a
 * frozen BatchNormalization runs in inference mode, no active Dropout — and they end in one
 * tensor that feeds everything that trains, that tensor is the same every epoch for a given
 * sample. It is computed once per data set and only the rest (the "head") runs each step.
 * For Teachable Machine's MobileNetV2 with the base frozen, the prefix ends at the global
 * average pooling (1280 values per sample) and a step is the two Dense layers only.
 *
 * Keras does not do this by itself (its fit runs the frozen base every step); it is what its
 * transfer-learning guide does by hand ("run the base once, train the head on its output"),
 * done automatically and only where it gives the same result.
 */
import { analyzeGraph, type AnalyzedGraph, type AnalyzedLayer } from '../graph/analyze';
import { layerTraining } from '../graph/forward';
import { isTrainableLayer, type LayerNode, type ModelGraph, type Shape } from '../graph/types';
import { kindOf } from '../layers/registry';

export interface FeatureCachePlan {
  /** The layer whose output is cached; the head's InputLayer takes its name. */
  boundary: string;
  featureShape: Shape;
  /** Values per sample. */
  featureSize: number;
  /** The frozen prefix: the model's input → `boundary`. */
  prefix: AnalyzedGraph;
  /** The trainable rest, reading `boundary` as its input; its nodes are the model's own. */
  head: AnalyzedGraph;
  /** Index of every layer in the whole model (Dropout seeds stay those of the whole model). */
  layerIndex: ReadonlyMap<string, number>;
}

/** Whether a layer's output cannot change in training: no weight that trains, and the same computation in training as in inference. */
function isConstantLayer(l: AnalyzedLayer): boolean {
  const trains = isTrainableLayer(l.node) && l.node.weights.some((w) => w.trainable);
  return !trains && !(l.kind.trainingDiffers === true && layerTraining(l, true));
}

/** The plan, or why there is none (null reason = no frozen layers at all, nothing to say). */
export function planFeatureCache(g: AnalyzedGraph): { plan: FeatureCachePlan } | { reason: string | null } {
  if (!g.layers.some((l) => !isTrainableLayer(l.node) && l.node.weights.length > 0)) {
    return { reason: null };
  }
  if (!g.layers.some((l) => isTrainableLayer(l.node) && l.node.weights.some((w) => w.trainable))) {
    return { reason: 'every layer is frozen: nothing would train' };
  }
  const constant = new Set<string>();
  for (const l of g.layers) {
    if (l.node.className === 'InputLayer' || (l.node.inbound.every((n) => constant.has(n)) && isConstantLayer(l))) {
      constant.add(l.node.name);
    }
  }
  const output = g.graph.outputs[0];
  if (constant.has(output)) {
    return { reason: 'every layer is frozen: nothing would train' };
  }
  const boundaries = [...new Set(g.layers.filter((l) => !constant.has(l.node.name)).flatMap((l) => l.node.inbound.filter((n) => constant.has(n))))];
  if (boundaries.length !== 1) {
    return { reason: `the frozen layers feed the trainable ones through ${boundaries.length} tensors (${boundaries.join(', ')}), not one` };
  }
  const boundary = boundaries[0];
  const b = g.byName.get(boundary) as AnalyzedLayer;
  if (b.node.className === 'InputLayer') {
    const first = g.layers.find((l) => l.node.inbound.includes(boundary) && !constant.has(l.node.name));
    const why = first && !isConstantLayer(first) && isTrainableLayer(first.node) ? 'trains' : 'is not deterministic in training (an active Dropout or BatchNormalization)';
    return { reason: `the model's first layer '${first?.node.name ?? '?'}' ${why}, so there is no frozen base to compute once` };
  }
  // The prefix: the boundary and everything it reads from.
  const needed = new Set<string>();
  const stack = [boundary];
  while (stack.length) {
    const n = stack.pop() as string;
    if (!needed.has(n)) {
      needed.add(n);
      stack.push(...(g.byName.get(n) as AnalyzedLayer).node.inbound);
    }
  }
  const prefixGraph: ModelGraph = { name: `${g.graph.name}_base`, layers: g.layers.filter((l) => needed.has(l.node.name)).map((l) => l.node), inputs: [...g.graph.inputs], outputs: [boundary] };
  const input: LayerNode = {
    name: boundary,
    className: 'InputLayer',
    config: kindOf('InputLayer').parseConfig({ batch_input_shape: [null, ...b.outputShape] }, `head input '${boundary}'`),
    inbound: [],
    weights: [],
  };
  const headGraph: ModelGraph = { name: `${g.graph.name}_head`, layers: [input, ...g.layers.filter((l) => !constant.has(l.node.name)).map((l) => l.node)], inputs: [boundary], outputs: [output] };
  return {
    plan: {
      boundary,
      featureShape: [...b.outputShape],
      featureSize: b.outputShape.reduce((x, y) => x * y, 1),
      prefix: analyzeGraph(prefixGraph),
      head: analyzeGraph(headGraph),
      layerIndex: new Map(g.layers.map((l, i) => [l.node.name, i])),
    },
  };
}
