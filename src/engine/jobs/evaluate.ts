/**
 * The evaluate stage: measures one model file (.h5, .tflite or TF.js model.json) from disk
 * and in its runtime, and returns its comparison rows.
 */
import type { ModelReport } from '../../protocol/engine';
import type { StageContext } from './types';

export async function runEvaluateStage(ctx: StageContext, modelPath: string): Promise<ModelReport[]> {
  ctx.throwIfCancelled();
  ctx.log(`evaluate: ${modelPath} (not implemented yet)`);
  await Promise.resolve();
  return [];
}
