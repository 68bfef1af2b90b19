/**
 * The per-layer sensitivity analysis (`model-optimizer sensitivity`, issue 16): how much
 * accuracy each layer loses when only it is pruned or only it is int8, the int8 error each
 * layer introduces (TFLite's quantization debugger's view), and per-layer sparsities for a
 * global target in `prune.layers` form. Written to `<run>/sensitivity.json` + `.md`, carried by
 * the `sensitivity` engine event and the run record. Types only, so the engine, the CLI and the
 * webview share them.
 *
 * Accuracies are fractions (0.9812); drops are fractions too (0.01 = 1 point), as in the sweep.
 */

/** Error statistics between float and int8 (dequantized) activations, over the error samples. */
export interface ErrorStats {
  /** Root mean square error over every value of every sample. */
  rmse: number;
  maxAbs: number;
  /** Mean over samples of the cosine similarity of the two activation vectors (1 = same direction). */
  cosine: number;
  /** RMSE in units of the output tensor's quantization step (rmse / scale). */
  rmseSteps: number;
}

/** One prunable layer: accuracy with only its kernel(s) magnitude-pruned to each sparsity, the others dense. */
export interface PruneSensitivityRow {
  layer: string;
  className: string;
  /** Prunable kernel elements of the layer (all its prunable weights). */
  weights: number;
  /** Accuracy at each of SensitivityReport.sparsities (same order). */
  accuracy: number[];
  /** Baseline accuracy minus accuracy, per sparsity. */
  drop: number[];
}

/** One layer that int8 changes (has an op whose int8 form is not exact). */
export interface QuantSensitivityRow {
  layer: string;
  className: string;
  /** The TFLite ops the layer became ('conv2d', 'fc', 'softmax', …), after folding and fusion. */
  ops: string[];
  /** Output quantization step (scale) of the layer's last op. */
  outputScale: number;
  /** The layer's ops run in float on the dequantized int8 inputs vs in int8 (the debugger's per-layer error). */
  own: ErrorStats;
  /** The float model's activation vs the full-int8 model's at the layer's output (error accumulated up to here). */
  accumulated: ErrorStats;
  /** Test accuracy of the model with only this layer in int8 (the rest float), in the TFLite runtime. */
  int8OnlyAccuracy: number | null;
  /** float32 file's accuracy minus int8OnlyAccuracy. */
  int8OnlyDrop: number | null;
}

/** 2:4 structured sparsity of one kernel (NVIDIA's semi-structured pattern along the input dimension). */
export interface NmSparsityRow {
  layer: string;
  weight: string;
  /** Groups of n consecutive input weights (per output unit) with at least m zeros, as a fraction. */
  groupsOk: number;
  satisfies: boolean;
}

export interface SparsitySuggestion {
  /** The global target: zeros ÷ all prunable kernel weights. */
  targetSparsity: number;
  /** What the suggested per-layer sparsities give overall (equal to the target up to rounding). */
  achievedSparsity: number;
  /** Layer → target sparsity, exactly `prune.layers`' map form. */
  layers: Record<string, number>;
  /** The estimated accuracy cost: sum over layers of their single-layer drop at the suggested sparsity (interpolated). */
  estimatedDrop: number;
  /** Paste-ready config fragment: {"prune": {"layers": {…}}}. */
  config: string;
}

export interface SensitivityReport {
  version: 1;
  model: string;
  /** The seed that picked the error samples (and nothing else is random). */
  seed: number;
  /** The split the accuracies are measured on: validation (decisions are never fitted to the test set) unless the run has too few validation samples. */
  split: 'validation' | 'test';
  /** How many samples of that split. */
  samples: number;
  /** Training samples the int8 ranges were calibrated on. */
  calibrationSamples: number;
  /** Samples of `split` (picked with `seed`) the int8 error statistics are measured on. */
  errorSamples: number;
  /** The float model's accuracy on `split` (tfjs forward pass). */
  baselineAccuracy: number;
  sparsities: number[];
  prune: PruneSensitivityRow[];
  /** Accuracy of the whole model as TFLite float32 and full-int8, in the runtime named below. */
  float32Accuracy: number | null;
  fullInt8Accuracy: number | null;
  runtime: string;
  /** "min-max calibration on 200 samples, per-channel weights". */
  quantization: string;
  quant: QuantSensitivityRow[];
  /** Absent when no suggestion could be made (see suggestionNote). */
  suggestion?: SparsitySuggestion;
  /** Why there is no suggestion (no prunable layer, target not reachable). */
  suggestionNote?: string;
  nm: NmSparsityRow[];
  /** Runtimes that could use 2:4 sparsity, in words. */
  nmNote: string;
}
