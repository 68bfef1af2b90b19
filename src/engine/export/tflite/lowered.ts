/**
 * A model lowered to TFLite's operators, still in float: the step between a ModelGraph (Keras
 * layers) and a .tflite file in one of the four variants. Each layer kind lowers itself
 * (src/engine/layers/<kind>/tflite.ts); generic passes then do what the TFLite converter does
 * across layers (fold BatchNormalization into the conv/dense before it, fuse ReLU/ReLU6 into
 * the op before it, drop identities). The same IR is what calibration runs (floatRef.ts), what
 * the int8 reference kernels run (int8Ref.ts) and what emit.ts writes, so the three can never
 * disagree about the graph.
 *
 * Shapes are per sample (no batch dimension), NHWC. Weights are in TFLite's layouts:
 * CONV_2D filters OHWI, DEPTHWISE_CONV_2D filters 1HWC (C = in·multiplier), FULLY_CONNECTED
 * weights [out, in].
 */
import type { LayerNode, WeightTensor } from '../../graph/types';

export type FusedAct = 'NONE' | 'RELU' | 'RELU6';
export type PadMode = 'same' | 'valid';

export interface LTensor {
  name: string;
  shape: number[];
}

interface OpBase {
  inputs: number[];
  output: number;
  /** The layer this op came from (for names and messages). */
  layer: string;
}

export interface ConvOp extends OpBase {
  type: 'conv2d' | 'depthwise';
  /** OHWI for conv2d; [1, kh, kw, in·mult] for depthwise. */
  filter: Float32Array;
  filterShape: [number, number, number, number];
  bias: Float32Array;
  strides: [number, number];
  dilation: [number, number];
  padding: PadMode;
  depthMultiplier: number;
  act: FusedAct;
}

export interface FcOp extends OpBase {
  type: 'fc';
  /** [out, in]. */
  weights: Float32Array;
  units: number;
  bias: Float32Array;
  act: FusedAct;
}

export interface PoolOp extends OpBase {
  type: 'maxPool' | 'avgPool';
  pool: [number, number];
  strides: [number, number];
  padding: PadMode;
}

export interface ReduceOp extends OpBase {
  type: 'mean' | 'reduceMax';
  keepDims: boolean;
}

export interface SimpleOp extends OpBase {
  type: 'reshape' | 'softmax' | 'logistic' | 'tanh' | 'hardSwish' | 'relu' | 'relu6';
}

export interface AddOp extends OpBase {
  type: 'add';
  act: FusedAct;
}

/** Elementwise product of two tensors of the same shape (swish: x · sigmoid(x)). */
export interface MulOp extends OpBase {
  type: 'mul';
}

export interface ConcatOp extends OpBase {
  type: 'concat';
  /** Per-sample axis (0-based, no batch). */
  axis: number;
  act: FusedAct;
}

export interface PadOp extends OpBase {
  type: 'pad';
  /** [[top, bottom], [left, right]] for an NHWC image. */
  paddings: [[number, number], [number, number]];
}

/** y = x·scale[c] + shift[c] on the last axis: an unfolded BatchNormalization (MUL + ADD), or a Rescaling. */
export interface AffineOp extends OpBase {
  type: 'affine';
  scale: Float32Array;
  shift: Float32Array;
}

export type LOp = ConvOp | FcOp | PoolOp | ReduceOp | SimpleOp | AddOp | MulOp | ConcatOp | PadOp | AffineOp;

export interface Lowered {
  name: string;
  tensors: LTensor[];
  ops: LOp[];
  input: number;
  output: number;
  /**
   * Which lowered tensor holds each layer's output ('conv2d'), a layer's value before an
   * unfused activation ('dense:pre') and the input (':input'), for the tensors that survive
   * folding and fusion: how quantization-aware training's ranges find their tensors.
   */
  sites?: Record<string, number>;
}

/** What a kind's lowering may do. */
export interface TfliteLowerContext {
  /** Per-sample shape of tensor `t`. */
  shape(t: number): number[];
  tensor(shape: number[], name: string): number;
  op(op: LOp): void;
  /** The node's weight by Keras name; a clear error when missing or of the wrong size. */
  weight(node: LayerNode, name: string, shape?: number[]): WeightTensor;
  /** Applies a Keras activation by name after tensor `x` (identity for 'linear'). */
  activation(x: number, activation: string, node: LayerNode): number;
}

/**
 * One layer kind's TFLite lowering: emits ops reading `inputs` and returns the tensor holding
 * the layer's output (an input itself for identities such as Dropout).
 */
export type TfliteLowering = (ctx: TfliteLowerContext, node: LayerNode, inputs: number[]) => number;

/**
 * Runs one sample through `l` op by op in topological order with `run` (the float reference,
 * the int8 reference): the one graph walk both references share. `visit(t, v)` sees every
 * tensor's values (the input first). Returns the values of every tensor.
 */
export function walkLowered<T>(
  l: Lowered,
  input: T,
  run: (op: LOp, k: number, ins: T[], inShapes: number[][], outShape: number[]) => T,
  visit?: (t: number, v: T) => void,
): Map<number, T> {
  const values = new Map<number, T>([[l.input, input]]);
  visit?.(l.input, input);
  l.ops.forEach((op, k) => {
    const y = run(
      op,
      k,
      op.inputs.map((t) => values.get(t) as T),
      op.inputs.map((t) => l.tensors[t].shape),
      l.tensors[op.output].shape,
    );
    values.set(op.output, y);
    visit?.(op.output, y);
  });
  return values;
}
