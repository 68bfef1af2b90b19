/**
 * Does a model fit the data it is about to meet? A model for 32×32 inputs evaluated on
 * 28×28 images must be refused (exit 2), not silently fed the wrong pixels (issue 13 item 7).
 * One message for every format (.h5, .tflite, TF.js) and every job that loads a model.
 */
import type { ImageSet } from '../data/dataset';
import { BadInputError } from '../errors';

function sideOf(features: number): string {
  const s = Math.round(Math.sqrt(features));
  return s * s === features ? ` (${s}×${s})` : '';
}

/** Throws when a model taking `modelInputs` values cannot run on `set`'s images. */
export function checkInputSize(source: string, modelInputs: number, set: Pick<ImageSet, 'features'>, what = 'the data set'): void {
  if (modelInputs !== set.features) {
    throw new BadInputError(
      `${source} takes ${modelInputs} input values${sideOf(modelInputs)} but the images of ${what} have ${set.features} pixels${sideOf(set.features)}, so it cannot run on them. ` +
        `Use data with images of the model's input size (data.source 'idx' with your own files), or a model trained on images of this size.`,
      source,
    );
  }
}

/** Throws when a model's output has fewer classes than the labels use. */
export function checkClasses(source: string, modelClasses: number, set: Pick<ImageSet, 'numClasses'>): void {
  if (modelClasses < set.numClasses) {
    throw new BadInputError(
      `${source} has ${modelClasses} outputs but the labels use ${set.numClasses} classes (0…${set.numClasses - 1}), so it cannot classify them. Use the data set the model was trained on, or a model with ${set.numClasses} outputs.`,
      source,
    );
  }
}
