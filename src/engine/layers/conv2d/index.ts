/**
 * Conv2D (NHWC): kernel [kh, kw, in, filters] (Keras' layout, also tf.conv2d's), strides,
 * 'valid'/'same' padding, dilation, optional bias, an activation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LAST_AXIS_CHANNELS, type LayerKind, type WeightSpec } from '../kind';
import { applyActivation, readActivation, type ActivationName } from '../common/activations';
import { imageShape, kerasWindow, readConvWindow, windowOut, type ConvWindow } from '../common/conv';
import { ConfigReader, kerasBase, GLOROT, NO_REGULARIZERS, ZEROS } from '../common/config';
import { conv2dTflite } from './tflite';

export interface Conv2DConfig extends ConvWindow, Record<string, unknown> {
  filters: number;
  activation: ActivationName;
  useBias: boolean;
}

export const conv2d: LayerKind<Conv2DConfig> = {
  className: 'Conv2D',
  tflite: conv2dTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    return { filters: r.int('filters'), ...readConvWindow(r), activation: readActivation(r), useBias: r.bool('use_bias', true) };
  },
  kerasConfig(c, node) {
    return {
      ...kerasBase(node.name),
      filters: c.filters,
      ...kerasWindow(c),
      groups: 1,
      activation: c.activation,
      use_bias: c.useBias,
      kernel_initializer: GLOROT,
      bias_initializer: ZEROS,
      ...NO_REGULARIZERS,
    };
  },
  outputShape(c, inputShapes) {
    const [h, w] = imageShape(inputShapes, 'Conv2D');
    return [...windowOut(h, w, c.kernelSize, c.strides, c.dilationRate, c.padding, 'Conv2D'), c.filters];
  },
  weightSpecs(c, inputShapes) {
    const [, , ch] = imageShape(inputShapes, 'Conv2D');
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [...c.kernelSize, ch, c.filters], trainable: true, init: 'glorot_uniform' }];
    if (c.useBias) {
      specs.push({ name: 'bias', shape: [c.filters], trainable: true, init: 'zeros' });
    }
    return specs;
  },
  prunable: ['kernel'],
  int8Weights: [{ weight: 'kernel', channels: LAST_AXIS_CHANNELS }],
  forward(c, w, inputs) {
    let y: tf.Tensor = tf.conv2d(inputs[0] as tf.Tensor4D, w[0] as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
    if (c.useBias) {
      y = tf.add(y, w[1]);
    }
    return applyActivation(c.activation, y);
  },
  macs(c, inputShapes, out) {
    const [, , ch] = imageShape(inputShapes, 'Conv2D');
    return out[0] * out[1] * c.filters * c.kernelSize[0] * c.kernelSize[1] * ch;
  },
};
