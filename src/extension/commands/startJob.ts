/**
 * Shared by the run commands: check everything, then start the job without waiting for its end.
 * `check` is how model-optimizer.json is checked: `{ modelFile: true }` for the jobs that always
 * run on a model file (StartOptions.inputModel), whose prune.layers names are that file's layer
 * names; the engine resolves the config of a run with an input model the same way.
 */
import * as vscode from 'vscode';
import type { JobKind } from '../../protocol/engine';
import type { ResolveOptions } from '../../engine/config/validate';
import { prepareRun, type PreparedRun } from '../config';
import type { Ctx } from '../ctx';
import type { StartOptions } from '../runManager';

export async function startJob(
  ctx: Ctx,
  job: JobKind,
  options?: (prepared: PreparedRun) => Promise<StartOptions | undefined>,
  check?: ResolveOptions,
): Promise<void> {
  const prepared = await prepareRun(check);
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
