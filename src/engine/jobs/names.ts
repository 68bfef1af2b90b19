/**
 * Model and file names, in one place. A run's models are named after their input: a model
 * file with stem S gives 'S' and 'pruned_S' (files S.h5, pruned_S.h5, pruned_S_quant.tflite,
 * folders S/ and pruned_S/ for TF.js), as the reference workflow names 'mnist_model'. A model
 * trained from scratch (the reference MLP or a config-defined model) is 'mnist_model'.
 */

/** The name of a model trained from scratch, and of the folder `prune`/`quantize` look in by default. */
export const REFERENCE_MODEL = 'mnist_model';

export function prunedName(model: string): string {
  return `pruned_${model}`;
}
