/**
 * Rescaling (y = x·scale + offset) → a per-tensor affine op: MUL (+ ADD) in float files; in
 * full-int8 files, right after the input, it is folded into the input's quantization (emit.ts).
 */
import { numberOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const rescalingTflite: TfliteLowering = (ctx, node, [x]) => {
  const shape = ctx.shape(x);
  const y = ctx.tensor(shape, `${node.name}/Rescaling`);
  ctx.op({ type: 'affine', layer: node.name, inputs: [x], output: y, scale: Float32Array.of(numberOf(node, 'scale')), shift: Float32Array.of(numberOf(node, 'offset', 0)) });
  return y;
};
