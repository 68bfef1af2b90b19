/**
 * Model Optimizer: Analyze Layer Sensitivity — per-layer pruning and int8 sensitivity of the
 * trained model in the output folder (trained first when there is none); the result shows in
 * the panel and in sensitivity.md / sensitivity.json.
 */
import type { Ctx } from '../ctx';
import { startJob } from './startJob';

export function runSensitivity(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'sensitivity');
}
