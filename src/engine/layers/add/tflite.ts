/** Add → ADD (two inputs of the same shape; more inputs are chained). */
import { BadInputError } from '../../errors';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const addTflite: TfliteLowering = (ctx, node, inputs) => {
  if (inputs.length < 2) {
    throw new BadInputError(`TFLite export: Add layer '${node.name}' needs at least two inputs.`, node.name);
  }
  const shape = ctx.shape(inputs[0]);
  let acc = inputs[0];
  for (let i = 1; i < inputs.length; i++) {
    if (ctx.shape(inputs[i]).join() !== shape.join()) {
      throw new BadInputError(`TFLite export: Add layer '${node.name}' adds [${ctx.shape(inputs[i]).join(', ')}] to [${shape.join(', ')}]; the shapes must match.`, node.name);
    }
    const y = ctx.tensor(shape, i === inputs.length - 1 ? `${node.name}/add` : `${node.name}/add_${i}`);
    ctx.op({ type: 'add', layer: node.name, inputs: [acc, inputs[i]], output: y, act: 'NONE' });
    acc = y;
  }
  return acc;
};
