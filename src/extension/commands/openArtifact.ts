/** Model Optimizer: Open — a report (.md as its preview) or any text file in an editor. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactFile } from './artifactFile';

export async function openArtifact(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Open');
  if (!a) {
    return;
  }
  if (a.rel.endsWith('.md')) {
    await vscode.commands.executeCommand('markdown.showPreview', a.uri);
    return;
  }
  await vscode.window.showTextDocument(a.uri, { preview: true });
}
