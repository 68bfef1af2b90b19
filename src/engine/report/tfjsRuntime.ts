/**
 * Runs a saved TF.js Layers model in stock tfjs-layers (`tf.loadLayersModel`), from the
 * files on disk: the runtime a TF.js deployment would use, including its dequantization of
 * uint8/float16 weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BadInputError } from '../errors';
import { readTfjsModelFiles, type TfjsModelFiles } from '../import/tfjsModel';
import { modelInputs, type Features } from '../data/dataset';

export async function loadLayersModelFromDisk(pathToModelJsonOrDir: string): Promise<tfl.LayersModel> {
  return loadLayersModelFromFiles(await readTfjsModelFiles(pathToModelJsonOrDir));
}

/** Stock tfjs-layers' model from files already read (import/tfjsModel.ts: the one TF.js reader). */
export async function loadLayersModelFromFiles(files: TfjsModelFiles): Promise<tfl.LayersModel> {
  const weightSpecs = files.groups.flatMap((g) => g.weights);
  const all = Buffer.concat(files.data);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: files.json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs,
        weightData,
        ...(files.json.format ? { format: files.json.format } : {}),
      }),
    );
  } catch (err) {
    // tfjs-layers throws plain Errors for a topology or weights it cannot use: the file's fault.
    throw new BadInputError(
      `${files.where} cannot be loaded by tfjs-layers: ${(err as Error).message.slice(0, 300)}. The model.json or its weights are damaged or were not written by tfjs/the tensorflowjs converter: save or convert the model again.`,
      files.where,
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
