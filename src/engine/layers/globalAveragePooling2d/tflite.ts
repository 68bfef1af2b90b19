/** GlobalAveragePooling2D → MEAN over axes [1, 2] (the converter's form). */
import { boolOf, imageShapeOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const globalAveragePooling2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const [, , c] = imageShapeOf(ctx.shape(x), node);
  const keepDims = boolOf(node, 'keepdims', false);
  const y = ctx.tensor(keepDims ? [1, 1, c] : [c], `${node.name}/Mean`);
  ctx.op({ type: 'mean', layer: node.name, inputs: [x], output: y, keepDims });
  return y;
};
