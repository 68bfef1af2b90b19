/** Model Optimizer: Train Baseline Model. */
import type { Ctx } from '../ctx';
import { startJob } from './startJob';

export function train(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'train');
}
