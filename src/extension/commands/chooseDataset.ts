/**
 * Model Optimizer: Choose Dataset… (command palette) and Use as Training Data (Explorer
 * context menu on a folder, .csv, .npz or .npy): works out the `data` section for what was
 * picked (class folders, CSV, NumPy; the test set found beside it), previews it in the metrics
 * panel (classes and counts, sample images, shape, value range; engine/data/preview.ts) and,
 * once confirmed there, writes it into `model-optimizer.json` (other settings kept) and opens the file.
 */
import * as vscode from 'vscode';
import { previewDataset } from '../../engine/data/preview';
import { suggestDataConfig, type DataSuggestion } from '../../engine/data/suggest';
import type { Ctx } from '../ctx';
import { writeFileAtomic } from '../../engine/util/atomic';
import { CONFIG_FILE, runFolder } from '../config';

/** The data fields that say where the data is: replaced as a whole when another data set is chosen. */
const LOCATION_KEYS = ['source', 'trainImages', 'trainLabels', 'testImages', 'testLabels', 'valImages', 'valLabels', 'npzFile', 'trainDir', 'testDir', 'valDir', 'trainFile', 'testFile', 'valFile'];

export async function chooseDataset(ctx: Ctx, arg?: unknown): Promise<void> {
  let target = arg instanceof vscode.Uri ? arg : undefined;
  if (!target) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Model Optimizer: choose a data set',
      openLabel: 'Use as Training Data',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      filters: { 'Class folders, CSV, NumPy': ['csv', 'npz', 'npy'] },
    });
    target = picked?.[0];
    if (!target) {
      return;
    }
  }
  const folder = vscode.workspace.getWorkspaceFolder(target) ?? (await runFolder());
  if (!folder) {
    void vscode.window.showErrorMessage(`Model Optimizer: open a folder first; ${CONFIG_FILE} goes at its root.`);
    return;
  }
  const suggestion = await suggestDataConfig(target.fsPath, folder.uri.fsPath);
  const where = vscode.workspace.asRelativePath(target, false);
  const preview = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Optimizer: reading a preview of ${where}…` },
    () => previewDataset(suggestion, where, folder.uri.fsPath),
  );
  (await ctx.panel()).showDatasetPreview(preview, () => writeDataSection(folder.uri, suggestion));
}

/** Writes the suggested data section into the folder's model-optimizer.json (other settings kept) and opens it. */
async function writeDataSection(root: vscode.Uri, suggestion: DataSuggestion): Promise<void> {
  const file = vscode.Uri.joinPath(root, CONFIG_FILE);
  let doc: Record<string, unknown> = {};
  try {
    doc = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file))) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof vscode.FileSystemError)) {
      // Never overwrite a config the user is editing and that does not parse.
      throw new Error(`${CONFIG_FILE} is not valid JSON (${(err as Error).message}); fix it, then choose the data set again.`, { cause: err });
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`${CONFIG_FILE} must hold a JSON object; fix it, then choose the data set again.`);
  }
  const old = (typeof doc.data === 'object' && doc.data !== null ? doc.data : {}) as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(old).filter(([k]) => !LOCATION_KEYS.includes(k)));
  doc.data = { ...kept, ...suggestion.data };
  await writeFileAtomic(file.fsPath, `${JSON.stringify(doc, null, 2)}\n`);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
}
