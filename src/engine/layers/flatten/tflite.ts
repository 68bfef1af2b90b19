/** Flatten → RESHAPE to [batch, n] (NHWC order is already Keras' channels_last order). */
import type { TfliteLowering } from '../../export/tflite/lowered';

export const flattenTflite: TfliteLowering = (ctx, node, [x]) => {
  const n = ctx.shape(x).reduce((a, b) => a * b, 1);
  const y = ctx.tensor([n], `${node.name}/Reshape`);
  ctx.op({ type: 'reshape', layer: node.name, inputs: [x], output: y });
  return y;
};
