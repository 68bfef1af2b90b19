/** ReLU layer → RELU or RELU6 (fused when possible); other settings (leaky, threshold, other caps) are not exported yet. */
import { BadInputError } from '../../errors';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const reluTflite: TfliteLowering = (ctx, node, [x]) => {
  const max = node.config.maxValue ?? null;
  const slope = (node.config.negativeSlope as number | undefined) ?? 0;
  const threshold = (node.config.threshold as number | undefined) ?? 0;
  if (slope === 0 && threshold === 0 && (max === null || max === 6)) {
    return ctx.activation(x, max === 6 ? 'relu6' : 'relu', node);
  }
  throw new BadInputError(
    `TFLite export: ReLU layer '${node.name}' (max_value ${JSON.stringify(max)}, negative_slope ${slope}, threshold ${threshold}) has no TFLite op here yet; plain ReLU and ReLU6 are supported.`,
    node.name,
  );
};
