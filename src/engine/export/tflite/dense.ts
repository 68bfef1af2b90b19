/**
 * Finding the Dense layers in a TFLite graph, whichever form they were written in: a
 * FULLY_CONNECTED, or a 1×1 CONV_2D (our per-channel full-int8 form), with weights either
 * constant or produced by a DEQUANTIZE of a constant (float16, weight-only int8).
 */
import type { TfliteGraph, TfliteOperator } from './graph';
import { BuiltinOperator } from './schema';

/**
 * An operator with a weight tensor at input 1 (inputs: activation, weights, bias): a Dense layer's
 * FULLY_CONNECTED or 1×1 CONV_2D, a convolution's CONV_2D or DEPTHWISE_CONV_2D.
 */
export function isDenseOp(o: TfliteOperator): boolean {
  return o.op === BuiltinOperator.FULLY_CONNECTED || o.op === BuiltinOperator.CONV_2D || o.op === BuiltinOperator.DEPTHWISE_CONV_2D;
}

/** The tensor holding the stored weights of tensor `t`: itself, or the constant a DEQUANTIZE reads. */
export function storedWeights(g: TfliteGraph, t: number): number {
  const p = g.operators.find((o) => o.outputs.includes(t));
  if (p && p.op === BuiltinOperator.DEQUANTIZE && g.tensors[p.inputs[0]].data) {
    return p.inputs[0];
  }
  return t;
}
