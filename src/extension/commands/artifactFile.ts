/** Resolves a tree item / panel argument `{ runId, path }` to a file that exists inside its run's output folder. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactPath } from '../outputDir';
import type { RunEntry } from '../runStore';
import { artifactArg } from './args';

export interface ArtifactFile {
  run: RunEntry;
  rel: string;
  file: string;
  uri: vscode.Uri;
}

export function artifactFile(ctx: Ctx, arg: unknown, what: string): ArtifactFile | undefined {
  const a = artifactArg(arg);
  const run = a ? ctx.store.get(a.runId) : undefined;
  if (!a || !run) {
    void vscode.window.showWarningMessage(`Model Optimizer: ${what}: pick a file in the Runs view or the metrics panel.`);
    return undefined;
  }
  // The path may come from the webview: it must stay inside the run's output folder.
  const file = artifactPath(run.outDir, a.path);
  if (!file) {
    ctx.output.appendLine(`${what}: refused a path outside the output folder: ${a.path}`);
    return undefined;
  }
  if (!existsSync(file)) {
    void vscode.window.showWarningMessage(`Model Optimizer: ${a.path} no longer exists in ${run.outDir}.`);
    return undefined;
  }
  return { run, rel: a.path, file, uri: vscode.Uri.file(file) };
}
