/**
 * The model every engine part shares: a graph of named layers (issue 9). Importers (Keras
 * .h5/.keras, TF.js model.json), config-defined models and the reference MLP all produce
 * it; trainers, pruning, exporters and reports walk it and ask each layer's kind module
 * (src/engine/layers/) what that kind knows. Nothing downstream switches on a model's
 * identity.
 *
 * Shapes never include the batch dimension; images are NHWC (`channels_last`).
 */

/** A per-sample shape, e.g. [28, 28, 1] or [784]. */
export type Shape = number[];

/** One weight variable of a layer, stored as float32 in Keras' own layout. */
export interface WeightTensor {
  /**
   * Keras' short weight name: 'kernel', 'bias', 'gamma', 'beta', 'moving_mean',
   * 'moving_variance', 'depthwise_kernel', 'pointwise_kernel' (no ':0', no layer prefix).
   */
  name: string;
  /** Keras' layout: Dense [in, out]; Conv2D [kh, kw, in, out]; DepthwiseConv2D [kh, kw, in, mult]. */
  shape: number[];
  data: Float32Array;
  /** false for BatchNormalization's moving statistics. */
  trainable: boolean;
}

/** One layer: its kind, its configuration, where its inputs come from and its weights. */
export interface LayerNode {
  /** Unique within the model (nested models are flattened; their layer names are kept when unique). */
  name: string;
  /** The Keras class name ('Dense', 'Conv2D', 'InputLayer', …): the key of the layer registry. */
  className: string;
  /**
   * The kind's own configuration, parsed and validated by its module (`LayerKind.parseConfig`);
   * plain JSON data, so a graph can be cloned, saved in a run record and sent over IPC.
   */
  config: Record<string, unknown>;
  /** Names of the layers whose outputs feed this one, in order; [] for an InputLayer. */
  inbound: string[];
  /** In the order the kind's module declares them (`LayerKind.weightSpecs`). */
  weights: WeightTensor[];
  /**
   * Keras' layer `trainable` (absent = true). false freezes the layer when training: none of
   * its weights get gradients or optimizer state, and a frozen BatchNormalization normalises
   * with its moving statistics and leaves them untouched (Keras ≥ 2.0 semantics,
   * `LayerKind.inferenceWhenFrozen`). Dropout is not affected. Importers read it (a nested
   * model's own `trainable: false` freezes all its layers), `train.freeze` sets it, writers keep it.
   */
  trainable?: boolean;
  /**
   * For a layer flattened out of nested models: the configured names of those models, outermost
   * first (['sequential_1', 'model1'] for Teachable Machine's MobileNetV2 layers), so a user can
   * name a nested model (`train.freeze: ["model1"]`). Absent or [] = a layer of the top model.
   */
  modelPath?: string[];
}

/** Whether a layer trains (Keras' `trainable`, default true). */
export function isTrainableLayer(node: Pick<LayerNode, 'trainable'>): boolean {
  return node.trainable !== false;
}

export interface ModelGraph {
  /** Logical model name used for file names, e.g. 'mnist_model', 'pruned_mnist_model'. */
  name: string;
  /** Topological order: every layer comes after all of its inbound layers; InputLayers first. */
  layers: LayerNode[];
  /** Names of the InputLayer nodes (one for every model this engine supports today). */
  inputs: string[];
  /** Names of the output layers (one for classifiers). */
  outputs: string[];
}
