/**
 * What MaxPooling2D and AveragePooling2D share: pool_size (default 2), strides (default =
 * pool_size, as Keras), 'valid'/'same' padding; the kinds differ only in their op.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayerKind } from '../kind';
import { ConfigReader, kerasBase } from './config';
import { imageShape, windowOut, type Padding } from './conv';

export interface PoolConfig extends Record<string, unknown> {
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

export function poolKind(className: string, op: (x: tf.Tensor4D, c: PoolConfig) => tf.Tensor): LayerKind<PoolConfig> {
  return {
    className,
    parseConfig(keras, where) {
      const r = new ConfigReader(keras, where);
      r.channelsLast();
      const poolSize = r.pair('pool_size', [2, 2]);
      return { poolSize, strides: r.pair('strides', poolSize), padding: r.oneOf('padding', ['valid', 'same'], 'valid') };
    },
    kerasConfig(c, node) {
      return { ...kerasBase(node.name), pool_size: c.poolSize, padding: c.padding, strides: c.strides, data_format: 'channels_last' };
    },
    outputShape(c, inputShapes) {
      const [h, w, ch] = imageShape(inputShapes, className);
      return [...windowOut(h, w, c.poolSize, c.strides, [1, 1], c.padding, className), ch];
    },
    weightSpecs() {
      return [];
    },
    prunable: [],
    forward(c, _w, inputs) {
      return op(inputs[0] as tf.Tensor4D, c);
    },
    macs() {
      return 0;
    },
  };
}

export interface GlobalPoolConfig extends Record<string, unknown> {
  keepdims: boolean;
}

export function globalPoolKind(className: string, op: (x: tf.Tensor, keepDims: boolean) => tf.Tensor): LayerKind<GlobalPoolConfig> {
  return {
    className,
    parseConfig(keras, where) {
      const r = new ConfigReader(keras, where);
      r.channelsLast();
      return { keepdims: r.bool('keepdims', false) };
    },
    kerasConfig(c, node) {
      return { ...kerasBase(node.name), data_format: 'channels_last', keepdims: c.keepdims };
    },
    outputShape(c, inputShapes) {
      const [, , ch] = imageShape(inputShapes, className);
      return c.keepdims ? [1, 1, ch] : [ch];
    },
    weightSpecs() {
      return [];
    },
    prunable: [],
    forward(c, _w, inputs) {
      return op(inputs[0], c.keepdims);
    },
    macs() {
      return 0;
    },
  };
}
