/** Concatenate → CONCATENATION (int8: inputs and output share one quantization, as the converter requires). */
import { BadInputError } from '../../errors';
import { numberOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const concatenateTflite: TfliteLowering = (ctx, node, inputs) => {
  const shapes = inputs.map((t) => ctx.shape(t));
  const rank = shapes[0].length;
  const raw = numberOf(node, 'axis', -1);
  // Keras counts the batch axis: -1 is the last, 3 is the channels of an image.
  const axis = raw < 0 ? rank + raw : raw - 1;
  if (axis < 0 || axis >= rank || shapes.some((s) => s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0][i]))) {
    throw new BadInputError(`TFLite export: Concatenate layer '${node.name}' cannot join ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')} on axis ${raw}.`, node.name);
  }
  const out = shapes[0].slice();
  out[axis] = shapes.reduce((n, s) => n + s[axis], 0);
  const y = ctx.tensor(out, `${node.name}/concat`);
  ctx.op({ type: 'concat', layer: node.name, inputs, output: y, axis, act: 'NONE' });
  return y;
};
