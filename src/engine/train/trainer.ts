/**
 * The training interfaces. `Trainer` is what jobs, fit and pruning use: any ModelGraph,
 * masks per prunable weight. `MlpTrainer` is the older Dense-stack interface the two fast
 * Dense loops implement (TF.js ops with hand-written gradients, the SIMD kernel); an adapter
 * (mlpAdapter.ts) puts them behind `Trainer` when a graph is a pure Dense stack. Batches arrive as the data set stores them (uint8 bytes, scaled by 1/255
 * inside the trainer, or normalised float32); the SIMD kernel takes uint8 only.
 */
import type { MlpModel } from '../model/mlp';
import type { Features } from '../data/dataset';
import type { ModelGraph } from '../graph/types';

export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Correctly classified samples in the batch. */
  correct: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
}

export interface MlpTrainer {
  /** 'tfjs' or 'simd-kernel', reported in BackendInfo.trainer. */
  readonly name: string;
  /**
   * Pruning masks, one per layer (null = not pruned), same layout as the kernel.
   * The trainer multiplies each kernel by its mask now and before every later batch.
   */
  setMasks(masks: (Float32Array | null)[]): void;
  /** Multiplies kernels by their masks (pruning applies them again at epoch end). */
  applyMasks(): void;
  /**
   * One optimizer step (Adam) on `count` samples: uint8 bytes are scaled by 1/255 inside,
   * float32 values are model input as they are (see src/engine/data/dataset.ts). Labels are class indices.
   */
  trainBatch(images: Features, labels: ArrayLike<number>, count: number): BatchResult;
  /** Softmax probabilities [count, classes]; evaluates in large batches internally. */
  predict(images: Features, count: number): Float32Array;
  evaluate(images: Features, labels: ArrayLike<number>, count: number): EvalResult;
  /** A copy of the current weights. */
  getModel(name: string): MlpModel;
  /** Replaces all weights (keeps optimizer state only if `keepOptimizer`). */
  setModel(model: MlpModel, keepOptimizer?: boolean): void;
  /** Fresh Adam state (pruning fine-tunes with a freshly compiled optimizer). */
  resetOptimizer(learningRate: number): void;
  dispose(): void;
}

/** Pruning masks keyed by 'layer/weight' (e.g. 'conv2d/kernel'); an absent weight is not pruned. */
export type WeightMasks = Map<string, Float32Array>;

/** Key of one weight in mask maps and sparsity reports: 'conv2d/kernel'. */
export function weightKey(layer: string, weight: string): string {
  return `${layer}/${weight}`;
}

export interface Trainer {
  /** 'simd-kernel', 'tfjs' (Dense stacks) or 'tfjs-graph' (any graph), reported in BackendInfo.trainer. */
  readonly name: string;
  /** Masks for prunable weights; the trainer multiplies those weights by them now and after every step. */
  setMasks(masks: WeightMasks): void;
  /** Multiplies masked weights by their masks (pruning applies them again at epoch end). */
  applyMasks(): void;
  /** One optimizer step (Keras Adam) on `count` samples (uint8 scaled by 1/255 inside, float32 as is). */
  trainBatch(samples: Features, labels: ArrayLike<number>, count: number): BatchResult;
  /** Class probabilities [count, classes]; evaluates in large batches internally. */
  predict(samples: Features, count: number): Float32Array;
  evaluate(samples: Features, labels: ArrayLike<number>, count: number): EvalResult;
  /** A copy of the current model (weights included) named `name`. */
  getModel(name: string): ModelGraph;
  /** Replaces all weights (keeps optimizer state only if `keepOptimizer` and the layout is unchanged). */
  setModel(model: ModelGraph, keepOptimizer?: boolean): void;
  /** Fresh Adam state (pruning fine-tunes with a freshly compiled optimizer). */
  resetOptimizer(learningRate: number): void;
  /**
   * Optional (the graph trainer): computes a frozen, deterministic base's output for these
   * samples once so training and prediction on them run only the rest (transfer learning).
   * null = the model has no frozen layers; `used: false` says why a frozen base is not cached.
   */
  cacheFeatures?(samples: Features, count: number): FeatureCacheInfo | null;
  /** trainBatch on the samples `indices` of `samples`, from cached features; null when none are cached (train on the samples). */
  trainBatchCached?(samples: Features, indices: ArrayLike<number>, labels: ArrayLike<number>, count: number): BatchResult | null;
  dispose(): void;
}

/** Which path a fine-tune runs: the frozen base's features cached (and where it ends), or why not. */
export interface FeatureCacheInfo {
  used: boolean;
  /** For logs: what is cached, or why nothing is. */
  detail: string;
  /** The cached layer's name. */
  boundary?: string;
}
