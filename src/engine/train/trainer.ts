/**
 * The training interface every backend implements (TF.js ops with hand-written gradients,
 * or the SIMD kernel). Batches arrive as the data set stores them (uint8 bytes, scaled by 1/255
 * inside the trainer, or normalised float32); the SIMD kernel takes uint8 only.
 */
import type { MlpModel } from '../model/mlp';
import type { Features } from '../data/dataset';

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

export interface Trainer {
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
