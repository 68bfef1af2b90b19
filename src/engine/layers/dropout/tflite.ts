/** Dropout is the identity at inference: nothing is written. */
import type { TfliteLowering } from '../../export/tflite/lowered';

export const dropoutTflite: TfliteLowering = (_ctx, _node, [x]) => x;
