/**
 * Which split the per-layer decisions are made on (sensitivity ranking, the float fallback's
 * choice of layers). Deciding on the test set and then quoting the test accuracy of the result
 * overstates it — the choice was fitted to those very samples — so decisions use the
 * validation split and the test set only measures the outcome. A run without a usable
 * validation split falls back to the test set and says so.
 */
import type { SampleSet, SplitData } from '../data/dataset';

/** Fewer validation samples than this make one sample worth more than a typical int8 drop (0.5 pt at 200). */
export const MIN_SELECTION_SAMPLES = 200;

export interface SelectionSplit {
  split: 'validation' | 'test';
  set: SampleSet;
  /** Set when the test set had to be used: why, and how to avoid it. */
  warning?: string;
}

/** The validation split when it has at least MIN_SELECTION_SAMPLES samples, else the test set with a warning. */
export function selectionSplit(data: Pick<SplitData, 'validation' | 'test'>, what: string): SelectionSplit {
  if (data.validation.count >= MIN_SELECTION_SAMPLES) {
    return { split: 'validation', set: data.validation };
  }
  return {
    split: 'test',
    set: data.test,
    warning:
      `${what} was decided on the test set because the validation split has ${data.validation.count} samples (fewer than ${MIN_SELECTION_SAMPLES}), ` +
      'so the test accuracies quoted for its outcome are optimistic. Give train.validationSplit (e.g. 0.1) or a validation file/folder.',
  };
}
