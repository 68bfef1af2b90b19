/** MaxPooling2D → MAX_POOL_2D (int8: same quantization as its input). */
import { lowerPool } from '../averagePooling2d/tflite';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const maxPooling2dTflite: TfliteLowering = (ctx, node, [x]) => lowerPool(ctx, node, x, 'maxPool');
