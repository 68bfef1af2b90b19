/** Dense → FULLY_CONNECTED ([out, in] weights) on a flat input; the activation after it (fused when ReLU/ReLU6). */
import { BadInputError } from '../../errors';
import { boolOf, numberOf, stringOf, transposeKernel } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const denseTflite: TfliteLowering = (ctx, node, [x]) => {
  const inShape = ctx.shape(x);
  if (inShape.length !== 1) {
    throw new BadInputError(
      `TFLite export: Dense layer '${node.name}' gets a [${inShape.join(', ')}] input; only flat inputs are exported. Put a Flatten layer before it.`,
      node.name,
    );
  }
  const units = numberOf(node, 'units');
  const kernel = ctx.weight(node, 'kernel', [inShape[0], units]);
  const bias = boolOf(node, 'useBias', true) ? ctx.weight(node, 'bias', [units]).data : new Float32Array(units);
  const y = ctx.tensor([units], `${node.name}/BiasAdd`);
  ctx.op({ type: 'fc', layer: node.name, inputs: [x], output: y, weights: transposeKernel(kernel.data, inShape[0], units), units, bias: Float32Array.from(bias), act: 'NONE' });
  return ctx.activation(y, stringOf(node, 'activation', 'linear'), node);
};
