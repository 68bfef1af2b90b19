/** Model Optimizer: Stop Run — the run stops after the current batch and is marked cancelled. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { runIdArg } from './args';

export async function stopRun(ctx: Ctx, arg?: unknown): Promise<void> {
  const runId = runIdArg(arg) ?? ctx.activeRunId ?? undefined;
  const rm = await ctx.runManager();
  if (!runId || !rm.stop(runId)) {
    void vscode.window.showInformationMessage(runId ? `Model Optimizer: run ${runId} is not running.` : 'Model Optimizer: no run is in progress.');
  }
}
