/**
 * The graph as the Keras/TF.js writers put it in a file, so that the file computes the same
 * thing in every reader: tf.keras 2.x (the keras_version the writers claim), Keras 3 and
 * stock tfjs-layers.
 *
 * Keras 3 changed `hard_sigmoid` from clip(0.2·x + 0.5, 0, 1) to relu6(x + 3) / 6, and
 * tfjs-layers keeps the Keras 2 function. No activation name means relu6(x + 3) / 6 to
 * every reader, so a layer using it ('hard_sigmoid_keras3', from a Keras 3 file or a config
 * that asks for it) is written as that layer without the activation followed by
 * Rescaling(offset 3) → ReLU(max_value 6) → Rescaling(scale 1/6): layers all three readers
 * (and this engine's TFLite exporter) know, with Keras 3's own order of operations. Every
 * other graph is returned as it is, so existing files stay byte-identical.
 */
import type { LayerNode, ModelGraph } from '../graph/types';

const KERAS3_HARD_SIGMOID = 'hard_sigmoid_keras3';

function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) {
    name = `${base}_${i}`;
  }
  taken.add(name);
  return name;
}

/** Rescaling → ReLU(6) → Rescaling(1/6) after `from`; the last one is named `outName`. They keep `of`'s frozen flag. */
function keras3HardSigmoidLayers(of: LayerNode, from: string, prefix: string, outName: string, taken: Set<string>): LayerNode[] {
  const shift = uniqueName(taken, `${prefix}_shift`);
  const relu6 = uniqueName(taken, `${prefix}_relu6`);
  const frozen = of.trainable === false ? { trainable: false } : {};
  return [
    { name: shift, className: 'Rescaling', config: { scale: 1, offset: 3 }, inbound: [from], weights: [], ...frozen },
    { name: relu6, className: 'ReLU', config: { maxValue: 6, negativeSlope: 0, threshold: 0 }, inbound: [shift], weights: [], ...frozen },
    { name: outName, className: 'Rescaling', config: { scale: 1 / 6, offset: 0 }, inbound: [relu6], weights: [], ...frozen },
  ];
}

/** `graph` with every Keras 3 hard_sigmoid spelled in layers every Keras and tfjs-layers read alike. */
export function portableActivations(graph: ModelGraph): ModelGraph {
  if (!graph.layers.some((l) => l.config.activation === KERAS3_HARD_SIGMOID)) {
    return graph;
  }
  const taken = new Set(graph.layers.map((l) => l.name));
  /** Old output name → the layer that now produces that output. */
  const renamed = new Map<string, string>();
  const layers: LayerNode[] = [];
  for (const node of graph.layers) {
    const inbound = node.inbound.map((n) => renamed.get(n) ?? n);
    if (node.config.activation !== KERAS3_HARD_SIGMOID) {
      layers.push({ ...node, inbound });
    } else if (node.className === 'Activation') {
      // The activation layer itself becomes the three layers; the last keeps its name, so its consumers are unchanged.
      layers.push(...keras3HardSigmoidLayers(node, inbound[0], node.name, node.name, taken));
    } else {
      const out = uniqueName(taken, `${node.name}_hard_sigmoid`);
      layers.push({ ...node, inbound, config: { ...node.config, activation: 'linear' } });
      layers.push(...keras3HardSigmoidLayers(node, node.name, out, out, taken));
      renamed.set(node.name, out);
    }
  }
  return { ...graph, layers, outputs: graph.outputs.map((n) => renamed.get(n) ?? n) };
}
