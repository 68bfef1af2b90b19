/**
 * DepthwiseConv2D (NHWC): one kh×kw filter per input channel and depth multiplier;
 * depthwise_kernel [kh, kw, in, multiplier] (Keras' layout, also tf.depthwiseConv2d's),
 * output channels in × multiplier, bias on by default.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DEPTHWISE_CHANNELS, type LayerKind, type WeightSpec } from '../kind';
import { applyActivation, readActivation, type ActivationName } from '../common/activations';
import { imageShape, kerasWindow, readConvWindow, windowOut, type ConvWindow } from '../common/conv';
import { ConfigReader, kerasBase, GLOROT, ZEROS } from '../common/config';
import { depthwiseConv2dTflite } from './tflite';

export interface DepthwiseConv2DConfig extends ConvWindow, Record<string, unknown> {
  depthMultiplier: number;
  activation: ActivationName;
  useBias: boolean;
}

export const depthwiseConv2d: LayerKind<DepthwiseConv2DConfig> = {
  className: 'DepthwiseConv2D',
  tflite: depthwiseConv2dTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { ...readConvWindow(r), depthMultiplier: r.int('depth_multiplier', 1), activation: readActivation(r), useBias: r.bool('use_bias', true) };
  },
  kerasConfig(c, node) {
    return {
      ...kerasBase(node.name),
      ...kerasWindow(c),
      depth_multiplier: c.depthMultiplier,
      activation: c.activation,
      use_bias: c.useBias,
      depthwise_initializer: GLOROT,
      bias_initializer: ZEROS,
      depthwise_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: null,
      bias_constraint: null,
    };
  },
  outputShape(c, inputShapes) {
    const [h, w, ch] = imageShape(inputShapes, 'DepthwiseConv2D');
    return [...windowOut(h, w, c.kernelSize, c.strides, c.dilationRate, c.padding, 'DepthwiseConv2D'), ch * c.depthMultiplier];
  },
  weightSpecs(c, inputShapes) {
    const [, , ch] = imageShape(inputShapes, 'DepthwiseConv2D');
    const specs: WeightSpec[] = [{ name: 'depthwise_kernel', shape: [...c.kernelSize, ch, c.depthMultiplier], trainable: true, init: 'glorot_uniform' }];
    if (c.useBias) {
      specs.push({ name: 'bias', shape: [ch * c.depthMultiplier], trainable: true, init: 'zeros' });
    }
    return specs;
  },
  prunable: ['depthwise_kernel'],
  int8Weights: [{ weight: 'depthwise_kernel', channels: DEPTHWISE_CHANNELS }],
  forward(c, w, inputs) {
    let y: tf.Tensor = tf.depthwiseConv2d(inputs[0] as tf.Tensor4D, w[0] as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
    if (c.useBias) {
      y = tf.add(y, w[1]);
    }
    return applyActivation(c.activation, y);
  },
  macs(c, _inputShapes, out) {
    return out[0] * out[1] * out[2] * c.kernelSize[0] * c.kernelSize[1];
  },
};
