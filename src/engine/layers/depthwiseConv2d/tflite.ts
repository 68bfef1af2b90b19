/**
 * DepthwiseConv2D → DEPTHWISE_CONV_2D. Keras' [kh, kw, in, multiplier] kernel has the same
 * element order as TFLite's [1, kh, kw, in·multiplier] (output channel = c·multiplier + m).
 */
import { BadInputError } from '../../errors';
import { boolOf, imageShapeOf, numberOf, outSize, paddingOf, pairOf, stringOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowerContext, TfliteLowering } from '../../export/tflite/lowered';
import type { LayerNode } from '../../graph/types';

/** Emits the depthwise op of a DepthwiseConv2D or SeparableConv2D (weight `kernelName`); returns its output. */
export function lowerDepthwise(ctx: TfliteLowerContext, node: LayerNode, x: number, kernelName: string, bias: Float32Array | null): number {
  const [h, w, cin] = imageShapeOf(ctx.shape(x), node);
  const mult = numberOf(node, 'depthMultiplier', 1);
  const [kh, kw] = pairOf(node, 'kernelSize');
  const strides = pairOf(node, 'strides', [1, 1]);
  const dilation = pairOf(node, 'dilationRate', [1, 1]);
  const padding = paddingOf(node);
  const kernel = ctx.weight(node, kernelName, [kh, kw, cin, mult]);
  const ho = outSize(h, kh, strides[0], dilation[0], padding);
  const wo = outSize(w, kw, strides[1], dilation[1], padding);
  if (ho < 1 || wo < 1) {
    throw new BadInputError(`TFLite export: layer '${node.name}': the window does not fit its ${h}×${w} input.`, node.name);
  }
  const cout = cin * mult;
  const y = ctx.tensor([ho, wo, cout], `${node.name}/depthwise`);
  ctx.op({
    type: 'depthwise',
    layer: node.name,
    inputs: [x],
    output: y,
    filter: Float32Array.from(kernel.data),
    filterShape: [1, kh, kw, cout],
    bias: bias ? Float32Array.from(bias) : new Float32Array(cout),
    strides,
    dilation,
    padding,
    depthMultiplier: mult,
    act: 'NONE',
  });
  return y;
}

export const depthwiseConv2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const cout = imageShapeOf(ctx.shape(x), node)[2] * numberOf(node, 'depthMultiplier', 1);
  const bias = boolOf(node, 'useBias', true) ? ctx.weight(node, 'bias', [cout]).data : null;
  const y = lowerDepthwise(ctx, node, x, 'depthwise_kernel', bias);
  return ctx.activation(y, stringOf(node, 'activation', 'linear'), node);
};
