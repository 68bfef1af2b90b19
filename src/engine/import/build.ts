/**
 * ImportedModel (Keras JSON + weights by layer) → the engine's ModelGraph: flattens the
 * topology, refuses every unsupported layer at once (name, class, the supported list), lets
 * each layer's kind parse its config and infer shapes, and matches the stored weights to the
 * kind's weight specs, by name where the format stores names (never by position: a nested
 * model's weight_names list its trainable weights first and the non-trainable ones after)
 * and in Keras 3's own order where it does not. Every weight's shape is checked.
 */
import { BadInputError } from '../errors';
import { analyzeGraph } from '../graph/analyze';
import type { LayerNode, ModelGraph, Shape, WeightTensor } from '../graph/types';
import { kerasActivationsOf } from '../layers/common/activations';
import type { WeightSpec } from '../layers/kind';
import { canonicalClassName, kindOf, supportedClassNames } from '../layers/registry';
import { flattenTopology } from './topology';
import type { ImportedModel, RawWeight } from './types';

/** Names other Keras versions give a weight the engine knows by another name. */
const WEIGHT_ALIASES: Record<string, readonly string[]> = {
  // Keras 3's DepthwiseConv2D calls its kernel 'kernel'.
  depthwise_kernel: ['kernel'],
};

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function matchWeights(specs: WeightSpec[], raw: RawWeight[], where: string, file: string): WeightTensor[] {
  const fail = (problem: string): never => {
    throw new BadInputError(`${file}: ${where}: ${problem}. The file's model config and its weights disagree: save the model again from Keras or tfjs-layers.`, file);
  };
  const named = raw.length > 0 && raw.every((r) => r.name !== undefined);
  const picked: RawWeight[] = [];
  if (named) {
    const left = new Set(raw);
    for (const spec of specs) {
      const names = [spec.name, ...(WEIGHT_ALIASES[spec.name] ?? [])];
      const hit = names.map((n) => raw.find((r) => left.has(r) && r.name === n)).find((r) => r !== undefined);
      if (!hit) {
        return fail(`its weight '${spec.name}' ${shapeText(spec.shape)} is not in the file (it has ${raw.map((r) => `'${r.name}'`).join(', ') || 'none'})`);
      }
      left.delete(hit);
      picked.push(hit);
    }
    if (left.size) {
      fail(`the file has weights the layer's config does not use: ${[...left].map((r) => `'${r.source}' ${shapeText(r.shape)}`).join(', ')} (e.g. use_bias or center/scale differ)`);
    }
  } else {
    // Keras 3 stores a layer's variables as vars/0, vars/1, …: trainable first, then non-trainable.
    const order = [...specs.filter((s) => s.trainable), ...specs.filter((s) => !s.trainable)];
    if (raw.length !== specs.length) {
      fail(`the file has ${raw.length} weight(s) for it, its config needs ${specs.length} (${specs.map((s) => s.name).join(', ') || 'none'})`);
    }
    order.forEach((s, i) => (picked[specs.indexOf(s)] = raw[i]));
  }
  return specs.map((spec, i) => {
    const r = picked[i];
    if (!sameShape(r.shape, spec.shape)) {
      fail(`weight '${spec.name}' (${r.source}) has shape ${shapeText(r.shape)} but the layer's config needs ${shapeText(spec.shape)}`);
    }
    return { name: spec.name, shape: [...spec.shape], data: r.data, trainable: spec.trainable };
  });
}

/** Refuses, in one message, every layer the engine has no kind for. */
export function checkSupported(layers: { path: string[]; className: string }[], file: string): void {
  const bad = layers.filter((l) => canonicalClassName(l.className) === null);
  if (bad.length === 0) {
    return;
  }
  const list = bad.map((l) => `'${l.path.join('/')}' (${l.className})`).join(', ');
  throw new BadInputError(
    `${file}: ${bad.length === 1 ? 'layer' : `${bad.length} layers`} ${list} ${bad.length === 1 ? 'is' : 'are'} not supported. Supported layers: ${supportedClassNames().join(', ')}. Replace ${bad.length === 1 ? 'it' : 'them'} with supported layers (or remove ${bad.length === 1 ? 'it' : 'them'} before export, e.g. preprocessing) and save the model again.`,
    file,
  );
}

/** Builds the ModelGraph named `name` from an importer's output. */
export function buildGraph(imported: ImportedModel, name: string): ModelGraph {
  const file = imported.file;
  const flat = flattenTopology(imported.topology, file);
  checkSupported(flat.layers, file);
  const shapes = new Map<string, Shape>();
  const used = new Set<string>();
  const layers: LayerNode[] = [];
  for (const l of flat.layers) {
    const className = canonicalClassName(l.className) as string;
    const kind = kindOf(className, l.name);
    const where = `layer '${l.path.join('/')}' (${l.className})`;
    const config = kind.parseConfig(kerasActivationsOf(l.config, imported.kerasMajor), where);
    const inputShapes = l.inbound.map((n) => shapes.get(n) as Shape);
    shapes.set(l.name, kind.outputShape(config, inputShapes));
    const key = l.path.join('/');
    const raw = imported.weights.get(key) ?? [];
    used.add(key);
    const weights = matchWeights(kind.weightSpecs(config, inputShapes), raw, where, file);
    const modelPath = l.path.slice(0, -1);
    layers.push({ name: l.name, className, config, inbound: l.inbound, weights, ...(l.trainable ? {} : { trainable: false }), ...(modelPath.length ? { modelPath } : {}) });
  }
  const orphans = [...imported.weights.entries()].filter(([k, w]) => !used.has(k) && w.length > 0);
  if (orphans.length) {
    throw new BadInputError(
      `${file}: the file has weights for ${orphans.map(([k]) => `'${k}'`).join(', ')}, which the model config does not contain. Save the model again from Keras or tfjs-layers.`,
      file,
    );
  }
  const graph: ModelGraph = { name, layers, inputs: flat.inputs, outputs: flat.outputs };
  // The engine's own check of the finished graph (names, order, shapes, weights).
  analyzeGraph(graph);
  return graph;
}
