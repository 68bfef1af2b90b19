/**
 * A Netron-like model viewer, when one is installed: its extension registers a command such as
 * `netron.open`. The context key `modelOptimizer.hasNetron` shows "Open in Netron" only then.
 */
import * as vscode from 'vscode';

export async function findNetronCommand(): Promise<string | undefined> {
  const all = await vscode.commands.getCommands(true);
  return all.find((c) => c === 'netron.open') ?? all.find((c) => /^netron\./i.test(c) && /open/i.test(c));
}

export async function updateNetronContext(): Promise<void> {
  await vscode.commands.executeCommand('setContext', 'modelOptimizer.hasNetron', (await findNetronCommand()) !== undefined);
}
