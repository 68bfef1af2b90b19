/** Model Optimizer: Reveal in Explorer View — shows an output file in the Explorer. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactFile } from './artifactFile';

export async function revealArtifact(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Reveal');
  if (a) {
    await vscode.commands.executeCommand('revealInExplorer', a.uri);
  }
}
