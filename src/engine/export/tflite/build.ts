/**
 * MlpModel → TfliteGraph in each deployment mode:
 * - float32: FULLY_CONNECTED (+ SOFTMAX) on float weights;
 * - float16: weights and biases stored as float16, DEQUANTIZE'd to float32 at load;
 * - dynamic-int8: the converter's Optimize.DEFAULT without calibration: kernels with at least
 *   1024 elements stored as int8 symmetric per-tensor, in the weight-only form (constant
 *   DEQUANTIZE → float FULLY_CONNECTED) by default, or as a hybrid FULLY_CONNECTED;
 * - full-int8: int8 activations from a representative dataset, int8 weights (per-channel or
 *   per-tensor), int32 biases, fused RELU, int8 SOFTMAX; float I/O via QUANTIZE/DEQUANTIZE
 *   or int8 I/O.
 * FULLY_CONNECTED weights are [units, inputDim] (the transpose of the Keras kernel).
 *
 * Why the default forms (measured in the tfjs-tflite wasm runtime, which applies the XNNPACK
 * delegate; profile with enableProfiling): XNNPACK there has F32/F16/QS8/QU8 fully-connected
 * operators but no per-channel (QC8) one and no hybrid one, so a per-channel int8
 * FULLY_CONNECTED or a hybrid FULLY_CONNECTED stays in TFLite's builtin kernel (784-128-10,
 * one sample: ~345 µs and ~72 µs, vs ~11 µs for float32). XNNPACK does have a QC8
 * convolution, and a Dense layer on one sample is exactly a 1×1 VALID CONV_2D over an NHWC
 * [1, 1, 1, in] view with the same [out, 1, 1, in] int8 weights, per-channel scales along
 * dimension 0 and the same int32 bias: that form runs in ~6 µs. XNNPACK also folds a constant
 * int8 DEQUANTIZE into float weights, so the weight-only dynamic-range form runs at float
 * speed. Per-tensor full-int8 keeps FULLY_CONNECTED v4 (XNNPACK QS8, ~6 µs).
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

function buildFloat(model: MlpModel, mode: 'float32' | 'float16' | 'dynamic-int8', opts: BuildOptions): TfliteGraph {
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
      // int8 weights (symmetric, per-tensor) stored once and DEQUANTIZE'd to float, as the
      // converter's weight-only form: XNNPACK folds the constant DEQUANTIZE at load and runs
      // the float GEMM, where the hybrid FULLY_CONNECTED (v9) falls back to TFLite's builtin
      // kernel, ~6x slower in the tfjs-tflite runtime ('hybrid' form, kept for comparison).
      const { q, scales } = quantizeSymmetric(wT, l.units, l.inputDim, false);
      const wq = g.add({ name: `${wName}_int8`, shape: [l.units, l.inputDim], type: TensorType.INT8, data: bytesOf(q), quant: perTensor(scales[0], 0) });
      b = g.add({ name: bName, shape: [l.units], type: TensorType.FLOAT32, data: bytesOf(l.bias) });
      if (opts.dynamicForm === 'hybrid') {
        w = wq;
        hybrid = true;
      } else {
        w = g.add({ name: wName, shape: [l.units, l.inputDim], type: TensorType.FLOAT32 });
        g.op({ op: BuiltinOperator.DEQUANTIZE, version: 2, inputs: [wq], outputs: [w], options: { kind: 'dequantize' } });
      }
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

/** RESHAPE to a fixed shape (given both as the shape input and in the options, like the converter). */
function reshape(g: GraphBuilder, x: number, shape: number[], name: string): number {
  const t = g.tensors[x];
  const shapeT = g.add({ name: `${name}/shape`, shape: [shape.length], type: TensorType.INT32, data: bytesOf(Int32Array.from(shape)) });
  const y = g.add({ name, shape, shapeSignature: [-1, ...shape.slice(1)], type: t.type, quant: t.quant });
  g.op({ op: BuiltinOperator.RESHAPE, version: 1, inputs: [x, shapeT], outputs: [y], options: { kind: 'reshape', newShape: shape } });
  return y;
}

function buildFullInt8(qm: QuantizedMlp, int8Io: boolean, perChannelAs: 'conv2d' | 'fully-connected'): TfliteGraph {
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
  // Per-channel weights go in as 1×1 CONV_2D on an NHWC [1, 1, 1, C] view (see module doc).
  const asConv = qm.perChannel && perChannelAs === 'conv2d';
  if (asConv) {
    x = reshape(g, x, [1, 1, 1, qm.inputDim], 'sequential/flatten_nhwc');
  }
  qm.layers.forEach((l, i) => {
    const last = i === qm.layers.length - 1;
    const zeros = (n: number): number[] => new Array<number>(n).fill(0);
    const w = g.add({
      name: `sequential/${l.name}/MatMul`,
      shape: asConv ? [l.units, 1, 1, l.inputDim] : [l.units, l.inputDim],
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
    const yName = `sequential/${l.name}/${l.relu ? 'Relu' : 'BiasAdd'}`;
    const yQuant = perTensor(l.output.scale, l.output.zeroPoint);
    const y = asConv
      ? g.add({ name: yName, shape: [1, 1, 1, l.units], shapeSignature: [-1, 1, 1, l.units], type: TensorType.INT8, quant: yQuant })
      : g.add(activationTensor(yName, l.units, TensorType.INT8, yQuant));
    const fusedActivation = l.relu ? 'RELU' : 'NONE';
    g.op(
      asConv
        ? { op: BuiltinOperator.CONV_2D, version: 3, inputs: [x, w, b], outputs: [y], options: { kind: 'conv2d', fusedActivation } }
        : {
            op: BuiltinOperator.FULLY_CONNECTED,
            version: 4,
            inputs: [x, w, b],
            outputs: [y],
            options: { kind: 'fullyConnected', fusedActivation, keepNumDims: false, asymmetricQuantizeInputs: false },
          },
    );
    x = y;
    if (asConv && (l.softmax || last)) {
      x = reshape(g, x, [1, l.units], `sequential/${l.name}/${l.relu ? 'Relu' : 'BiasAdd'}_2d`);
    }
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
    description: `model-optimizer full-int8 (${qm.perChannel ? (asConv ? 'per-channel weights as 1x1 CONV_2D' : 'per-channel weights') : 'per-tensor weights'}, ${int8Io ? 'int8' : 'float'} I/O)`,
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
  /**
   * full-int8 with per-channel weights: 'conv2d' (default) = each Dense as a 1×1 CONV_2D on an
   * NHWC view, which XNNPACK runs (QC8 convolution); 'fully-connected' = the converter's
   * FULLY_CONNECTED v4 with per-channel scales, which this runtime's XNNPACK cannot take
   * (it has no QC8 fully-connected operator) and TFLite runs in its slow builtin kernel.
   */
  perChannelAs?: 'conv2d' | 'fully-connected';
  /**
   * dynamic-int8: 'dequantize' (default) = int8 weights + DEQUANTIZE → float FULLY_CONNECTED
   * (weight-only; XNNPACK folds the DEQUANTIZE at load); 'hybrid' = FULLY_CONNECTED v9 on int8
   * weights with activations quantized at run time (TFLite's builtin hybrid kernel).
   */
  dynamicForm?: 'dequantize' | 'hybrid';
}

export function buildTfliteGraph(model: MlpModel, mode: TfliteMode, opts: BuildOptions = {}): TfliteGraph {
  validateModel(model, `TFLite ${mode}`);
  switch (mode) {
    case 'float32':
    case 'float16':
    case 'dynamic-int8':
      return buildFloat(model, mode, opts);
    case 'full-int8':
      if (!opts.quantized) {
        throw new Error('full-int8 export needs the calibrated model (quantizeFullInt8)');
      }
      return buildFullInt8(opts.quantized, !!opts.int8Io, opts.perChannelAs ?? 'conv2d');
  }
}
