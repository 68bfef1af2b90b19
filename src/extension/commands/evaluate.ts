/** Model Optimizer: Evaluate Model File — test accuracy of a TF.js, .tflite or .h5 model. */
import type { Ctx } from '../ctx';
import { pickModel } from './pickModel';
import { startJob } from './startJob';

export function evaluate(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'evaluate', async (prepared) => {
    // Every model file the runs wrote (.tflite, .h5, TF.js), not only model.json folders.
    const inputModel = await pickModel(
      prepared,
      'evaluate',
      ['pruned_mnist_model', 'mnist_model'],
      { 'Models (TF.js model.json, TFLite, Keras HDF5)': ['json', 'tflite', 'h5'] },
      ctx,
      ['tflite', 'keras-h5', 'tfjs', 'tfjs-quantized'],
    );
    return inputModel ? { inputModel } : undefined;
  }, { modelFile: true });
}
