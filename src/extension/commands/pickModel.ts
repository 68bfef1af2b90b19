/** Picks the input model for prune / quantize / evaluate: a recent output, or a file chosen by the user. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PreparedRun } from '../config';
import { displayPath } from '../config';

interface Candidate {
  label: string;
  file: string;
}

export async function pickModel(
  prepared: PreparedRun,
  purpose: string,
  /** Folders under the output folder to offer, in order of preference (TF.js models). */
  preferred: string[],
  filters: Record<string, string[]>,
): Promise<string | undefined> {
  const candidates: Candidate[] = preferred
    .map((name) => ({ label: name, file: path.join(prepared.outDir, name, 'model.json') }))
    .filter((c) => existsSync(c.file));
  const browse = 'Choose a model file…';
  if (candidates.length > 0) {
    const items: (vscode.QuickPickItem & { file?: string })[] = [
      ...candidates.map((c) => ({ label: `$(file-code) ${c.label}`, description: displayPath(prepared.folder, c.file), file: c.file })),
      { label: `$(folder-opened) ${browse}` },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `Model Optimizer: model to ${purpose}`, placeHolder: 'Pick a model from the output folder or choose a file' });
    if (!pick) {
      return undefined;
    }
    if (pick.file) {
      return pick.file;
    }
  }
  const uris = await vscode.window.showOpenDialog({
    title: `Model Optimizer: model to ${purpose}`,
    canSelectMany: false,
    canSelectFolders: false,
    defaultUri: existsSync(prepared.outDir) ? vscode.Uri.file(prepared.outDir) : prepared.folder.uri,
    filters,
    openLabel: purpose[0].toUpperCase() + purpose.slice(1),
  });
  return uris?.[0]?.fsPath;
}
