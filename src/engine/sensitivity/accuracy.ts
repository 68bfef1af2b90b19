/** Test accuracy of a graph with the tfjs forward pass (the active backend), in batches. */
import type { SampleSet } from '../data/dataset';
import { modelInputs } from '../data/dataset';
import { analyzeGraph } from '../graph/analyze';
import { predictGraph } from '../graph/forward';
import type { ModelGraph } from '../graph/types';

export function argmaxAt(a: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) {
    if (a[from + j] > a[from + best]) {
      best = j;
    }
  }
  return best;
}

export function graphAccuracy(graph: ModelGraph, set: SampleSet, batch = 500): number {
  const a = analyzeGraph(graph);
  const classes = a.outputShape[a.outputShape.length - 1];
  let correct = 0;
  for (let s = 0; s < set.count; s += batch) {
    const n = Math.min(batch, set.count - s);
    const y = predictGraph(a, modelInputs(set, s, n), n);
    for (let i = 0; i < n; i++) {
      if (argmaxAt(y, i * classes, classes) === set.labels[s + i]) {
        correct++;
      }
    }
  }
  return set.count ? correct / set.count : 0;
}
