/**
 * Model Optimizer: Create Config File — writes `model-optimizer.json` with the reference
 * defaults at the workspace root (or opens it when it exists). `output` and `backend` are left
 * out so the settings keep applying until the user adds them.
 */
import * as vscode from 'vscode';
import { DEFAULT_CONFIG } from '../../protocol/config';
import { writeFileAtomic } from '../../engine/util/atomic';
import { CONFIG_FILE, runFolder } from '../config';

export async function createConfig(): Promise<void> {
  const folder = await runFolder();
  if (!folder) {
    if ((vscode.workspace.workspaceFolders?.length ?? 0) > 1) {
      return; // the user dismissed the folder pick
    }
    void vscode.window.showErrorMessage(`Model Optimizer: open a folder first; ${CONFIG_FILE} goes at its root.`);
    return;
  }
  const file = vscode.Uri.joinPath(folder.uri, CONFIG_FILE);
  let exists = true;
  try {
    await vscode.workspace.fs.stat(file);
  } catch {
    exists = false;
  }
  if (!exists) {
    const { data, model, train, prune, quantize } = DEFAULT_CONFIG;
    await writeFileAtomic(file.fsPath, `${JSON.stringify({ data, model, train, prune, quantize }, null, 2)}\n`);
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
}
