/** Conv2D → CONV_2D (OHWI filters, bias, TFLite's window options); the activation after it (fused when ReLU/ReLU6). */
import { BadInputError } from '../../errors';
import { boolOf, hwioToOhwi, imageShapeOf, numberOf, outSize, paddingOf, pairOf, stringOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const conv2dTflite: TfliteLowering = (ctx, node, [x]) => {
  const [h, w, cin] = imageShapeOf(ctx.shape(x), node);
  const filters = numberOf(node, 'filters');
  const [kh, kw] = pairOf(node, 'kernelSize');
  const strides = pairOf(node, 'strides', [1, 1]);
  const dilation = pairOf(node, 'dilationRate', [1, 1]);
  const padding = paddingOf(node);
  const kernel = ctx.weight(node, 'kernel', [kh, kw, cin, filters]);
  const bias = boolOf(node, 'useBias', true) ? ctx.weight(node, 'bias', [filters]).data : new Float32Array(filters);
  const ho = outSize(h, kh, strides[0], dilation[0], padding);
  const wo = outSize(w, kw, strides[1], dilation[1], padding);
  if (ho < 1 || wo < 1) {
    throw new BadInputError(`TFLite export: layer '${node.name}': the window does not fit its ${h}×${w} input.`, node.name);
  }
  const y = ctx.tensor([ho, wo, filters], `${node.name}/BiasAdd`);
  ctx.op({
    type: 'conv2d',
    layer: node.name,
    inputs: [x],
    output: y,
    filter: hwioToOhwi(kernel.data, kh, kw, cin, filters),
    filterShape: [filters, kh, kw, cin],
    bias: Float32Array.from(bias),
    strides,
    dilation,
    padding,
    depthMultiplier: 1,
    act: 'NONE',
  });
  return ctx.activation(y, stringOf(node, 'activation', 'linear'), node);
};
