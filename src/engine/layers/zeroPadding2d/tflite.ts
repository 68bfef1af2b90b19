/** ZeroPadding2D → PAD (int8: pads with the input's zero point, keeps its quantization). */
import { BadInputError } from '../../errors';
import { imageShapeOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const zeroPadding2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const [h, w, c] = imageShapeOf(ctx.shape(x), node);
  const p = node.config.padding;
  const ok = Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every((v) => Number.isInteger(v) && (v as number) >= 0));
  if (!ok) {
    throw new BadInputError(`TFLite export: ZeroPadding2D layer '${node.name}' has no valid padding.`, node.name);
  }
  const paddings = p as [[number, number], [number, number]];
  const y = ctx.tensor([h + paddings[0][0] + paddings[0][1], w + paddings[1][0] + paddings[1][1], c], `${node.name}/Pad`);
  ctx.op({ type: 'pad', layer: node.name, inputs: [x], output: y, paddings });
  return y;
};
