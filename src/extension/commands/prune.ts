/** Model Optimizer: Prune Model — fine-tunes a trained model with the configured schedule. */
import type { Ctx } from '../ctx';
import { pickModel } from './pickModel';
import { startJob } from './startJob';

export function prune(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'prune', async (prepared) => {
    const inputModel = await pickModel(prepared, 'prune', ['mnist_model'], { 'TF.js model': ['json'] });
    return inputModel ? { inputModel } : undefined;
  }, { modelFile: true });
}
