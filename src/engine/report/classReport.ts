/**
 * Per-class results of a model on the test set: the confusion matrix (rows = true class,
 * columns = predicted class) and each class's accuracy (recall: correct / samples of that
 * class), with the class names of the data set.
 */
import type { ClassReport } from '../../protocol/engine';

/** Above this many classes the matrix is left out of reports (it would be classes² numbers); per-class accuracy stays. */
export const MAX_CONFUSION_CLASSES = 100;

/** Index of the largest of outputs[from … from + n) (the first on ties, like argmax in NumPy). */
function argmaxAt(a: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) {
    if (a[from + j] > a[from + best]) {
      best = j;
    }
  }
  return best;
}

/** From a model's outputs [count, width] and the true labels. */
export function classReport(outputs: ArrayLike<number>, width: number, labels: ArrayLike<number>, count: number, names: readonly string[]): ClassReport {
  const k = names.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(Math.max(k, width)).fill(0));
  for (let n = 0; n < count; n++) {
    confusion[labels[n]][argmaxAt(outputs, n * width, width)]++;
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const accuracy = confusion.map((row, i) => (support[i] > 0 ? row[i] / support[i] : null));
  const predicted = new Array<number>(k).fill(0);
  confusion.forEach((row) => row.forEach((v, j) => j < k && (predicted[j] += v)));
  const precision = predicted.map((p, j) => (p > 0 ? confusion[j][j] / p : null));
  return {
    names: [...names],
    support,
    accuracy,
    precision,
    ...(k <= MAX_CONFUSION_CLASSES ? { confusion: confusion.map((row) => row.slice(0, k)) } : {}),
  };
}
