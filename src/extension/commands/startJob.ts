/** Shared by the run commands: check everything, then start the job without waiting for its end. */
import * as vscode from 'vscode';
import type { JobKind } from '../../protocol/engine';
import { prepareRun, type PreparedRun } from '../config';
import type { Ctx } from '../ctx';
import type { StartOptions } from '../runManager';

export async function startJob(
  ctx: Ctx,
  job: JobKind,
  options?: (prepared: PreparedRun) => Promise<StartOptions | undefined>,
): Promise<void> {
  const prepared = await prepareRun();
  if (!prepared) {
    return;
  }
  const opts = options ? await options(prepared) : {};
  if (!opts) {
    return; // the user dismissed a picker
  }
  const rm = await ctx.runManager();
  rm.start(job, prepared, opts).catch((err: unknown) => {
    void vscode.window.showErrorMessage(`Model Optimizer could not run ${job}: ${err instanceof Error ? err.message : String(err)}`);
  });
}
