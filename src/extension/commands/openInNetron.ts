/** Model Optimizer: Open in Netron — only offered when a Netron extension's open command exists. */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { findNetronCommand } from '../netron';
import { artifactFile } from './artifactFile';

export async function openInNetron(ctx: Ctx, arg?: unknown): Promise<void> {
  const a = artifactFile(ctx, arg, 'Open in Netron');
  if (!a) {
    return;
  }
  const command = await findNetronCommand();
  if (!command) {
    void vscode.window.showInformationMessage('Model Optimizer: no Netron extension is installed (a model viewer that offers a "netron.*open*" command).');
    return;
  }
  await vscode.commands.executeCommand(command, a.uri);
}
