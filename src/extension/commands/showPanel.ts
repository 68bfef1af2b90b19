/** Model Optimizer: Show Metrics Panel (optionally for one run). */
import type { Ctx } from '../ctx';
import { runIdArg } from './args';

export async function showPanel(ctx: Ctx, arg?: unknown): Promise<void> {
  const panel = await ctx.panel();
  panel.show(runIdArg(arg));
}
