/**
 * Model Optimizer: Optimize This Model — runs the pipeline on the user's own model file
 * (Explorer context menu on .h5 / .keras / model.json, or the palette, which asks for the
 * file): the engine skips baseline training and prunes, exports and compares that model,
 * exactly as `model-optimizer pipeline --model FILE` does.
 */
import * as vscode from 'vscode';
import { runFolder } from '../config';
import type { Ctx } from '../ctx';
import { MODEL_FILE_FILTERS, modelArg } from '../modelFile';
import { startJob } from './startJob';

async function askForModel(): Promise<string | undefined> {
  const folder = await runFolder();
  const uris = await vscode.window.showOpenDialog({
    title: 'Model Optimizer: model to optimize',
    openLabel: 'Optimize',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: folder?.uri,
    filters: MODEL_FILE_FILTERS,
  });
  return uris?.[0]?.fsPath;
}

export async function optimizeModel(ctx: Ctx, arg?: unknown): Promise<void> {
  let picked = modelArg(arg);
  if (picked.kind === 'none') {
    const file = await askForModel();
    if (!file) {
      return; // dismissed
    }
    picked = modelArg(file);
  }
  if (picked.kind !== 'file') {
    if (picked.kind === 'error') {
      void vscode.window.showErrorMessage(`Model Optimizer: ${picked.message}`);
    }
    return;
  }
  const inputModel = picked.file;
  // prune.layers names this file's layers (e.g. the sensitivity suggestion for a CNN): checked against its graph, not the reference MLP.
  await startJob(ctx, 'pipeline', () => Promise.resolve({ inputModel }), { modelFile: true });
}
