/**
 * The Keras "simple MNIST convnet" (Conv2D 32 3×3 relu → MaxPooling 2 → Conv2D 64 3×3 relu →
 * MaxPooling 2 → Flatten → Dropout 0.5 → Dense 10 softmax), written as a tfjs-layers user writes
 * it (default layer names): the one stock-tfjs-layers model the benches and tests compare against.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export function simpleConvnetLayers(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}
