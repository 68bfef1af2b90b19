/**
 * The format-neutral intermediate every importer produces: the Keras model JSON
 * (`{class_name, config}`, as Keras 2, Keras 3 and tfjs-layers write it) plus the weights by
 * layer. `buildGraph` (build.ts) turns it into the engine's ModelGraph, so the readers
 * (legacy .h5, .keras zip, TF.js model.json) only decode their container.
 */

/** A Keras model or layer entry: `{class_name, config}` (+ Functional's name/inbound_nodes). */
export interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: unknown;
  module?: string | null;
  registered_name?: string | null;
}

export type ModelFormat = 'keras-h5' | 'keras-v3' | 'tfjs-layers';

export interface RawWeight {
  /**
   * Keras' short weight name ('kernel', 'gamma', 'moving_mean'), when the format stores names
   * (legacy .h5, TF.js). Keras 3 `.keras` files store none: their weights are in Keras' own
   * order (trainable first, then non-trainable), and `name` is undefined.
   */
  name?: string;
  /** Where it was read from, for messages: 'model_weights/conv2d/conv2d/kernel:0'. */
  source: string;
  shape: number[];
  data: Float32Array;
}

export interface ImportedModel {
  format: ModelFormat;
  /** The file (or model.json) read, for messages. */
  file: string;
  /** 'keras 2.15.0', 'keras 3.13.2', 'tfjs-layers 4.22.0', … as the file says. */
  writtenBy: string;
  /**
   * The major Keras version whose semantics the file's layers have (its keras_version, or a
   * converter's 'keras vX'); null when no Keras wrote it (tfjs-layers: Keras 2's semantics).
   * Keras 3 changed what 'hard_sigmoid' computes.
   */
  kerasMajor: number | null;
  topology: KerasLayerJson;
  /**
   * Weights by layer, keyed by the layer's path of configured names from the top model,
   * joined by '/': 'conv2d', or 'sequential_1/model1/Conv1' inside nested models.
   */
  weights: Map<string, RawWeight[]>;
}
