/**
 * Evaluation helpers: accuracy and Keras' loss of a model on an image set, computed with
 * a trainer's big-batch predict (never batch 32: issue 6).
 */
import type { ImageSet } from './data/dataset';
import { lossAndCorrect } from './train/tfjsTrainer';
import type { EvalResult, Trainer } from './train/trainer';

/** Accuracy and mean clipped cross-entropy of predicted probabilities [count, classes]. */
export function scoreProbabilities(probs: Float32Array, labels: ArrayLike<number>, count: number, classes: number): EvalResult {
  if (count === 0) {
    return { loss: NaN, accuracy: NaN };
  }
  const { lossSum, correct } = lossAndCorrect(probs, labels, count, classes);
  return { loss: lossSum / count, accuracy: correct / count };
}

/** Evaluates the trainer's current weights on `set` (its predict runs in large batches). */
export function evaluateSet(trainer: Trainer, set: ImageSet, classes?: number): EvalResult {
  if (set.count === 0) {
    return { loss: NaN, accuracy: NaN };
  }
  const probs = trainer.predict(set.images, set.count);
  return scoreProbabilities(probs, set.labels, set.count, classes ?? probs.length / set.count);
}
