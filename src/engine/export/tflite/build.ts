/**
 * MlpModel → TfliteGraph in each deployment mode:
 * - float32: FULLY_CONNECTED (+ SOFTMAX) on float weights;
 * - float16: weights and biases stored as float16, DEQUANTIZE'd to float32 at load;
 * - dynamic-int8: the converter's Optimize.DEFAULT without calibration: kernels with at least
 *   1024 elements become int8 symmetric per-tensor (hybrid FULLY_CONNECTED, float activations);
 * - full-int8: int8 activations from a representative dataset, int8 weights (per-channel or
 *   per-tensor), int32 biases, fused RELU, int8 SOFTMAX; float I/O via QUANTIZE/DEQUANTIZE
 *   or int8 I/O.
 * FULLY_CONNECTED weights are [units, inputDim] (the transpose of the Keras kernel).
 */
import type { TfliteMode } from '../../../protocol/config';
import type { MlpModel } from '../../model/mlp';
import { toFloat16 } from '../../quantize/float16';
import { quantizeSymmetric } from '../../quantize/int8';
import { SOFTMAX_OUTPUT, transpose, type QuantizedMlp } from '../../quantize/fullInt8';
import { validateModel } from '../validateModel';
import type { TensorQuant, TfliteGraph, TfliteOperator, TfliteTensor } from './graph';
import { BuiltinOperator, TensorType } from './schema';

/** Kernels smaller than this stay float in dynamic-range mode (the converter's threshold). */
export const DYNAMIC_RANGE_MIN_ELEMENTS = 1024;

const bytesOf = (a: Float32Array | Int8Array | Int32Array | Uint16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

class GraphBuilder {
  readonly tensors: TfliteTensor[] = [];
  readonly operators: TfliteOperator[] = [];
  add(t: TfliteTensor): number {
    return this.tensors.push(t) - 1;
  }
  op(o: TfliteOperator): void {
    this.operators.push(o);
  }
}

const INPUT_NAME = 'serving_default_dense_input:0';
const OUTPUT_NAME = 'StatefulPartitionedCall:0';

function activationTensor(name: string, units: number, type: TfliteTensor['type'], quant?: TensorQuant): TfliteTensor {
  return { name, shape: [1, units], shapeSignature: [-1, units], type, quant };
}

const perTensor = (scale: number, zeroPoint: number): TensorQuant => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

function buildFloat(model: MlpModel, mode: 'float32' | 'float16' | 'dynamic-int8'): TfliteGraph {
  const g = new GraphBuilder();
  let x = g.add(activationTensor(INPUT_NAME, model.inputDim, TensorType.FLOAT32));
  const input = x;
  model.layers.forEach((l, i) => {
    const last = i === model.layers.length - 1;
    const wT = transpose(l.kernel, l.inputDim, l.units);
    const wName = `sequential/${l.name}/MatMul`;
    const bName = `sequential/${l.name}/BiasAdd/ReadVariableOp`;
    let w: number;
    let b: number;
    let hybrid = false;
    if (mode === 'float16') {
      const w16 = g.add({ name: `${wName}_fp16`, shape: [l.units, l.inputDim], type: TensorType.FLOAT16, data: bytesOf(toFloat16(wT)) });
      const b16 = g.add({ name: `${bName}_fp16`, shape: [l.units], type: TensorType.FLOAT16, data: bytesOf(toFloat16(l.bias)) });
      w = g.add({ name: wName, shape: [l.units, l.inputDim], type: TensorType.FLOAT32 });
      b = g.add({ name: bName, shape: [l.units], type: TensorType.FLOAT32 });
      g.op({ op: BuiltinOperator.DEQUANTIZE, version: 3, inputs: [w16], outputs: [w], options: { kind: 'dequantize' } });
      g.op({ op: BuiltinOperator.DEQUANTIZE, version: 3, inputs: [b16], outputs: [b], options: { kind: 'dequantize' } });
    } else if (mode === 'dynamic-int8' && wT.length >= DYNAMIC_RANGE_MIN_ELEMENTS) {
      // Per-tensor scale: the runtime's hybrid kernel mishandles per-channel scales.
      const { q, scales } = quantizeSymmetric(wT, l.units, l.inputDim, false);
      w = g.add({ name: wName, shape: [l.units, l.inputDim], type: TensorType.INT8, data: bytesOf(q), quant: perTensor(scales[0], 0) });
      b = g.add({ name: bName, shape: [l.units], type: TensorType.FLOAT32, data: bytesOf(l.bias) });
      hybrid = true;
    } else {
      w = g.add({ name: wName, shape: [l.units, l.inputDim], type: TensorType.FLOAT32, data: bytesOf(wT) });
      b = g.add({ name: bName, shape: [l.units], type: TensorType.FLOAT32, data: bytesOf(l.bias) });
    }
    const fcOutName = last && l.activation !== 'softmax' ? OUTPUT_NAME : `sequential/${l.name}/${l.activation === 'relu' ? 'Relu' : 'BiasAdd'}`;
    const y = g.add(activationTensor(fcOutName, l.units, TensorType.FLOAT32));
    g.op({
      op: BuiltinOperator.FULLY_CONNECTED,
      version: hybrid ? 9 : 1,
      inputs: [x, w, b],
      outputs: [y],
      options: { kind: 'fullyConnected', fusedActivation: l.activation === 'relu' ? 'RELU' : 'NONE', keepNumDims: false, asymmetricQuantizeInputs: hybrid },
    });
    x = y;
    if (l.activation === 'softmax') {
      const s = g.add(activationTensor(last ? OUTPUT_NAME : `sequential/${l.name}/Softmax`, l.units, TensorType.FLOAT32));
      g.op({ op: BuiltinOperator.SOFTMAX, version: 1, inputs: [x], outputs: [s], options: { kind: 'softmax', beta: 1 } });
      x = s;
    }
  });
  return { description: `model-optimizer ${mode}`, name: 'main', tensors: g.tensors, operators: g.operators, inputs: [input], outputs: [x] };
}

function buildFullInt8(qm: QuantizedMlp, int8Io: boolean): TfliteGraph {
  const g = new GraphBuilder();
  let input: number;
  let x: number;
  const inQuant = perTensor(qm.input.scale, qm.input.zeroPoint);
  if (int8Io) {
    input = x = g.add(activationTensor(INPUT_NAME, qm.inputDim, TensorType.INT8, inQuant));
  } else {
    input = g.add(activationTensor(INPUT_NAME, qm.inputDim, TensorType.FLOAT32));
    x = g.add(activationTensor('tfl.quantize', qm.inputDim, TensorType.INT8, inQuant));
    g.op({ op: BuiltinOperator.QUANTIZE, version: 1, inputs: [input], outputs: [x], options: { kind: 'quantize' } });
  }
  qm.layers.forEach((l, i) => {
    const last = i === qm.layers.length - 1;
    const zeros = (n: number): number[] => new Array<number>(n).fill(0);
    const w = g.add({
      name: `sequential/${l.name}/MatMul`,
      shape: [l.units, l.inputDim],
      type: TensorType.INT8,
      data: bytesOf(l.weights),
      quant: { scale: Array.from(l.weightScales), zeroPoint: zeros(l.weightScales.length), quantizedDimension: 0 },
    });
    const b = g.add({
      name: `sequential/${l.name}/BiasAdd/ReadVariableOp`,
      shape: [l.units],
      type: TensorType.INT32,
      data: bytesOf(l.bias),
      quant: { scale: Array.from(l.biasScales), zeroPoint: zeros(l.biasScales.length), quantizedDimension: 0 },
    });
    const y = g.add(activationTensor(`sequential/${l.name}/${l.relu ? 'Relu' : 'BiasAdd'}`, l.units, TensorType.INT8, perTensor(l.output.scale, l.output.zeroPoint)));
    g.op({
      op: BuiltinOperator.FULLY_CONNECTED,
      version: 4,
      inputs: [x, w, b],
      outputs: [y],
      options: { kind: 'fullyConnected', fusedActivation: l.relu ? 'RELU' : 'NONE', keepNumDims: false, asymmetricQuantizeInputs: false },
    });
    x = y;
    if (l.softmax) {
      const s = g.add(activationTensor(`sequential/${l.name}/Softmax`, l.units, TensorType.INT8, perTensor(SOFTMAX_OUTPUT.scale, SOFTMAX_OUTPUT.zeroPoint)));
      g.op({ op: BuiltinOperator.SOFTMAX, version: 2, inputs: [x], outputs: [s], options: { kind: 'softmax', beta: 1 } });
      x = s;
    }
    if (last) {
      g.tensors[x].name = int8Io ? OUTPUT_NAME : g.tensors[x].name;
    }
  });
  let output = x;
  if (!int8Io) {
    output = g.add(activationTensor(OUTPUT_NAME, qm.layers[qm.layers.length - 1].units, TensorType.FLOAT32));
    g.op({ op: BuiltinOperator.DEQUANTIZE, version: 2, inputs: [x], outputs: [output], options: { kind: 'dequantize' } });
  }
  return {
    description: `model-optimizer full-int8 (${qm.perChannel ? 'per-channel' : 'per-tensor'} weights, ${int8Io ? 'int8' : 'float'} I/O)`,
    name: 'main',
    tensors: g.tensors,
    operators: g.operators,
    inputs: [input],
    outputs: [output],
  };
}

export interface BuildOptions {
  /** Required for full-int8: the quantized model (from quantizeFullInt8). */
  quantized?: QuantizedMlp;
  int8Io?: boolean;
}

export function buildTfliteGraph(model: MlpModel, mode: TfliteMode, opts: BuildOptions = {}): TfliteGraph {
  validateModel(model, `TFLite ${mode}`);
  switch (mode) {
    case 'float32':
    case 'float16':
    case 'dynamic-int8':
      return buildFloat(model, mode);
    case 'full-int8':
      if (!opts.quantized) {
        throw new Error('full-int8 export needs the calibrated model (quantizeFullInt8)');
      }
      return buildFullInt8(opts.quantized, !!opts.int8Io);
  }
}
