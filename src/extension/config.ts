/**
 * Everything a run needs before it may start: a trusted workspace, a valid
 * `model-optimizer.json` (if present) and an output folder inside the workspace. Any problem
 * is shown to the user with where it is and a way to fix it; then nothing runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendChoice, PartialRunConfig } from '../protocol/config';
import { loadConfigFile } from '../engine/config/load';
import { BadInputError } from '../engine/errors';
import { locateInJson } from './locate';
import { OutputDirError, resolveOutputDir } from './outputDir';

export const CONFIG_FILE = 'model-optimizer.json';
const OUTPUT_SETTING = 'modelOptimizer.outputDirectory';

export interface PreparedRun {
  folder: vscode.WorkspaceFolder;
  config: PartialRunConfig;
  configSource: string;
  configFile: vscode.Uri | null;
  outDir: string;
}

export async function explainUntrusted(): Promise<void> {
  const manage = 'Manage Workspace Trust';
  const pick = await vscode.window.showWarningMessage(
    'Model Optimizer runs training code and writes model files, so it only runs in a trusted workspace. In Restricted Mode it shows past runs only.',
    manage,
  );
  if (pick === manage) {
    await vscode.commands.executeCommand('workbench.trust.manage');
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** The output folder from the config file's `output.dir` or the setting; throws OutputDirError. */
export function outputDirFor(folder: vscode.WorkspaceFolder, config: PartialRunConfig): string {
  const fromFile = config.output?.dir;
  if (typeof fromFile === 'string') {
    return resolveOutputDir(folder.uri.fsPath, fromFile, `${CONFIG_FILE}: output.dir`);
  }
  const setting = vscode.workspace.getConfiguration('modelOptimizer', folder.uri).get<string>('outputDirectory', 'model-optimizer-output');
  return resolveOutputDir(folder.uri.fsPath, setting, OUTPUT_SETTING);
}

/** The output folder for reading history: never throws, undefined when not resolvable. */
export async function historyOutDir(folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  let config: PartialRunConfig = {};
  const file = vscode.Uri.joinPath(folder.uri, CONFIG_FILE);
  if (await exists(file)) {
    try {
      config = await loadConfigFile(file.fsPath);
    } catch {
      config = {};
    }
  }
  try {
    return outputDirFor(folder, config);
  } catch {
    return undefined;
  }
}

/** Checks trust, folder, config and output folder; shows the problem and returns undefined when one fails. */
export async function prepareRun(): Promise<PreparedRun | undefined> {
  if (!vscode.workspace.isTrusted) {
    await explainUntrusted();
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    const open = 'Open Folder';
    const pick = await vscode.window.showErrorMessage('Model Optimizer needs a workspace folder: its results are written inside it.', open);
    if (pick === open) {
      await vscode.commands.executeCommand('workbench.action.files.openFolder');
    }
    return undefined;
  }
  const file = vscode.Uri.joinPath(folder.uri, CONFIG_FILE);
  let config: PartialRunConfig = {};
  let configFile: vscode.Uri | null = null;
  if (await exists(file)) {
    configFile = file;
    try {
      config = await loadConfigFile(file.fsPath);
    } catch (err) {
      if (err instanceof BadInputError) {
        await showConfigError(err.message, err.where, file);
        return undefined;
      }
      throw err;
    }
  }
  if (config.backend === undefined) {
    const backend = vscode.workspace.getConfiguration('modelOptimizer', folder.uri).get<BackendChoice>('backend', 'auto');
    config = { ...config, backend };
  }
  let outDir: string;
  try {
    outDir = outputDirFor(folder, config);
  } catch (err) {
    if (err instanceof OutputDirError) {
      if (err.where === OUTPUT_SETTING) {
        const open = 'Open Setting';
        const pick = await vscode.window.showErrorMessage(`Model Optimizer: ${err.message}`, { modal: false }, open);
        if (pick === open) {
          await vscode.commands.executeCommand('workbench.action.openSettings', OUTPUT_SETTING);
        }
      } else {
        await showConfigError(err.message, err.where, file);
      }
      return undefined;
    }
    throw err;
  }
  return { folder, config, configSource: configFile ? CONFIG_FILE : 'defaults', configFile, outDir };
}

/**
 * Shows a configuration problem with its location and a button that opens the file at that
 * place. `where` is 'model-optimizer.json:LINE:COL' or 'model-optimizer.json: field.path'.
 */
export async function showConfigError(message: string, where: string | undefined, file: vscode.Uri | null): Promise<void> {
  const open = `Open ${CONFIG_FILE}`;
  const text = where && !message.includes(where) ? `Invalid configuration (${where}): ${message}` : `Invalid configuration: ${message}`;
  const canOpen = file !== null && (await exists(file));
  const pick = canOpen ? await vscode.window.showErrorMessage(text, open) : await vscode.window.showErrorMessage(text);
  if (pick === open && file) {
    const doc = await vscode.workspace.openTextDocument(file);
    const pos = locate(doc.getText(), where);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
  }
}

/** Finds where a BadInputError points in the file's text (line:column, or a field's key). */
export function locate(text: string, where: string | undefined): vscode.Position {
  const p = locateInJson(text, where);
  return new vscode.Position(p.line, p.character);
}

/** A path for messages: relative to the workspace when inside it. */
export function displayPath(folder: vscode.WorkspaceFolder, p: string): string {
  const rel = path.relative(folder.uri.fsPath, p);
  return rel && !rel.startsWith('..') ? rel : p;
}
