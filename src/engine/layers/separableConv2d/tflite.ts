/** SeparableConv2D → DEPTHWISE_CONV_2D (no bias) then a 1×1 CONV_2D with the pointwise kernel and the bias, as the converter writes it. */
import { boolOf, hwioToOhwi, numberOf, stringOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';
import { lowerDepthwise } from '../depthwiseConv2d/tflite';

export const separableConv2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const d = lowerDepthwise(ctx, node, x, 'depthwise_kernel', null);
  const [ho, wo, cmid] = ctx.shape(d);
  const filters = numberOf(node, 'filters');
  const pw = ctx.weight(node, 'pointwise_kernel', [1, 1, cmid, filters]);
  const bias = boolOf(node, 'useBias', true) ? ctx.weight(node, 'bias', [filters]).data : new Float32Array(filters);
  const y = ctx.tensor([ho, wo, filters], `${node.name}/BiasAdd`);
  ctx.op({
    type: 'conv2d',
    layer: node.name,
    inputs: [d],
    output: y,
    filter: hwioToOhwi(pw.data, 1, 1, cmid, filters),
    filterShape: [filters, 1, 1, cmid],
    bias: Float32Array.from(bias),
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
    depthMultiplier: 1,
    act: 'NONE',
  });
  return ctx.activation(y, stringOf(node, 'activation', 'linear'), node);
};
