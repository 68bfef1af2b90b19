/**
 * What reports say about a graph: per-layer rows (name, type, output shape, params,
 * non-zeros, MACs) and their totals, all asked of each layer's kind.
 */
import type { AnalyzedGraph } from './analyze';
import type { ModelGraph, WeightTensor } from './types';

export interface LayerRow {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
  nonZeros: number;
  macs: number;
  /** Zeros ÷ values over the layer's prunable kernels; null when it has none. */
  kernelSparsity: number | null;
}

export function countNonZeros(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) {
      n++;
    }
  }
  return n;
}

export function layerTable(g: AnalyzedGraph): LayerRow[] {
  return g.layers.map((l) => {
    const prunable = l.node.weights.filter((w) => l.kind.prunable.includes(w.name));
    const kernelValues = prunable.reduce((n, w) => n + w.data.length, 0);
    const kernelNonZeros = prunable.reduce((n, w) => n + countNonZeros(w.data), 0);
    return {
      name: l.node.name,
      type: l.node.className,
      outputShape: l.outputShape,
      params: l.node.weights.reduce((n, w) => n + w.data.length, 0),
      nonZeros: l.node.weights.reduce((n, w) => n + countNonZeros(w.data), 0),
      macs: l.kind.macs(l.node.config, l.inputShapes, l.outputShape),
      kernelSparsity: kernelValues === 0 ? null : 1 - kernelNonZeros / kernelValues,
    };
  });
}

export function graphParamCount(graph: ModelGraph): number {
  return graph.layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0);
}

export function totalMacs(g: AnalyzedGraph): number {
  return g.layers.reduce((n, l) => n + l.kind.macs(l.node.config, l.inputShapes, l.outputShape), 0);
}

/** A deep copy (weights copied) under a new name. */
export function cloneGraph(graph: ModelGraph, name = graph.name): ModelGraph {
  const copyW = (w: WeightTensor): WeightTensor => ({ ...w, shape: [...w.shape], data: w.data.slice() });
  return {
    name,
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
    layers: graph.layers.map((l) => ({ ...l, config: structuredClone(l.config), inbound: [...l.inbound], weights: l.weights.map(copyW) })),
  };
}
