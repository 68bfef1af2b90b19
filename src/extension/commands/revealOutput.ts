/** Model Optimizer: Reveal Output — a run's output folder in the Explorer. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { runIdArg } from './args';

export async function revealOutput(ctx: Ctx, arg?: unknown): Promise<void> {
  const id = runIdArg(arg) ?? ctx.store.all().pop()?.runId;
  const run = id ? ctx.store.get(id) : undefined;
  if (!run || !existsSync(run.outDir)) {
    void vscode.window.showInformationMessage('Model Optimizer: no output folder yet.');
    return;
  }
  await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.outDir));
}
