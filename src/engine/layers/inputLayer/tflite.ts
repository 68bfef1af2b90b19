/** InputLayer: the model input itself (the exporter creates the tensor from the graph's input shape). */
import type { TfliteLowering } from '../../export/tflite/lowered';

export const inputLayerTflite: TfliteLowering = (_ctx, _node, [x]) => x;
