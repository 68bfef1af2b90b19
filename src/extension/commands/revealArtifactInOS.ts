/** Model Optimizer: Reveal in File Manager — the OS file manager (desktop VS Code only). */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactFile } from './artifactFile';

export async function revealArtifactInOS(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Reveal in File Manager');
  if (a) {
    await vscode.commands.executeCommand('revealFileInOS', a.uri);
  }
}
