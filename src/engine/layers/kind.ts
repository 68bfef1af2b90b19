/**
 * What every layer kind knows, in one folder per kind (src/engine/layers/<kind>/index.ts), the way
 * tfjs-layers registers layer classes. The registry (registry.ts) maps Keras class names to
 * these; exporters and analyses walk the graph and ask the node's kind instead of holding
 * per-layer `if`s, so adding a layer kind touches one module (and its tests).
 *
 * `C` is the kind's parsed configuration; it lives in `LayerNode.config` as plain JSON.
 * Exporters that need more of a kind (TFLite op writers, int8 reference kernels) add optional
 * members here rather than switching on `className` elsewhere: the exporter declares its member
 * type in its own module, puts the kind's implementation in a file beside the kind's index.ts
 * (e.g. layers/conv2d/tflite.ts) and the index.ts adds it to the kind object. A kind without
 * the member is one the exporter does not support yet, which the exporter reports clearly.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayerNode, Shape } from '../graph/types';
import type { TfliteLowering } from '../export/tflite/lowered';

/** How a fresh weight is initialised (Keras' names and semantics). */
export type WeightInit = 'glorot_uniform' | 'he_normal' | 'zeros' | 'ones';

export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
  init: WeightInit;
}

/** What a forward pass may need beyond tensors (all optional: inference needs none of it). */
export interface ForwardContext {
  /** Seed for this call's random ops (Dropout); a trainer passes a fresh one per step. */
  seed?: number;
  /**
   * Receives a non-trainable weight's new value computed in a training forward pass
   * (BatchNormalization's moving statistics). The callee owns `value`.
   */
  update?(weightName: string, value: tf.Tensor): void;
}

export interface LayerKind<C extends Record<string, unknown> = Record<string, unknown>> {
  /** The Keras class name, e.g. 'Conv2D'. */
  readonly className: string;
  /**
   * Reads and validates a Keras / TF.js layer config (`config` of `{class_name, config}`,
   * snake_case or camelCase keys), throwing BadInputError naming `where` and the fix.
   */
  parseConfig(keras: Record<string, unknown>, where: string): C;
  /** The Keras 2 layer config this kind writes into `.h5` model_config and TF.js model.json. */
  kerasConfig(config: C, node: LayerNode): Record<string, unknown>;
  /** Per-sample output shape from the per-sample input shapes (throws BadInputError on a mismatch). */
  outputShape(config: C, inputShapes: Shape[]): Shape;
  /** The weights this kind owns, in Keras' order. */
  weightSpecs(config: C, inputShapes: Shape[]): WeightSpec[];
  /** Names of the weights magnitude pruning may zero (tfmot's prunable kernels). */
  readonly prunable: readonly string[];
  /** Forward pass on batched NHWC tensors; `training` turns Dropout and BatchNorm batch statistics on. */
  forward(config: C, weights: tf.Tensor[], inputs: tf.Tensor[], training: boolean, ctx?: ForwardContext): tf.Tensor;
  /**
   * true when a frozen layer of this kind (`LayerNode.trainable` false) runs in inference mode
   * even while the model trains: BatchNormalization, as Keras ≥ 2.0 does (moving statistics
   * used and left untouched). Other kinds (Dropout) keep their training behaviour when frozen.
   */
  readonly inferenceWhenFrozen?: boolean;
  /** true when `forward` computes something else in training than in inference (Dropout, BatchNormalization). */
  readonly trainingDiffers?: boolean;
  /** Multiply-accumulates per sample. */
  macs(config: C, inputShapes: Shape[], outputShape: Shape): number;
  /** How this kind is written to TFLite (export/tflite/lowered.ts; beside the kind in tflite.ts). Absent = not exportable to TFLite yet. */
  readonly tflite?: TfliteLowering;
  /**
   * The weights full-int8 export stores as symmetric int8 (conv/depthwise/FC filters), with
   * the number of quantization channels of each (per-channel scales run over the flat Keras
   * layout's last `channels` positions: index mod channels). Quantization-aware training
   * fake-quantizes exactly these. Absent = none.
   */
  readonly int8Weights?: readonly Int8WeightSpec[];
}

export interface Int8WeightSpec {
  weight: string;
  /** Per-channel quantization channels of a weight of this Keras shape. */
  channels(shape: readonly number[]): number;
}

/** Per output channel on the last axis (Dense [in, out], Conv2D [kh, kw, in, out]). */
export const LAST_AXIS_CHANNELS = (shape: readonly number[]): number => shape[shape.length - 1];
/** Depthwise [kh, kw, in, multiplier]: one channel per in·multiplier output. */
export const DEPTHWISE_CHANNELS = (shape: readonly number[]): number => shape[2] * shape[3];
