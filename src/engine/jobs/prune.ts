/**
 * The pruning stage: fine-tunes the trained baseline with magnitude pruning (tfmot
 * semantics) and returns the stripped model 'pruned_mnist_model'.
 *
 * First version: agreed signature only, so the pipeline can import it. The real stage
 * (schedule, masks, fit hooks, TF.js save, TensorBoard logs) replaces the body.
 */
import { cloneModel, type MlpModel } from '../model/mlp';
import type { StageContext } from './types';

export const PRUNED_MODEL_NAME = 'pruned_mnist_model';

export async function runPruneStage(ctx: StageContext, baseline: MlpModel): Promise<MlpModel> {
  ctx.throwIfCancelled();
  ctx.log('prune stage: not implemented yet, returning the baseline weights');
  return Promise.resolve(cloneModel(baseline, PRUNED_MODEL_NAME));
}
