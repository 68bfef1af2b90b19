/**
 * Keras' activation functions (Keras 2 / tfjs-layers definitions), by their Keras names.
 * Dense, Conv2D, DepthwiseConv2D, SeparableConv2D and the Activation layer share them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigReader } from './config';

export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'swish', 'hard_sigmoid', 'hard_swish'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Other spellings of the same functions: TF.js camelCase, Keras 3's 'silu' and 'hard_silu'. */
const ALIASES: Record<string, ActivationName> = { hardsigmoid: 'hard_sigmoid', silu: 'swish', hardswish: 'hard_swish', hardsilu: 'hard_swish' };

export function readActivation(r: ConfigReader, key = 'activation'): ActivationName {
  const v = r.get(key);
  if (v === undefined || v === null) {
    return 'linear';
  }
  // Keras 3 may serialise an activation as {class_name: 'function', config: 'relu', …}.
  const name = typeof v === 'object' && !Array.isArray(v) && typeof (v as { config?: unknown }).config === 'string' ? (v as { config: string }).config : v;
  if (typeof name !== 'string') {
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
      // Keras 2 (and tfjs-layers): clip(0.2·x + 0.5, 0, 1). Keras 3 changed it to relu6(x + 3) / 6.
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'hard_swish':
      // Keras 3 (hard_silu): x · relu6(x + 3) / 6, the MobileNetV3 activation.
      return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
    default: {
      const never: never = a;
      throw new Error(`unknown activation ${String(never)}`);
    }
  }
}
