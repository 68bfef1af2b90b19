/**
 * Evaluation helpers: accuracy and Keras' loss of a model on an image set, computed with
 * a trainer's big-batch predict (never batch 32: issue 6).
 */
import type { Features, ImageSet } from './data/dataset';
import type { MlpModel } from './model/mlp';
import { lossAndCorrect, TfjsTrainer } from './train/tfjsTrainer';
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

/** Softmax probabilities of a model (TF.js ops on the current backend). */
export function predictModel(model: MlpModel, images: Features, count: number): Float32Array {
  const trainer = new TfjsTrainer(model, 0);
  try {
    return trainer.predict(images, count);
  } finally {
    trainer.dispose();
  }
}

/** Evaluates a model (e.g. one loaded from disk) on `set` with TF.js on the current backend. */
export function evaluateModel(model: MlpModel, set: ImageSet): EvalResult {
  const probs = predictModel(model, set.images, set.count);
  return scoreProbabilities(probs, set.labels, set.count, model.layers[model.layers.length - 1].units);
}
