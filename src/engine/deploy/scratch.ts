/**
 * Scratch buffers TensorFlow Lite Micro's reference kernels request in Prepare
 * (RequestScratchBufferInArena), in request order. They are planned in the arena's head like
 * tensors, alive only while their operator runs, and each costs a ScratchBufferHandle in the
 * tail. Read from tflite-micro's kernels (reduce_common.cc: MEAN/SUM ask for an int32
 * accumulator per output element when quantized, then the input rank and the axis count as
 * ints; REDUCE_MAX/MIN for the last two; conv_common.cc / depthwise_conv_common.cc /
 * fully_connected.cc unpack int4 filters into a scratch copy). No other kernel our exporters
 * write requests scratch.
 */
import type { TfliteGraph } from '../export/tflite/graph';
import { BuiltinOperator } from '../export/tflite/schema';

const INT4 = 17;
/** Builtin codes our schema module does not name (TFLite schema: SUM 74, REDUCE_MIN 89). */
const SUM = 74;
const REDUCE_MIN = 89;
const QUANTIZED_INPUT = new Set<number>([9 /* INT8 */, 7 /* INT16 */]);

const count = (shape: number[]): number => shape.reduce((a, b) => a * Math.max(b, 1), 1);

export function scratchRequests(g: TfliteGraph): { operator: number; bytes: number }[] {
  const out: { operator: number; bytes: number }[] = [];
  g.operators.forEach((op, k) => {
    const t = (i: number) => (op.inputs[i] !== undefined && op.inputs[i] >= 0 ? g.tensors[op.inputs[i]] : undefined);
    const input = t(0);
    switch (op.op as number) {
      case BuiltinOperator.MEAN:
      case SUM: {
        if (!input) {break;}
        const axisCount = count(t(1)?.shape ?? [1]);
        if (QUANTIZED_INPUT.has(input.type)) {
          out.push({ operator: k, bytes: 4 * count(g.tensors[op.outputs[0]].shape) });
        }
        out.push({ operator: k, bytes: 4 * input.shape.length }, { operator: k, bytes: 4 * axisCount });
        break;
      }
      case BuiltinOperator.REDUCE_MAX:
      case REDUCE_MIN: {
        if (!input) {break;}
        out.push({ operator: k, bytes: 4 * input.shape.length }, { operator: k, bytes: 4 * count(t(1)?.shape ?? [1]) });
        break;
      }
      case BuiltinOperator.CONV_2D:
      case BuiltinOperator.DEPTHWISE_CONV_2D:
      case BuiltinOperator.FULLY_CONNECTED: {
        const f = t(1);
        if (f && (f.type as number) === INT4) {out.push({ operator: k, bytes: count(f.shape) });}
        break;
      }
      default:
        break;
    }
  });
  return out;
}
