/**
 * Layer-graph models for the TFLite tests, built against the ModelGraph contract
 * (src/engine/graph/types.ts) with configs in the kinds' parsed form, and an independent float
 * reference: each layer computed with stock tfjs-core ops (conv2d, depthwiseConv2d, pools,
 * batchNorm, …) on the cpu backend, never through the exporter's lowering.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayerNode, ModelGraph, WeightTensor } from '../../src/engine/graph/types';
import { rng } from './export-helpers';

type Init = 'glorot' | 'zeros' | 'ones' | 'bias' | 'var' | 'small';

function weight(r: () => number, name: string, shape: number[], init: Init, fanIn = 1, fanOut = 1): WeightTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  const f = (): number => {
    switch (init) {
      case 'glorot':
        return 2 * lim * r();
      case 'zeros':
        return 0;
      case 'ones':
        return 1 + 0.4 * r();
      case 'bias':
        return 0.1 * r();
      case 'var':
        return 0.5 + 1.5 * (r() + 0.5);
      case 'small':
        return 0.3 * r();
    }
  };
  return { name, shape, data: Float32Array.from({ length: n }, f), trainable: init !== 'var' };
}

export class GraphMaker {
  readonly layers: LayerNode[] = [];
  private readonly r: () => number;
  constructor(seed: number) {
    this.r = rng(seed);
  }
  input(name: string, shape: number[]): string {
    this.layers.push({ name, className: 'InputLayer', config: { shape }, inbound: [], weights: [] });
    return name;
  }
  add(className: string, name: string, inbound: string[], config: Record<string, unknown>, weights: [string, number[], Init, number?, number?][] = []): string {
    this.layers.push({ name, className, config, inbound, weights: weights.map(([n, s, i, fi, fo]) => weight(this.r, n, s, i, fi, fo)) });
    return name;
  }
  graph(name: string, input: string, output: string): ModelGraph {
    return { name, layers: this.layers, inputs: [input], outputs: [output] };
  }
}

const conv = (filters: number, k: number, extra: Record<string, unknown> = {}) => ({
  filters,
  kernelSize: [k, k],
  strides: [1, 1],
  padding: 'valid',
  dilationRate: [1, 1],
  activation: 'relu',
  useBias: true,
  ...extra,
});

/** The simple MNIST convnet: Conv(f1,3)-Pool-Conv(f2,3)-Pool-Flatten-Dropout-Dense10 softmax. */
export function convnet(seed = 1, f1 = 8, f2 = 16): ModelGraph {
  const m = new GraphMaker(seed);
  const x = m.input('input_1', [28, 28, 1]);
  let h = m.add('Conv2D', 'conv2d', [x], conv(f1, 3), [['kernel', [3, 3, 1, f1], 'glorot', 9, 9 * f1], ['bias', [f1], 'bias']]);
  h = m.add('MaxPooling2D', 'max_pooling2d', [h], { poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
  h = m.add('Conv2D', 'conv2d_1', [h], conv(f2, 3), [['kernel', [3, 3, f1, f2], 'glorot', 9 * f1, 9 * f2], ['bias', [f2], 'bias']]);
  h = m.add('MaxPooling2D', 'max_pooling2d_1', [h], { poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
  h = m.add('Flatten', 'flatten', [h], {});
  h = m.add('Dropout', 'dropout', [h], { rate: 0.5 });
  const y = m.add('Dense', 'dense', [h], { units: 10, activation: 'softmax', useBias: true }, [['kernel', [5 * 5 * f2, 10], 'glorot', 5 * 5 * f2, 10], ['bias', [10], 'bias']]);
  return m.graph('mnist_convnet', x, y);
}

const bn = (c: number): [string, number[], Init][] => [
  ['gamma', [c], 'ones'],
  ['beta', [c], 'bias'],
  ['moving_mean', [c], 'small'],
  ['moving_variance', [c], 'var'],
];
const BN = { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true };

/**
 * A small Functional model with BatchNormalization, DepthwiseConv2D, Add and
 * GlobalAveragePooling2D (and, with `extras`, SeparableConv2D, Concatenate, ZeroPadding2D,
 * AveragePooling2D, GlobalMaxPooling2D, sigmoid/tanh, ReLU6 and an unfoldable BatchNormalization).
 */
export function functional(seed = 2, extras = false): ModelGraph {
  const m = new GraphMaker(seed);
  const x = m.input('input_1', [28, 28, 1]);
  let h = m.add('Conv2D', 'conv2d', [x], conv(8, 3, { strides: [2, 2], padding: 'same', activation: 'linear', useBias: false }), [['kernel', [3, 3, 1, 8], 'glorot', 9, 72]]);
  h = m.add('BatchNormalization', 'batch_normalization', [h], BN, bn(8));
  const a = m.add('Activation', 'activation', [h], { activation: 'relu' });
  h = m.add('DepthwiseConv2D', 'depthwise_conv2d', [a], { kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1], depthMultiplier: 1, activation: 'linear', useBias: false }, [
    ['depthwise_kernel', [3, 3, 8, 1], 'glorot', 9, 9],
  ]);
  h = m.add('BatchNormalization', 'batch_normalization_1', [h], BN, bn(8));
  h = m.add('ReLU', 're_lu', [h], { maxValue: extras ? 6 : null, negativeSlope: 0, threshold: 0 });
  h = m.add('Conv2D', 'conv2d_1', [h], conv(8, 1, { activation: 'linear' }), [['kernel', [1, 1, 8, 8], 'glorot', 8, 8], ['bias', [8], 'bias']]);
  h = m.add('Add', 'add', [h, a], {});
  if (extras) {
    const s = m.add('SeparableConv2D', 'separable_conv2d', [h], { filters: 8, kernelSize: [3, 3], strides: [1, 1], padding: 'same', dilationRate: [1, 1], depthMultiplier: 1, activation: 'tanh', useBias: true }, [
      ['depthwise_kernel', [3, 3, 8, 1], 'glorot', 9, 9],
      ['pointwise_kernel', [1, 1, 8, 8], 'glorot', 8, 8],
      ['bias', [8], 'bias'],
    ]);
    const p = m.add('ZeroPadding2D', 'zero_padding2d', [h], { padding: [[1, 1], [1, 1]] });
    const q = m.add('AveragePooling2D', 'average_pooling2d', [p], { poolSize: [3, 3], strides: [1, 1], padding: 'valid' });
    h = m.add('Concatenate', 'concatenate', [s, q], { axis: -1 });
    h = m.add('Activation', 'activation_1', [h], { activation: 'sigmoid' });
    const g1 = m.add('GlobalAveragePooling2D', 'global_average_pooling2d', [h], { keepdims: false });
    const g2 = m.add('GlobalMaxPooling2D', 'global_max_pooling2d', [h], { keepdims: false });
    h = m.add('Concatenate', 'concatenate_1', [g1, g2], { axis: -1 });
    h = m.add('BatchNormalization', 'batch_normalization_2', [h], BN, bn(32));
    const y = m.add('Dense', 'dense', [h], { units: 10, activation: 'softmax', useBias: true }, [['kernel', [32, 10], 'glorot', 32, 10], ['bias', [10], 'bias']]);
    return m.graph('functional_extras', x, y);
  }
  h = m.add('GlobalAveragePooling2D', 'global_average_pooling2d', [h], { keepdims: false });
  const y = m.add('Dense', 'dense', [h], { units: 10, activation: 'softmax', useBias: true }, [['kernel', [8, 10], 'glorot', 8, 10], ['bias', [10], 'bias']]);
  return m.graph('functional_bn_dw_add_gap', x, y);
}

/** The parsed-config fields tfjsForward reads. */
interface RefConfig {
  shape: number[];
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  poolSize: [number, number];
  activation: string;
  useBias: boolean;
  keepdims: boolean;
  epsilon: number;
  maxValue: number | null;
  axis: number;
  paddings: never;
}

/** The tfjs-layers getConfig() fields graphFromTfjsLayers reads. */
interface TfjsLayerConfig {
  batchInputShape: number[];
  filters: number;
  kernelSize: number | number[];
  strides: number | number[];
  padding: string;
  dilationRate: number | number[];
  depthMultiplier?: number;
  activation: string;
  useBias: boolean;
  units: number;
  poolSize: number | number[];
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  maxValue?: number;
  rate: number;
}

function act(name: unknown, y: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'tanh':
      return tf.tanh(y);
    case 'softmax':
      return tf.softmax(y);
    case 'swish':
      return tf.mul(y, tf.sigmoid(y));
    case 'hard_sigmoid':
      // Keras 2 / tfjs-layers' definition.
      return tf.clipByValue(tf.add(tf.mul(y, 0.2), 0.5), 0, 1);
    case 'hard_swish':
      return tf.div(tf.mul(y, tf.relu6(tf.add(y, 3))), 6);
    case 'linear':
    case undefined:
      return y;
    default:
      throw new Error(`tfjsForward: activation ${String(name)}`);
  }
}

/** The float reference: stock tfjs-core ops per Keras layer, on a batch [n, ...inputShape]. */
export function tfjsForward(g: ModelGraph, x: Float32Array, n: number): Float32Array {
  return tf.tidy(() => {
    const out = new Map<string, tf.Tensor>();
    for (const l of g.layers) {
      const c = l.config as unknown as RefConfig;
      const w = (name: string): tf.Tensor => {
        const t = l.weights.find((q) => q.name === name) as WeightTensor;
        return tf.tensor(t.data, t.shape);
      };
      const ins = l.inbound.map((i) => out.get(i) as tf.Tensor);
      let y: tf.Tensor;
      switch (l.className) {
        case 'InputLayer':
          y = tf.tensor(x, [n, ...(c.shape)]);
          break;
        case 'Conv2D':
          y = tf.conv2d(ins[0] as tf.Tensor4D, w('kernel') as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
          y = act(c.activation, c.useBias ? tf.add(y, w('bias')) : y);
          break;
        case 'DepthwiseConv2D':
          y = tf.depthwiseConv2d(ins[0] as tf.Tensor4D, w('depthwise_kernel') as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
          y = act(c.activation, c.useBias ? tf.add(y, w('bias')) : y);
          break;
        case 'SeparableConv2D':
          y = tf.separableConv2d(ins[0] as tf.Tensor4D, w('depthwise_kernel') as tf.Tensor4D, w('pointwise_kernel') as tf.Tensor4D, c.strides, c.padding, c.dilationRate, 'NHWC');
          y = act(c.activation, c.useBias ? tf.add(y, w('bias')) : y);
          break;
        case 'Dense':
          y = act(c.activation, tf.add(tf.matMul(ins[0] as tf.Tensor2D, w('kernel') as tf.Tensor2D), w('bias')));
          break;
        case 'MaxPooling2D':
          y = tf.maxPool(ins[0] as tf.Tensor4D, c.poolSize, c.strides, c.padding);
          break;
        case 'AveragePooling2D':
          y = tf.avgPool(ins[0] as tf.Tensor4D, c.poolSize, c.strides, c.padding);
          break;
        case 'GlobalAveragePooling2D':
          y = tf.mean(ins[0], [1, 2], c.keepdims);
          break;
        case 'GlobalMaxPooling2D':
          y = tf.max(ins[0], [1, 2], c.keepdims);
          break;
        case 'Flatten':
          y = tf.reshape(ins[0], [n, -1]);
          break;
        case 'Dropout':
          y = ins[0];
          break;
        case 'BatchNormalization':
          y = tf.batchNorm(ins[0], w('moving_mean'), w('moving_variance'), w('beta'), w('gamma'), c.epsilon);
          break;
        case 'Activation':
          y = act(c.activation, ins[0]);
          break;
        case 'ReLU':
          y = c.maxValue === 6 ? tf.relu6(ins[0]) : tf.relu(ins[0]);
          break;
        case 'Add':
          y = ins.slice(1).reduce((a, b) => tf.add(a, b), ins[0]);
          break;
        case 'Concatenate':
          y = tf.concat(ins, c.axis);
          break;
        case 'Rescaling':
          y = tf.add(tf.mul(ins[0], l.config.scale as number), (l.config.offset as number | undefined) ?? 0);
          break;
        case 'ZeroPadding2D':
          y = tf.pad(ins[0], [[0, 0], ...(l.config.padding as [number, number][]), [0, 0]]);
          break;
        default:
          throw new Error(`tfjsForward: ${l.className}`);
      }
      out.set(l.name, y);
    }
    return (out.get(g.outputs[0]) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** MNIST images as the models take them: float [n, 28, 28, 1] in [0, 1] (bytes scaled by 1/255). */
export function pixelsOf(images: Uint8Array | Float32Array, start: number, count: number): Float32Array {
  const part = images.subarray(start * 784, (start + count) * 784);
  return images instanceof Uint8Array ? Float32Array.from(part, (v) => v / 255) : Float32Array.from(part);
}

/**
 * A ModelGraph from a trained tfjs-layers model (Sequential or Functional) made of the layers
 * these tests use: configs in the kinds' parsed form, weights in Keras layouts.
 */
export function graphFromTfjsLayers(model: import('@tensorflow/tfjs-layers').LayersModel, name: string): ModelGraph {
  const layers: LayerNode[] = [];
  const weightNames: Record<string, string[]> = {
    Conv2D: ['kernel', 'bias'],
    DepthwiseConv2D: ['depthwise_kernel', 'bias'],
    SeparableConv2D: ['depthwise_kernel', 'pointwise_kernel', 'bias'],
    Dense: ['kernel', 'bias'],
    BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  };
  const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);
  const inputName = model.inputs[0].name.replace(/\/.*$/, '');
  const hasInputLayer = model.layers[0].getClassName() === 'InputLayer';
  if (!hasInputLayer) {
    layers.push({ name: inputName, className: 'InputLayer', config: { shape: model.inputs[0].shape.slice(1) }, inbound: [], weights: [] });
  }
  for (const l of model.layers) {
    const cls = l.getClassName();
    const k = l.getConfig() as unknown as TfjsLayerConfig;
    const inbound = cls === 'InputLayer' ? [] : (l.inboundNodes[0]?.inboundLayers ?? []).map((x) => x.name);
    const config: Record<string, unknown> = {};
    switch (cls) {
      case 'InputLayer':
        config.shape = (k.batchInputShape).slice(1);
        break;
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D':
        Object.assign(config, {
          filters: k.filters,
          kernelSize: pair(k.kernelSize),
          strides: pair(k.strides),
          padding: k.padding,
          dilationRate: pair(k.dilationRate),
          depthMultiplier: k.depthMultiplier ?? 1,
          activation: k.activation,
          useBias: k.useBias,
        });
        break;
      case 'Dense':
        Object.assign(config, { units: k.units, activation: k.activation, useBias: k.useBias });
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        Object.assign(config, { poolSize: pair(k.poolSize), strides: pair(k.strides ?? k.poolSize), padding: k.padding });
        break;
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        config.keepdims = false;
        break;
      case 'BatchNormalization':
        Object.assign(config, { axis: -1, momentum: k.momentum, epsilon: k.epsilon, center: k.center, scale: k.scale });
        break;
      case 'Activation':
        config.activation = k.activation;
        break;
      case 'ReLU':
        Object.assign(config, { maxValue: k.maxValue ?? null, negativeSlope: 0, threshold: 0 });
        break;
      case 'Dropout':
        config.rate = k.rate;
        break;
      default:
        break;
    }
    const names = (weightNames[cls] ?? []).filter((n) => n !== 'bias' || k.useBias !== false);
    const ws = l.getWeights();
    layers.push({
      name: l.name,
      className: cls,
      config,
      inbound: cls !== 'InputLayer' && inbound.length === 0 ? [inputName] : inbound,
      weights: ws.map((w, i) => ({ name: names[i], shape: w.shape, data: Float32Array.from(w.dataSync()), trainable: !names[i].startsWith('moving') })),
    });
  }
  return { name, layers, inputs: [hasInputLayer ? model.layers[0].name : inputName], outputs: [model.layers[model.layers.length - 1].name] };
}
