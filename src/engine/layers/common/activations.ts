/**
 * Keras' activation functions, by their Keras names (Keras 2 / tfjs-layers definitions), plus
 * 'hard_sigmoid_keras3': Keras 3 redefined `hard_sigmoid` (Keras 2: clip(0.2·x + 0.5, 0, 1);
 * Keras 3: relu6(x + 3) / 6), so the engine keeps both under distinct names. Importers pick one
 * by the file's keras_version (kerasActivationsOf); writers express the Keras 3 one in layers
 * every Keras and tfjs-layers read alike (export/portableActivations.ts).
 * Dense, Conv2D, DepthwiseConv2D, SeparableConv2D and the Activation layer share them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigReader } from './config';

export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'swish', 'hard_sigmoid', 'hard_sigmoid_keras3', 'hard_swish'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Other spellings of the same functions: TF.js camelCase, Keras 3's 'silu' and 'hard_silu'. */
const ALIASES: Record<string, ActivationName> = { hardsigmoid: 'hard_sigmoid', hardsigmoidkeras3: 'hard_sigmoid_keras3', silu: 'swish', hardswish: 'hard_swish', hardsilu: 'hard_swish' };

/** The activation name inside a Keras config value: 'relu', or Keras 3's {class_name: 'function', config: 'relu'}. */
function activationText(v: unknown): string | null {
  if (typeof v === 'string') {
    return v;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { config?: unknown }).config === 'string' ? (v as { config: string }).config : null;
}

/** The major Keras version a file's keras_version / generatedBy text names ('2.15.0' → 2, 'keras v3.13.2' → 3), or null. */
export function kerasMajorVersion(text: string | undefined | null): number | null {
  const m = /(?:^|keras\s*v?)\s*(\d+)\.\d+/i.exec(text ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * A layer's Keras config with its activation read as the Keras version that wrote the file
 * means it: from Keras 3 on, 'hard_sigmoid' is relu6(x + 3) / 6 ('hard_sigmoid_keras3' here).
 * Every other activation means the same in every version.
 */
export function kerasActivationsOf(config: Record<string, unknown>, kerasMajor: number | null): Record<string, unknown> {
  const name = activationText(config.activation);
  if (kerasMajor === null || kerasMajor < 3 || name === null || name.toLowerCase().replace(/_/g, '') !== 'hardsigmoid') {
    return config;
  }
  return { ...config, activation: 'hard_sigmoid_keras3' };
}

export function readActivation(r: ConfigReader, key = 'activation'): ActivationName {
  const v = r.get(key);
  if (v === undefined || v === null) {
    return 'linear';
  }
  // Keras 3 may serialise an activation as {class_name: 'function', config: 'relu', …}.
  const name = activationText(v);
  if (name === null) {
    r.fail(key, `must be an activation name, got ${JSON.stringify(v)}.`);
  }
  const lower = name.toLowerCase();
  const a = ALIASES[lower.replace(/_/g, '')] ?? lower;
  if (!(ACTIVATIONS as readonly string[]).includes(a)) {
    r.fail(key, `'${name}' is not supported; supported activations: ${ACTIVATIONS.join(', ')}.`);
  }
  return a;
}

/** Applies `a` elementwise (softmax over the last axis, as Keras does). */
export function applyActivation(a: ActivationName, x: tf.Tensor): tf.Tensor {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x, -1);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'hard_sigmoid':
      // Keras 2 (and tfjs-layers): clip(0.2·x + 0.5, 0, 1).
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'hard_sigmoid_keras3':
      // Keras 3's hard_sigmoid: relu6(x + 3) / 6, in the order Keras' TensorFlow backend computes it.
      return tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'hard_swish':
      // Keras 3 (hard_silu): x · relu6(x + 3) / 6, the MobileNetV3 activation.
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    default: {
      const never: never = a;
      throw new Error(`unknown activation ${String(never)}`);
    }
  }
}
