/** Reshape → RESHAPE (a -1 in the target shape is resolved here). */
import { BadInputError } from '../../errors';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const reshapeTflite: TfliteLowering = (ctx, node, [x]) => {
  const n = ctx.shape(x).reduce((a, b) => a * b, 1);
  const target = node.config.targetShape;
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d))) {
    throw new BadInputError(`TFLite export: Reshape layer '${node.name}' has no valid targetShape.`, node.name);
  }
  const known = (target as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape = (target as number[]).map((d) => (d === -1 ? n / known : d));
  if (shape.reduce((a, b) => a * b, 1) !== n || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new BadInputError(`TFLite export: Reshape layer '${node.name}' cannot reshape ${n} values to [${target.join(', ')}].`, node.name);
  }
  const y = ctx.tensor(shape, `${node.name}/Reshape`);
  ctx.op({ type: 'reshape', layer: node.name, inputs: [x], output: y });
  return y;
};
