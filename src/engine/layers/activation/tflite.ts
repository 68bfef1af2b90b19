/** Activation → the op of its function (fused into the op before it when ReLU/ReLU6 and possible). */
import { stringOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const activationTflite: TfliteLowering = (ctx, node, [x]) => ctx.activation(x, stringOf(node, 'activation'), node);
