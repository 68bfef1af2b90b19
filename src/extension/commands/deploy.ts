/**
 * Model Optimizer: Deploy — a `.tflite` for a microcontroller or phone (palette, Explorer
 * context menu on any .tflite, or a .tflite in the Runs view): runs `model-optimizer deploy`
 * (C array, op resolver, deploy report beside the model, checked against deploy.target from
 * model-optimizer.json) and shows the deploy card in the metrics panel. It writes files, so it
 * needs a trusted workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { explainUntrusted } from '../config';
import type { Ctx } from '../ctx';
import { tfliteArg } from '../deployArg';
import { runDeployCli } from '../deployRunner';
import { artifactFile } from './artifactFile';

async function askForTflite(ctx: Ctx): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({
    title: 'Model Optimizer: .tflite to deploy',
    openLabel: 'Deploy',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: ctx.workspaceFolder?.uri,
    filters: { 'TensorFlow Lite model': ['tflite'] },
  });
  return uris?.[0]?.fsPath;
}

export async function deploy(ctx: Ctx, arg?: unknown): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    await explainUntrusted();
    return;
  }
  let picked = tfliteArg(arg);
  if (picked.kind === 'artifact') {
    const a = artifactFile(ctx, arg, 'Deploy');
    if (!a) {
      return;
    }
    picked = tfliteArg(a.file);
  } else if (picked.kind === 'none') {
    const file = await askForTflite(ctx);
    if (!file) {
      return; // dismissed
    }
    picked = tfliteArg(file);
  }
  if (picked.kind !== 'file') {
    if (picked.kind === 'error') {
      void vscode.window.showErrorMessage(`Model Optimizer: ${picked.message}`);
    }
    return;
  }
  const file = picked.file;
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) ?? ctx.workspaceFolder;
  const cli = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Optimizer: analysing ${path.basename(file)} for deployment`, cancellable: true },
    (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runDeployCli(cli, file, { cwd: folder?.uri.fsPath ?? path.dirname(file), signal: abort.signal });
    },
  );
  if (!result.ok) {
    if (result.message !== 'Cancelled.') {
      ctx.output.appendLine(`deploy ${file}: ${result.message}`);
      void vscode.window.showErrorMessage(`Model Optimizer: Deploy ${path.basename(file)}: ${result.message}`);
    }
    return;
  }
  const card = result.card;
  (await ctx.panel()).showDeploy(card);
  const t = card.target ? card.targets.find((x) => x.name === card.target) : undefined;
  const verdict = !card.tflmCompatible ? 'TensorFlow Lite Micro refuses it (see the findings)' : t && !t.ok ? `it does not fit ${t.label}` : t ? `it fits ${t.label}` : 'it runs in TensorFlow Lite Micro';
  const report = card.written.find((w) => w.endsWith('_deploy.md'));
  const open = 'Open Report';
  const pick = await vscode.window.showInformationMessage(`Model Optimizer: ${card.model}: ${verdict}. Wrote ${card.written.length} files beside the model.`, ...(report ? [open] : []));
  if (pick === open && report) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report));
  }
}
