/** Model Optimizer: Copy Path — the file's absolute path on the clipboard. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactFile } from './artifactFile';

export async function copyArtifactPath(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Copy Path');
  if (a) {
    await vscode.env.clipboard.writeText(a.file);
    vscode.window.setStatusBarMessage(`Copied ${a.file}`, 3000);
  }
}
