/**
 * The data's normalisation built into exported models, so a file takes the values as read from
 * the data files (raw pixels 0…255, raw CSV measurements) instead of the normalised values the
 * engine trains on (issue 11). The engine keeps training the plain graph on normalised data;
 * each writer gets `withInputNormalization(graph, …)`: the same graph with layers named
 * `input_normalization…` right after its input computing
 *   input[f] = (raw[f] − mean[f mod k]) / std[f mod k]            (data/dataset.ts Normalization)
 *
 * - k = 1 (scale, minus1to1, a scalar mean/std): Keras `Rescaling(scale = 1/std, offset = −mean/std)`,
 *   which Keras, tfjs-layers and the TFLite exporter all know (full-int8 files may fold it into
 *   the input quantization).
 * - per channel / per feature, Keras form (.h5, TFLite): Keras `Normalization(axis, mean, variance = std²)`.
 * - per channel / per feature, TF.js form: tfjs-layers 4.22 has no Normalization class, so stock
 *   `tf.loadLayersModel` could not read it. The same map is written as a frozen
 *   BatchNormalization (moving_mean = mean, gamma = 1/std, beta = 0, moving_variance = 1 − ε
 *   with ε = 2⁻¹⁰, so that √(moving_variance + ε) is exactly 1 in float32), between two
 *   Reshapes when the statistics vary along more than the last axis.
 *
 * When the engine reads one of its own files back (prune after train, quantize, `--model` of a
 * file it wrote), `stripInputNormalization` removes those layers after checking that they
 * compute the current data's normalisation, so training never normalises twice.
 */
import { BadInputError } from '../errors';
import type { Normalization } from '../data/dataset';
import type { DataSource } from '../../protocol/config';
import { analyzeGraph } from '../graph/analyze';
import { predictGraph } from '../graph/forward';
import type { LayerNode, ModelGraph, Shape } from '../graph/types';

/** Name (and name prefix) of the layers this module adds. */
export const INPUT_NORMALIZATION = 'input_normalization';

/** Which layer classes spell a per-channel map: Keras' Normalization, or a frozen BatchNormalization for TF.js. */
export type NormalizationForm = 'keras' | 'tfjs';

/** ε of the frozen BatchNormalization: 1 − 2⁻¹⁰ and (1 − 2⁻¹⁰) + 2⁻¹⁰ are exact in float32. */
const BN_EPSILON = 2 ** -10;

/** True when the normalisation changes nothing (data.normalize "none"). */
export function isIdentityNormalization(norm: Normalization): boolean {
  return norm.mean.every((m) => m === 0) && norm.std.every((s) => s === 1);
}

/** Whether exported files get the normalisation built in (output.includeNormalization, default by source). */
export function includesNormalization(setting: boolean | undefined, source: DataSource, norm: Normalization): boolean {
  if (isIdentityNormalization(norm)) {
    return false;
  }
  return setting ?? !(source === 'mnist' || source === 'idx');
}

const fmt = (v: number): string => String(Number(v.toPrecision(6)));

/** The normalisation as a formula, e.g. "x / 255", "(x − 127.5) / 127.5", "per channel (x − mean[c]) / std[c]". */
export function normalizationFormula(norm: Normalization): string {
  if (norm.mean.length === 1) {
    const m = norm.mean[0];
    const s = norm.std[0];
    const num = m === 0 ? 'x' : `(x − ${fmt(m)})`;
    return s === 1 ? num : `${num} / ${fmt(s)}`;
  }
  return `(x − mean[i]) / std[i] with ${norm.mean.length} values per ${norm.kind === 'standardize' ? 'feature (training-split statistics)' : 'channel or feature'}`;
}

/** What the exported files take as input, in words (run record, comparison.md, logs). */
export function exportInputDescription(norm: Normalization, included: boolean): string {
  if (isIdentityNormalization(norm)) {
    return 'raw values as read from the data files (data.normalize "none")';
  }
  return included
    ? `raw values as read from the data files: the normalisation ${normalizationFormula(norm)} is built into each file`
    : `normalised values: ${normalizationFormula(norm)} (data.normalize "${norm.kind === 'meanStd' ? '{mean, std}' : norm.kind}"), applied before calling the model`;
}

/** mean/std for each of `features` model-input values (f mod k). */
function perFeature(norm: Normalization, features: number): { mean: number[]; std: number[] } {
  const k = norm.mean.length;
  if (features % k !== 0) {
    throw new BadInputError(`The normalisation has ${k} values per sample group but the model takes ${features} input values, which ${k} does not divide.`, 'data.normalize');
  }
  return { mean: Array.from({ length: features }, (_, f) => norm.mean[f % k]), std: Array.from({ length: features }, (_, f) => norm.std[f % k]) };
}

/** The layers computing `norm` on an input of per-sample shape `shape`, reading `from`. */
export function normalizationLayers(norm: Normalization, shape: Shape, from: string, form: NormalizationForm): LayerNode[] {
  const features = shape.reduce((a, b) => a * b, 1);
  const name = INPUT_NORMALIZATION;
  if (norm.mean.length === 1) {
    return [{ name, className: 'Rescaling', config: { scale: 1 / norm.std[0], offset: -norm.mean[0] / norm.std[0] }, inbound: [from], weights: [] }];
  }
  const last = shape[shape.length - 1];
  // One value per last-axis position (per channel of an image, per column of a row) when f mod k = f mod last;
  // anything else is spelled out per feature.
  const perLast = last === norm.mean.length;
  const stats = perLast ? { mean: [...norm.mean], std: [...norm.std] } : perFeature(norm, features);
  if (form === 'keras') {
    const axis = perLast || shape.length === 1 ? [-1] : shape.map((_d, i) => i + 1);
    const statsShape = perLast || shape.length === 1 ? [stats.mean.length] : [...shape];
    return [{ name, className: 'Normalization', config: { axis, mean: stats.mean, variance: stats.std.map((s) => s * s), statsShape }, inbound: [from], weights: [] }];
  }
  const n = stats.mean.length;
  const bn = (inbound: string): LayerNode => ({
    name,
    className: 'BatchNormalization',
    config: { axis: -1, momentum: 0.99, epsilon: BN_EPSILON, center: true, scale: true },
    inbound: [inbound],
    weights: [
      { name: 'gamma', shape: [n], data: Float32Array.from(stats.std, (s) => 1 / s), trainable: false },
      { name: 'beta', shape: [n], data: new Float32Array(n), trainable: false },
      { name: 'moving_mean', shape: [n], data: Float32Array.from(stats.mean), trainable: false },
      { name: 'moving_variance', shape: [n], data: new Float32Array(n).fill(1 - BN_EPSILON), trainable: false },
    ],
  });
  if (perLast || shape.length === 1) {
    return [bn(from)];
  }
  return [
    { name: `${name}_flatten`, className: 'Reshape', config: { targetShape: [features] }, inbound: [from], weights: [] },
    bn(`${name}_flatten`),
    { name: `${name}_reshape`, className: 'Reshape', config: { targetShape: [...shape] }, inbound: [name], weights: [] },
  ];
}

/** `graph` with `norm` computed right after its input (a new graph; the layers after it are shared, not copied). */
export function withInputNormalization(graph: ModelGraph, norm: Normalization, form: NormalizationForm): ModelGraph {
  if (isIdentityNormalization(norm)) {
    return graph;
  }
  if (graph.inputs.length !== 1) {
    throw new BadInputError(`Cannot build the input normalisation into ${graph.name}: it has ${graph.inputs.length} inputs. Set output.includeNormalization to false.`, 'output.includeNormalization');
  }
  if (graph.layers.some((l) => l.name.startsWith(INPUT_NORMALIZATION))) {
    throw new BadInputError(`${graph.name} already has a layer named ${INPUT_NORMALIZATION}…: its input normalisation is built in already. Set output.includeNormalization to false, or rename that layer.`, 'output.includeNormalization');
  }
  const input = graph.inputs[0];
  const shape = analyzeGraph(graph).inputShape;
  const added = normalizationLayers(norm, shape, input, form);
  const out = added[added.length - 1].name;
  const rest = graph.layers.filter((l) => l.name !== input).map((l) => (l.inbound.includes(input) ? { ...l, inbound: l.inbound.map((n) => (n === input ? out : n)) } : l));
  const inputNode = graph.layers.find((l) => l.name === input)!;
  return { ...graph, layers: [inputNode, ...added, ...rest], outputs: graph.outputs.map((o) => (o === input ? out : o)) };
}

/** The `input_normalization…` layers right after the input (a chain, each read only by the next), in order. */
function normalizationChain(graph: ModelGraph): LayerNode[] {
  if (graph.inputs.length !== 1) {
    return [];
  }
  const chain: LayerNode[] = [];
  let from = graph.inputs[0];
  for (;;) {
    const readers = graph.layers.filter((l) => l.inbound.includes(from));
    if (readers.length !== 1 || readers[0].inbound.length !== 1 || !readers[0].name.startsWith(INPUT_NORMALIZATION) || graph.outputs.includes(from)) {
      return chain;
    }
    chain.push(readers[0]);
    from = readers[0].name;
  }
}

/** True when `graph` starts with the layers `withInputNormalization` adds (it takes raw values). */
export function hasInputNormalization(graph: ModelGraph): boolean {
  return normalizationChain(graph).length > 0;
}

/** The affine map y = a·x + b per input value that the chain computes, measured on two probe rows (x = 0, x = 1). */
function measuredMap(graph: ModelGraph, chain: LayerNode[]): { a: Float32Array; b: Float32Array } {
  const input = graph.layers.find((l) => l.name === graph.inputs[0])!;
  const sub: ModelGraph = { name: `${graph.name}_input_normalization`, layers: [input, ...chain], inputs: [input.name], outputs: [chain[chain.length - 1].name] };
  const g = analyzeGraph(sub);
  const n = g.inputShape.reduce((p, d) => p * d, 1);
  const probe = new Float32Array(2 * n);
  probe.fill(1, n);
  const y = predictGraph(g, probe, 2);
  const b = y.slice(0, n);
  const a = Float32Array.from(b, (v, i) => y[n + i] - v);
  return { a, b };
}

/**
 * `graph` without its `input_normalization…` layers (unchanged when it has none). With `expected`,
 * the layers must compute that normalisation (within float32 rounding), else the file was made
 * for differently normalised data: BadInputError naming both.
 */
export function stripInputNormalization(graph: ModelGraph, expected: Normalization | null, where: string): { graph: ModelGraph; stripped: boolean } {
  const chain = normalizationChain(graph);
  if (chain.length === 0) {
    return { graph, stripped: false };
  }
  if (expected) {
    const { a, b } = measuredMap(graph, chain);
    const want = perFeature(expected, a.length);
    const bad = Array.from(a).findIndex((ai, f) => {
      const wa = 1 / want.std[f];
      const wb = -want.mean[f] / want.std[f];
      return Math.abs(ai - wa) > 1e-4 * Math.abs(wa) + 1e-6 || Math.abs(b[f] - wb) > 1e-4 * (Math.abs(wb) + Math.abs(wa)) + 1e-6;
    });
    if (bad >= 0) {
      throw new BadInputError(
        `${where} has the input normalisation y = ${fmt(a[bad])}·x + ${fmt(b[bad])} built in (input value ${bad}), but the data is normalised as ${normalizationFormula(expected)} (data.normalize), ` +
          `which gives y = ${fmt(1 / want.std[bad])}·x + ${fmt(-want.mean[bad] / want.std[bad])}. Use the data.normalize setting the model was trained with.`,
        where,
      );
    }
  }
  const names = new Set(chain.map((l) => l.name));
  const input = graph.inputs[0];
  const last = chain[chain.length - 1].name;
  const layers = graph.layers.filter((l) => !names.has(l.name)).map((l) => (l.inbound.includes(last) ? { ...l, inbound: l.inbound.map((n) => (n === last ? input : n)) } : l));
  return { graph: { ...graph, layers }, stripped: true };
}
