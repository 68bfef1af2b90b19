/** AveragePooling2D → AVERAGE_POOL_2D (int8: same quantization as its input, as TFLite's kernel requires). */
import { BadInputError } from '../../errors';
import { imageShapeOf, outSize, paddingOf, pairOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowerContext, TfliteLowering } from '../../export/tflite/lowered';
import type { LayerNode } from '../../graph/types';

export function lowerPool(ctx: TfliteLowerContext, node: LayerNode, x: number, type: 'maxPool' | 'avgPool'): number {
  const [h, w, c] = imageShapeOf(ctx.shape(x), node);
  const pool = pairOf(node, 'poolSize', [2, 2]);
  const strides = pairOf(node, 'strides', pool);
  const padding = paddingOf(node);
  const ho = outSize(h, pool[0], strides[0], 1, padding);
  const wo = outSize(w, pool[1], strides[1], 1, padding);
  if (ho < 1 || wo < 1) {
    throw new BadInputError(`TFLite export: layer '${node.name}': the pool window does not fit its ${h}×${w} input.`, node.name);
  }
  const y = ctx.tensor([ho, wo, c], `${node.name}/${type === 'maxPool' ? 'MaxPool' : 'AvgPool'}`);
  ctx.op({ type, layer: node.name, inputs: [x], output: y, pool, strides, padding });
  return y;
}

export const averagePooling2dTflite: TfliteLowering = (ctx, node, [x]) => lowerPool(ctx, node, x, 'avgPool');
