/**
 * Shape arithmetic shared by the convolution and pooling kinds (TensorFlow's rules):
 * 'valid' → ceil((n − (k − 1)·d) / s), 'same' → ceil(n / s).
 */
import { BadInputError } from '../../errors';
import type { Shape } from '../../graph/types';
import type { ConfigReader } from './config';

export type Padding = 'valid' | 'same';

export function convOutSize(n: number, k: number, s: number, d: number, padding: Padding): number {
  if (padding === 'same') {
    return Math.ceil(n / s);
  }
  return Math.ceil((n - (k - 1) * d) / s);
}

/** [H, W, C] of an image input, or a BadInputError naming the layer. */
export function imageShape(inputShapes: Shape[], where: string): [number, number, number] {
  if (inputShapes.length !== 1) {
    throw new BadInputError(`${where} takes one input, got ${inputShapes.length}.`, where);
  }
  const s = inputShapes[0];
  if (s.length !== 3) {
    throw new BadInputError(`${where} needs an image input [height, width, channels], got [${s.join(', ')}]. Add a Reshape layer before it (e.g. target shape [28, 28, 1]).`, where);
  }
  return [s[0], s[1], s[2]];
}

/** Spatial output size of a window op, failing clearly when the window does not fit. */
export function windowOut(h: number, w: number, k: [number, number], s: [number, number], d: [number, number], padding: Padding, where: string): [number, number] {
  const ho = convOutSize(h, k[0], s[0], d[0], padding);
  const wo = convOutSize(w, k[1], s[1], d[1], padding);
  if (ho < 1 || wo < 1) {
    throw new BadInputError(`${where}: a ${k[0]}×${k[1]} window (dilation ${d.join('×')}) does not fit a ${h}×${w} input with padding 'valid'. Use padding 'same' or a smaller kernel.`, where);
  }
  return [ho, wo];
}

export function singleInput(inputShapes: Shape[], where: string): Shape {
  if (inputShapes.length !== 1) {
    throw new BadInputError(`${where} takes one input, got ${inputShapes.length}.`, where);
  }
  return inputShapes[0];
}

export function product(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** The window settings Conv2D, DepthwiseConv2D and SeparableConv2D share. */
export interface ConvWindow {
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  dilationRate: [number, number];
}

export function readConvWindow(r: ConfigReader): ConvWindow {
  r.channelsLast();
  r.refuseUnless('groups', (v) => v === 1, 'grouped convolutions are not supported.');
  const w: ConvWindow = {
    kernelSize: r.pair('kernel_size'),
    strides: r.pair('strides', [1, 1]),
    padding: r.oneOf('padding', ['valid', 'same'], 'valid'),
    dilationRate: r.pair('dilation_rate', [1, 1]),
  };
  if ((w.strides[0] > 1 || w.strides[1] > 1) && (w.dilationRate[0] > 1 || w.dilationRate[1] > 1)) {
    r.fail('strides', 'greater than 1 cannot be combined with a dilation rate greater than 1 (Keras refuses it too).');
  }
  return w;
}

/** Keras' spelling of a ConvWindow in a layer config. */
export function kerasWindow(w: ConvWindow): Record<string, unknown> {
  return { kernel_size: w.kernelSize, strides: w.strides, padding: w.padding, data_format: 'channels_last', dilation_rate: w.dilationRate };
}
