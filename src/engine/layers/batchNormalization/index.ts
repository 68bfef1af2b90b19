/**
 * BatchNormalization on the last (channels) axis, trained like Keras: in training it
 * normalises with the batch's mean and (biased) variance and moves the moving statistics
 * by `moving = moving·momentum + batch·(1 − momentum)` — the variance fed to the moving
 * average is Bessel-corrected (n / (n − 1)), as Keras 2's fused kernel and tfjs-layers do;
 * at inference it uses the moving statistics. Weights in Keras' order: gamma (if scale),
 * beta (if center), moving_mean, moving_variance.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerKind, WeightSpec } from '../kind';
import { ConfigReader, kerasBase } from '../common/config';
import { singleInput } from '../common/conv';
import { BadInputError } from '../../errors';
import { batchNormalizationTflite } from './tflite';

export interface BatchNormalizationConfig extends Record<string, unknown> {
  /** As written (batch axis counted): -1 or the last axis' index. */
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

function readAxis(r: ConfigReader): number {
  const v = r.get('axis');
  const a = Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v === undefined || v === null ? -1 : v;
  if (typeof a !== 'number' || !Number.isInteger(a)) {
    r.fail('axis', `must be one axis (the channels axis), got ${JSON.stringify(v)}.`);
  }
  return a;
}

export const batchNormalization: LayerKind<BatchNormalizationConfig> = {
  className: 'BatchNormalization',
  tflite: batchNormalizationTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    r.refuseUnless('renorm', (v) => v === false, 'batch renormalization is not supported.');
    r.refuseUnless('virtual_batch_size', (v) => v === null, 'virtual batches are not supported.');
    return {
      axis: readAxis(r),
      momentum: r.num('momentum', 0.99, [0, 1]),
      epsilon: r.num('epsilon', 0.001, [0, 1]),
      center: r.bool('center', true),
      scale: r.bool('scale', true),
    };
  },
  kerasConfig(c, node) {
    return {
      ...kerasBase(node.name),
      axis: c.axis,
      momentum: c.momentum,
      epsilon: c.epsilon,
      center: c.center,
      scale: c.scale,
      beta_initializer: { class_name: 'Zeros', config: {} },
      gamma_initializer: { class_name: 'Ones', config: {} },
      moving_mean_initializer: { class_name: 'Zeros', config: {} },
      moving_variance_initializer: { class_name: 'Ones', config: {} },
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
  },
  outputShape(c, inputShapes) {
    const s = singleInput(inputShapes, 'BatchNormalization');
    if (c.axis !== -1 && c.axis !== s.length) {
      throw new BadInputError(`BatchNormalization: axis ${c.axis} is not the channels (last) axis of an input of shape [${s.join(', ')}]; only channels_last normalisation is supported.`);
    }
    return [...s];
  },
  weightSpecs(c, inputShapes) {
    const s = singleInput(inputShapes, 'BatchNormalization');
    const ch = [s[s.length - 1]];
    const specs: WeightSpec[] = [];
    if (c.scale) {
      specs.push({ name: 'gamma', shape: ch, trainable: true, init: 'ones' });
    }
    if (c.center) {
      specs.push({ name: 'beta', shape: ch, trainable: true, init: 'zeros' });
    }
    specs.push({ name: 'moving_mean', shape: ch, trainable: false, init: 'zeros' }, { name: 'moving_variance', shape: ch, trainable: false, init: 'ones' });
    return specs;
  },
  prunable: [],
  // Keras: "setting trainable = False on a BatchNormalization layer means that the layer will be run in inference mode".
  inferenceWhenFrozen: true,
  trainingDiffers: true,
  forward(c, w, inputs, training, ctx) {
    const x = inputs[0];
    const gamma = c.scale ? w[0] : undefined;
    const beta = c.center ? w[c.scale ? 1 : 0] : undefined;
    const [movingMean, movingVar] = w.slice(w.length - 2);
    if (!training) {
      return tf.batchNorm(x, movingMean, movingVar, beta, gamma, c.epsilon);
    }
    const axes = x.shape.slice(0, -1).map((_d, k) => k);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, c.epsilon);
    if (ctx?.update) {
      const n = x.size / x.shape[x.rank - 1];
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      const m = c.momentum;
      ctx.update('moving_mean', tf.keep(tf.add(tf.mul(movingMean, m), tf.mul(mean, 1 - m))));
      ctx.update('moving_variance', tf.keep(tf.add(tf.mul(movingVar, m), tf.mul(unbiased, 1 - m))));
    }
    return y;
  },
  macs() {
    return 0;
  },
};
