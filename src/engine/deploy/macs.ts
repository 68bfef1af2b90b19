/**
 * Multiply-accumulates per TFLite operator, in closed form from the tensor shapes stored in
 * the file (NHWC activations; FULLY_CONNECTED weights [units, depth]; CONV_2D filters
 * [out, kh, kw, in]; DEPTHWISE_CONV_2D filters [1, kh, kw, out]).
 */
import type { TfliteGraph, TfliteOperator } from '../export/tflite/graph';
import { BuiltinOperator } from '../export/tflite/schema';

const count = (shape: number[]): number => shape.reduce((a, b) => a * Math.max(b, 1), 1);

/** MACs one invocation of `op` performs (0 for data movement: reshape, quantize, …). */
export function operatorMacs(g: TfliteGraph, op: TfliteOperator): number {
  const shape = (i: number): number[] => (i >= 0 ? g.tensors[i].shape : []);
  const out = shape(op.outputs[0]);
  switch (op.op) {
    case BuiltinOperator.FULLY_CONNECTED: {
      // Each output element is a dot product over the weights' depth (the last dim).
      const w = shape(op.inputs[1]);
      return count(out) * (w[w.length - 1] ?? 0);
    }
    case BuiltinOperator.CONV_2D: {
      const f = shape(op.inputs[1]); // [out, kh, kw, in]
      return count(out) * f[1] * f[2] * f[3];
    }
    case BuiltinOperator.DEPTHWISE_CONV_2D: {
      const f = shape(op.inputs[1]); // [1, kh, kw, out]
      return count(out) * f[1] * f[2];
    }
    case BuiltinOperator.AVERAGE_POOL_2D:
    case BuiltinOperator.MAX_POOL_2D: {
      // One accumulate (or compare) per window element per output element.
      const o = op.options;
      return o.kind === 'pool2d' ? count(out) * o.filter[0] * o.filter[1] : 0;
    }
    case BuiltinOperator.MEAN:
    case BuiltinOperator.REDUCE_MAX:
      // Every input element is accumulated once.
      return count(shape(op.inputs[0]));
    case BuiltinOperator.ADD:
    case BuiltinOperator.MUL:
      return count(out);
    default:
      return 0;
  }
}
