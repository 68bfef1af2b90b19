/**
 * SeparableConv2D (NHWC): a depthwise convolution (depthwise_kernel [kh, kw, in, mult])
 * then a 1×1 pointwise one (pointwise_kernel [1, 1, in·mult, filters]), then bias and
 * activation. tfmot prunes both kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEPTHWISE_CHANNELS, LAST_AXIS_CHANNELS, type LayerKind, type WeightSpec } from '../kind';
import { applyActivation, readActivation, type ActivationName } from '../common/activations';
import { imageShape, kerasWindow, readConvWindow, windowOut, type ConvWindow } from '../common/conv';
import { ConfigReader, kerasBase, GLOROT, ZEROS } from '../common/config';
import { separableConv2dTflite } from './tflite';

export interface SeparableConv2DConfig extends ConvWindow, Record<string, unknown> {
  filters: number;
  depthMultiplier: number;
  activation: ActivationName;
  useBias: boolean;
}

export const separableConv2d: LayerKind<SeparableConv2DConfig> = {
  className: 'SeparableConv2D',
  tflite: separableConv2dTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { filters: r.int('filters'), ...readConvWindow(r), depthMultiplier: r.int('depth_multiplier', 1), activation: readActivation(r), useBias: r.bool('use_bias', true) };
  },
  kerasConfig(c, node) {
    return {
      ...kerasBase(node.name),
      filters: c.filters,
      ...kerasWindow(c),
      depth_multiplier: c.depthMultiplier,
      activation: c.activation,
      use_bias: c.useBias,
      depthwise_initializer: GLOROT,
      pointwise_initializer: GLOROT,
      bias_initializer: ZEROS,
      depthwise_regularizer: null,
      pointwise_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: null,
      pointwise_constraint: null,
      bias_constraint: null,
    };
  },
  outputShape(c, inputShapes) {
    const [h, w] = imageShape(inputShapes, 'SeparableConv2D');
    return [...windowOut(h, w, c.kernelSize, c.strides, c.dilationRate, c.padding, 'SeparableConv2D'), c.filters];
  },
  weightSpecs(c, inputShapes) {
    const [, , ch] = imageShape(inputShapes, 'SeparableConv2D');
    const specs: WeightSpec[] = [
      { name: 'depthwise_kernel', shape: [...c.kernelSize, ch, c.depthMultiplier], trainable: true, init: 'glorot_uniform' },
      { name: 'pointwise_kernel', shape: [1, 1, ch * c.depthMultiplier, c.filters], trainable: true, init: 'glorot_uniform' },
    ];
    if (c.useBias) {
      specs.push({ name: 'bias', shape: [c.filters], trainable: true, init: 'zeros' });
    }
    return specs;
  },
  prunable: ['depthwise_kernel', 'pointwise_kernel'],
  int8Weights: [
    { weight: 'depthwise_kernel', channels: DEPTHWISE_CHANNELS },
    { weight: 'pointwise_kernel', channels: LAST_AXIS_CHANNELS },
  ],
  forward(c, w, inputs) {
    let y: tf.Tensor = tf.separableConv2d(inputs[0] as tf.Tensor4D, w[0] as tf.Tensor4D, w[1] as tf.Tensor4D, c.strides, c.padding, c.dilationRate, 'NHWC');
    if (c.useBias) {
      y = tf.add(y, w[2]);
    }
    return applyActivation(c.activation, y);
  },
  macs(c, inputShapes, out) {
    const [, , ch] = imageShape(inputShapes, 'SeparableConv2D');
    const mid = ch * c.depthMultiplier;
    return out[0] * out[1] * (mid * c.kernelSize[0] * c.kernelSize[1] + mid * c.filters);
  },
};
