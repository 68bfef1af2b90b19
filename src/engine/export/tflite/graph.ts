/**
 * An in-memory TFLite graph: what the writer serializes and the reader returns. One
 * subgraph, builtin operators only — enough for Dense MLPs in every quantization mode.
 */
import type { BuiltinOperatorValue, TensorTypeValue } from './schema';

export interface TensorQuant {
  scale: number[];
  zeroPoint: number[];
  /** Axis the scales run along when there is more than one (per-channel). */
  quantizedDimension: number;
  min?: number[];
  max?: number[];
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  /** Same as shape with -1 for the batch dimension; written when given. */
  shapeSignature?: number[];
  type: TensorTypeValue;
  /** Constant data (little-endian bytes of `type`), or undefined for activations. */
  data?: Uint8Array;
  quant?: TensorQuant;
}

export type FusedActivation = 'NONE' | 'RELU' | 'RELU6';

/** A convolution's window in TFLite's terms ([height, width] pairs). */
export interface ConvWindowOptions {
  padding: 'SAME' | 'VALID';
  strides: [number, number];
  dilation: [number, number];
}

export type OpOptions =
  | { kind: 'none' }
  | { kind: 'fullyConnected'; fusedActivation: FusedActivation; asymmetricQuantizeInputs: boolean; keepNumDims: boolean }
  | { kind: 'softmax'; beta: number }
  /**
   * CONV_2D. Without a window (strides, padding, dilation) it is the 1×1 stride-1 VALID form a
   * per-channel int8 Dense layer takes to reach XNNPACK's QC8 kernels (see build.ts).
   */
  | { kind: 'conv2d'; fusedActivation: FusedActivation; window?: ConvWindowOptions }
  | { kind: 'depthwiseConv2d'; fusedActivation: FusedActivation; window: ConvWindowOptions; depthMultiplier: number }
  | { kind: 'pool2d'; fusedActivation: FusedActivation; padding: 'SAME' | 'VALID'; strides: [number, number]; filter: [number, number] }
  | { kind: 'concatenation'; axis: number; fusedActivation: FusedActivation }
  | { kind: 'add'; fusedActivation: FusedActivation }
  | { kind: 'mul'; fusedActivation: FusedActivation }
  | { kind: 'reducer'; keepDims: boolean }
  | { kind: 'pad' }
  | { kind: 'hardSwish' }
  | { kind: 'reshape'; newShape: number[] }
  | { kind: 'quantize' }
  | { kind: 'dequantize' };

export interface TfliteOperator {
  op: BuiltinOperatorValue;
  /** Operator version stored in the operator code (the runtime checks it). */
  version: number;
  inputs: number[];
  outputs: number[];
  options: OpOptions;
}

export interface TfliteGraph {
  description: string;
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
  /** Subgraph name (the converter writes 'main'). */
  name: string;
}
