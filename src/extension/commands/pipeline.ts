/** Model Optimizer: Run Full Pipeline (train → prune → quantize/export → evaluate). */
import type { Ctx } from '../ctx';
import { startJob } from './startJob';

export function runPipeline(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'pipeline');
}
