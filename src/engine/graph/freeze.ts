/**
 * `train.freeze`: which layers keep their weights while a run trains (Keras' `trainable = False`).
 *
 * Real transfer-learning files (Teachable Machine, keras.applications bases saved after
 * fine-tuning) usually say `trainable: true` everywhere, so the user picks what to freeze:
 *   null               the file's / config's own `trainable` flags (default);
 *   "none"             train every layer, whatever the file says;
 *   ["a", "model1"]    these layers, and every layer of these nested models, on top of the
 *                      file's flags (a nested model is named as in Keras: 'model1', 'sequential_1');
 *   {"upTo": "x"}      layer (or nested model) x and every layer it reads from, i.e. the whole
 *                      base under x — in a Sequential stack, everything up to and including x.
 * An unknown name is a BadInputError listing the names the model has.
 */
import type { FreezeSpec } from '../../protocol/config';
import type { FrozenRecord } from '../../protocol/engine';
import type { FeatureCacheInfo } from '../train/trainer';
import { BadInputError } from '../errors';
import { didYouMean } from '../config/validate';
import { isTrainableLayer, type LayerNode, type ModelGraph } from './types';

export type { FreezeSpec };

/** The nested models' names (outermost first) and the layer names a freeze may name. */
export function freezableNames(graph: ModelGraph): { models: string[]; layers: string[] } {
  const models: string[] = [];
  for (const l of graph.layers) {
    for (const m of l.modelPath ?? []) {
      if (!models.includes(m)) {
        models.push(m);
      }
    }
  }
  return { models, layers: graph.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.name) };
}

function unknownName(graph: ModelGraph, name: string, where: string): BadInputError {
  const { models, layers } = freezableNames(graph);
  const guess = didYouMean(name, [...models, ...layers]);
  const modelText = models.length ? `its nested models are ${models.map((m) => `"${m}"`).join(', ')}; ` : '';
  return new BadInputError(
    `${where} names "${name}", which is neither a layer nor a nested model of '${graph.name}'.${guess ? ` Did you mean "${guess}"?` : ''} ` +
      `${modelText}its layers are ${layers.map((n) => `"${n}"`).join(', ')}. Use those names (or "none" to train every layer).`,
    where,
  );
}

/** The layers a name stands for: the layer itself, or every layer of the nested model of that name. */
function layersNamed(graph: ModelGraph, name: string): LayerNode[] {
  const own = graph.layers.filter((l) => l.name === name && l.className !== 'InputLayer');
  return own.length ? own : graph.layers.filter((l) => l.className !== 'InputLayer' && (l.modelPath ?? []).includes(name));
}

/** `targets` and every layer they read from, directly or not. */
function withAncestors(graph: ModelGraph, targets: LayerNode[]): Set<string> {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const out = new Set<string>();
  const stack = targets.map((t) => t.name);
  while (stack.length) {
    const n = stack.pop() as string;
    if (out.has(n)) {
      continue;
    }
    const l = byName.get(n);
    if (l && l.className !== 'InputLayer') {
      out.add(n);
      stack.push(...l.inbound);
    }
  }
  return out;
}

/** The names of the layers `spec` freezes (without the file's own flags); throws on an unknown name. */
export function frozenBySpec(graph: ModelGraph, spec: FreezeSpec, where = 'train.freeze'): Set<string> {
  if (spec === null || spec === 'none') {
    return new Set();
  }
  if (Array.isArray(spec)) {
    const out = new Set<string>();
    spec.forEach((name, i) => {
      const hit = layersNamed(graph, name);
      if (!hit.length) {
        throw unknownName(graph, name, `${where}[${i}]`);
      }
      hit.forEach((l) => out.add(l.name));
    });
    return out;
  }
  const hit = layersNamed(graph, spec.upTo);
  if (!hit.length) {
    throw unknownName(graph, spec.upTo, `${where}.upTo`);
  }
  return withAncestors(graph, hit);
}

/**
 * A copy of `graph` (weights shared, not copied) with `trainable` set as `spec` says.
 * Weightless layers are marked too, so a frozen nested model reads as frozen throughout.
 */
export function applyFreeze(graph: ModelGraph, spec: FreezeSpec, where = 'train.freeze'): ModelGraph {
  if (spec === null) {
    return graph;
  }
  const frozen = frozenBySpec(graph, spec, where);
  const layers = graph.layers.map((l): LayerNode => {
    const freeze = spec === 'none' ? false : frozen.has(l.name) || !isTrainableLayer(l);
    const copy: LayerNode = { ...l, trainable: false };
    if (!freeze) {
      delete copy.trainable;
    }
    return copy;
  });
  return { ...graph, layers };
}

/** "12 of 158 layers frozen (2 257 984 of 2 259 265 weights)": for logs. */
export function describeFreeze(graph: ModelGraph): string | null {
  const frozen = graph.layers.filter((l) => !isTrainableLayer(l) && l.className !== 'InputLayer');
  if (!frozen.length) {
    return null;
  }
  const count = (ls: LayerNode[]): number => ls.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0);
  return `${frozen.length} of ${graph.layers.filter((l) => l.className !== 'InputLayer').length} layers frozen (${count(frozen)} of ${count(graph.layers)} weights keep their values)`;
}

/** Frozen layers with weights and their weight count (for run records). */
export function frozenCounts(graph: ModelGraph): { layers: number; weights: number } {
  const frozen = graph.layers.filter((l) => !isTrainableLayer(l) && l.weights.length > 0);
  return { layers: frozen.length, weights: frozen.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0) };
}

/** The run record's `frozen` entry of a stage that trained `graph`, or nothing without frozen layers. */
export function frozenRecord(graph: ModelGraph, featureCache: FeatureCacheInfo | undefined): { frozen?: FrozenRecord } {
  const c = frozenCounts(graph);
  return c.layers === 0 ? {} : { frozen: { ...c, featureCache: featureCache ?? null } };
}
