/**
 * 2:4 (generally m:n) structured sparsity of the prunable kernels: in every group of n
 * consecutive weights along the input (reduction) dimension of each output unit, at least m
 * are zero — the layout NVIDIA's sparse tensor cores (Ampere and later) accelerate. Groups run
 * over Dense inputs and over a convolution's input channels; depthwise kernels have no
 * reduction over channels, and kernels with fewer than n inputs (a first convolution on a
 * grayscale image) cannot hold the pattern: neither is reported.
 */
import type { NmSparsityRow } from '../../protocol/sensitivity';
import type { ModelGraph } from '../graph/types';
import { kindOfNode } from '../layers/registry';

/** Which runtimes can turn 2:4 zeros into speed (facts, for reports). */
export const NM_RUNTIMES_NOTE =
  '2:4 sparsity is accelerated by NVIDIA GPUs from Ampere on (sparse tensor cores, through TensorRT or cuSPARSELt); ' +
  'TFLite (XNNPACK), LiteRT.js, TF.js and TFLite Micro have no 2:4 kernels: they compute the zeros, so there it only helps compression.';

/** Fraction of groups of `n` input weights (per output unit, per kernel position) holding at least `m` zeros. */
export function nmGroupsOk(data: Float32Array, shape: number[], m: number, n: number): number {
  const out = shape[shape.length - 1];
  const inDim = shape[shape.length - 2];
  const positions = data.length / (out * inDim);
  let ok = 0;
  let total = 0;
  for (let p = 0; p < positions; p++) {
    for (let o = 0; o < out; o++) {
      for (let g = 0; g < inDim; g += n) {
        let zeros = 0;
        const len = Math.min(n, inDim - g);
        for (let j = 0; j < len; j++) {
          if (data[(p * inDim + g + j) * out + o] === 0) {
            zeros++;
          }
        }
        // A short last group counts as padded with zeros (as tfmot pads the input dimension).
        zeros += n - len;
        total++;
        if (zeros >= m) {
          ok++;
        }
      }
    }
  }
  return total ? ok / total : 1;
}

export function nmReport(graph: ModelGraph, m = 2, n = 4): NmSparsityRow[] {
  const rows: NmSparsityRow[] = [];
  for (const node of graph.layers) {
    const kind = kindOfNode(node);
    for (const w of node.weights) {
      if (!kind.prunable.includes(w.name) || w.name === 'depthwise_kernel' || w.shape.length < 2 || w.shape[w.shape.length - 2] < n) {
        continue;
      }
      const groupsOk = nmGroupsOk(w.data, w.shape, m, n);
      rows.push({ layer: node.name, weight: w.name, groupsOk, satisfies: groupsOk === 1 });
    }
  }
  return rows;
}
