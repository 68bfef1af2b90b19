/** Model Optimizer: Reveal Artifact — shows an output file in the Explorer. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactPath } from '../outputDir';
import { artifactArg } from './args';

export async function revealArtifact(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactArg(arg);
  const run = a ? ctx.store.get(a.runId) : undefined;
  if (!a || !run) {
    void vscode.window.showWarningMessage('Model Optimizer: pick an artifact in the Runs view or the metrics panel.');
    return;
  }
  // The path may come from the webview: it must stay inside the run's output folder.
  const file = artifactPath(run.outDir, a.path);
  if (!file) {
    ctx.output.appendLine(`reveal: refused a path outside the output folder: ${a.path}`);
    return;
  }
  if (!existsSync(file)) {
    void vscode.window.showWarningMessage(`Model Optimizer: ${a.path} no longer exists in ${run.outDir}.`);
    return;
  }
  await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(file));
}
