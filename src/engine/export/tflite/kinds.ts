/**
 * The TFLite lowering of each layer kind, by Keras class name. Each lives beside its kind
 * (src/engine/layers/<kind>/tflite.ts); this table is how the exporter finds them until the
 * layer registry carries them as the kinds' `tflite` member.
 */
import { activationTflite } from '../../layers/activation/tflite';
import { addTflite } from '../../layers/add/tflite';
import { averagePooling2dTflite } from '../../layers/averagePooling2d/tflite';
import { batchNormalizationTflite } from '../../layers/batchNormalization/tflite';
import { concatenateTflite } from '../../layers/concatenate/tflite';
import { conv2dTflite } from '../../layers/conv2d/tflite';
import { denseTflite } from '../../layers/dense/tflite';
import { depthwiseConv2dTflite } from '../../layers/depthwiseConv2d/tflite';
import { dropoutTflite } from '../../layers/dropout/tflite';
import { flattenTflite } from '../../layers/flatten/tflite';
import { globalAveragePooling2dTflite } from '../../layers/globalAveragePooling2d/tflite';
import { globalMaxPooling2dTflite } from '../../layers/globalMaxPooling2d/tflite';
import { inputLayerTflite } from '../../layers/inputLayer/tflite';
import { maxPooling2dTflite } from '../../layers/maxPooling2d/tflite';
import { reluTflite } from '../../layers/relu/tflite';
import { rescalingTflite } from '../../layers/rescaling/tflite';
import { reshapeTflite } from '../../layers/reshape/tflite';
import { separableConv2dTflite } from '../../layers/separableConv2d/tflite';
import { zeroPadding2dTflite } from '../../layers/zeroPadding2d/tflite';
import type { TfliteLowering } from './lowered';

export const TFLITE_LOWERINGS: Readonly<Record<string, TfliteLowering>> = {
  Activation: activationTflite,
  Add: addTflite,
  AveragePooling2D: averagePooling2dTflite,
  BatchNormalization: batchNormalizationTflite,
  Concatenate: concatenateTflite,
  Conv2D: conv2dTflite,
  Dense: denseTflite,
  DepthwiseConv2D: depthwiseConv2dTflite,
  Dropout: dropoutTflite,
  Flatten: flattenTflite,
  GlobalAveragePooling2D: globalAveragePooling2dTflite,
  GlobalMaxPooling2D: globalMaxPooling2dTflite,
  InputLayer: inputLayerTflite,
  MaxPooling2D: maxPooling2dTflite,
  ReLU: reluTflite,
  Rescaling: rescalingTflite,
  Reshape: reshapeTflite,
  SeparableConv2D: separableConv2dTflite,
  ZeroPadding2D: zeroPadding2dTflite,
};
