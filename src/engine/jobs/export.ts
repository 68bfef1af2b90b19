/**
 * The export stage: writes every deployment format of the given models (Keras .h5, TFLite
 * variants, quantized TF.js), evaluates each file in the runtime that would run it, and
 * writes the comparison table.
 */
import type { ModelReport } from '../../protocol/engine';
import type { MlpModel } from '../model/mlp';
import type { StageContext } from './types';

export async function runExportStage(ctx: StageContext, models: MlpModel[]): Promise<ModelReport[]> {
  ctx.throwIfCancelled();
  ctx.log(`export: ${models.map((m) => m.name).join(', ')} (not implemented yet)`);
  await Promise.resolve();
  return [];
}
