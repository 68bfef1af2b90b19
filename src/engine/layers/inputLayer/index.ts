/**
 * InputLayer: where samples enter the graph. Its shape is the per-sample input shape
 * (no batch dimension): Keras 2 writes `batch_input_shape: [null, …]`, Keras 3
 * `batch_shape`, TF.js `batchInputShape`; `input_shape`/`shape` are accepted too.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Shape } from '../../graph/types';
import type { LayerKind } from '../kind';
import { ConfigReader } from '../common/config';
import { inputLayerTflite } from './tflite';

export interface InputLayerConfig extends Record<string, unknown> {
  shape: number[];
}

function readShape(r: ConfigReader): number[] {
  for (const key of ['batch_input_shape', 'batch_shape']) {
    const v = r.get(key);
    if (Array.isArray(v)) {
      return checkDims(r, key, v.slice(1));
    }
  }
  for (const key of ['input_shape', 'shape']) {
    const v = r.get(key);
    if (Array.isArray(v)) {
      return checkDims(r, key, v);
    }
  }
  return r.fail('batch_input_shape', 'is missing: the input shape must be known (e.g. [null, 28, 28, 1]).');
}

function checkDims(r: ConfigReader, key: string, dims: unknown[]): number[] {
  if (dims.length === 0 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 1 << 24)) {
    r.fail(key, `must list positive sizes after the batch dimension, got ${JSON.stringify(r.get(key))}; variable sizes (null) are not supported.`);
  }
  return dims as number[];
}

export const inputLayer: LayerKind<InputLayerConfig> = {
  className: 'InputLayer',
  tflite: inputLayerTflite,
  parseConfig(keras, where) {
    const r = new ConfigReader(keras, where);
    r.refuseUnless('sparse', (v) => v === false || v === null, 'sparse inputs are not supported.');
    r.refuseUnless('ragged', (v) => v === false || v === null, 'ragged inputs are not supported.');
    return { shape: readShape(r) };
  },
  kerasConfig(config, node) {
    return { batch_input_shape: [null, ...config.shape], dtype: 'float32', sparse: false, ragged: false, name: node.name };
  },
  outputShape(config): Shape {
    return [...config.shape];
  },
  weightSpecs() {
    return [];
  },
  prunable: [],
  forward(_config, _weights, inputs: tf.Tensor[]) {
    return inputs[0];
  },
  macs() {
    return 0;
  },
};
