/**
 * Runs a saved TF.js Layers model in stock tfjs-layers (`tf.loadLayersModel`), from the
 * files on disk: the runtime a TF.js deployment would use, including its dequantization of
 * uint8/float16 weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { readTfjsFiles } from '../export/tfjsQuantized';
import { modelInputs, type Features } from '../data/dataset';

export async function loadLayersModelFromDisk(pathToModelJsonOrDir: string): Promise<tfl.LayersModel> {
  const files = await readTfjsFiles(pathToModelJsonOrDir);
  const weightSpecs = files.json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  const weightData = files.weightData.slice().buffer;
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: files.json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs,
        weightData,
        format: files.json.format,
      }),
    );
  } catch (err) {
    // tfjs-layers throws plain Errors for a topology or weights it cannot use: the file's fault.
    const where = path.basename(path.dirname(files.modelJsonPath)) + '/' + path.basename(files.modelJsonPath);
    throw new BadInputError(
      `${where} cannot be loaded by tfjs-layers: ${(err as Error).message.slice(0, 300)}. The model.json or its weights are damaged or were not written by tfjs/the tensorflowjs converter: save or convert the model again.`,
      where,
    );
  }
}

/** Class probabilities for samples [count, features] (uint8 scaled by 1/255, float32 as is), in batches. */
export function predictLayersModel(model: tfl.LayersModel, images: Features, start: number, count: number, features: number, batch = 1000): Float32Array {
  const classes = (model.outputs[0].shape[1] as number) ?? 0;
  const out = new Float32Array(count * classes);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const y = tf.tidy(() => {
      // Samples reach the model in its input shape ([28, 28, 1] for a CNN, [784] for an MLP).
      const inShape = model.inputs[0].shape.slice(1).map((d) => d ?? -1);
      const x = tf.reshape(tf.tensor2d(modelInputs({ images, features }, start + s, n), [n, features]), [n, ...inShape]);
      return model.predict(x) as tf.Tensor;
    });
    out.set(y.dataSync(), s * classes);
    y.dispose();
  }
  return out;
}
