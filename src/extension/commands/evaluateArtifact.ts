/** Model Optimizer: Evaluate — test accuracy of one model file of a run (TF.js, .tflite, .h5). */
import type { Ctx } from '../ctx';
import { artifactFile } from './artifactFile';
import { startJob } from './startJob';

export async function evaluateArtifact(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Evaluate');
  if (a) {
    await startJob(ctx, 'evaluate', () => Promise.resolve({ inputModel: a.file }), { modelFile: true });
  }
}
