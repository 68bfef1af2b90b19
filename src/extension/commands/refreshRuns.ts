/** Model Optimizer: Refresh Runs — re-reads past runs from the output folder. */
import type { Ctx } from '../ctx';
import { loadHistory } from '../history';

export function refreshRuns(ctx: Ctx): Promise<void> {
  return loadHistory(ctx);
}
