/** GlobalMaxPooling2D → REDUCE_MAX over axes [1, 2] (int8: same quantization as its input). */
import { boolOf, imageShapeOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const globalMaxPooling2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const [, , c] = imageShapeOf(ctx.shape(x), node);
  const keepDims = boolOf(node, 'keepdims', false);
  const y = ctx.tensor(keepDims ? [1, 1, c] : [c], `${node.name}/Max`);
  ctx.op({ type: 'reduceMax', layer: node.name, inputs: [x], output: y, keepDims });
  return y;
};
