/**
 * Everything a run needs before it may start: a trusted workspace, a valid
 * `model-optimizer.json` (if present) and an output folder inside the workspace. Any problem
 * is shown to the user with where it is and a way to fix it; then nothing runs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendChoice, PartialRunConfig } from '../protocol/config';
import { loadConfigFile } from '../engine/config/load';
import type { ResolveOptions } from '../engine/config/validate';
import { BadInputError } from '../engine/errors';
import { locateInJson } from './locate';
import { OutputDirError, resolveOutputDir } from './outputDir';
import { mergeSettings } from './settings';

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

/** A setting's value only when the user set it somewhere (the engine's defaults stay the one source otherwise). */
function explicitSetting<T>(folder: vscode.WorkspaceFolder, key: string): T | undefined {
  const i = vscode.workspace.getConfiguration('modelOptimizer', folder.uri).inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

/** The run settings of `folder` (see mergeSettings: model-optimizer.json always wins). */
export function applySettings(folder: vscode.WorkspaceFolder, config: PartialRunConfig): PartialRunConfig {
  return mergeSettings(config, {
    backend: vscode.workspace.getConfiguration('modelOptimizer', folder.uri).get<BackendChoice>('backend', 'auto'),
    epochs: explicitSetting<number>(folder, 'defaultEpochs'),
    sweepSparsities: explicitSetting<number[]>(folder, 'sweepSparsities'),
  });
}

let lastFolder: string | undefined;

/**
 * The folder a run works in. With several workspace folders the user picks one (the folder of
 * the active editor, else the last one used, is offered first), so no run silently lands in
 * the first folder.
 */
export async function runFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    return folders[0];
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const preferred = (active ? vscode.workspace.getWorkspaceFolder(active)?.uri.toString() : undefined) ?? lastFolder;
  const ordered = [...folders].sort((a, b) => Number(b.uri.toString() === preferred) - Number(a.uri.toString() === preferred));
  const pick = await vscode.window.showQuickPick(
    ordered.map((f) => ({ label: f.name, description: f.uri.fsPath, folder: f })),
    { title: 'Model Optimizer: workspace folder to run in', placeHolder: 'Its model-optimizer.json and output folder are used' },
  );
  if (pick) {
    lastFolder = pick.folder.uri.toString();
  }
  return pick?.folder;
}

/**
 * Checks trust, folder, config and output folder; shows the problem and returns undefined when one fails.
 * `check.modelFile`: the run works on a model file (Optimize This Model, or a model picked for
 * prune / quantize / evaluate), so prune.layers names are the file's, checked against its graph
 * when the job starts (the engine resolves such a run's config the same way), not against the
 * reference MLP's layer names here.
 */
export async function prepareRun(check: ResolveOptions = {}): Promise<PreparedRun | undefined> {
  if (!vscode.workspace.isTrusted) {
    await explainUntrusted();
    return undefined;
  }
  if ((vscode.workspace.workspaceFolders?.length ?? 0) > 1) {
    const folder = await runFolder();
    return folder ? prepareIn(folder, check) : undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  return prepareIn(folder, check);
}

async function prepareIn(folder: vscode.WorkspaceFolder | undefined, check: ResolveOptions): Promise<PreparedRun | undefined> {
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
      config = await loadConfigFile(file.fsPath, check);
    } catch (err) {
      if (err instanceof BadInputError) {
        await showConfigError(err.message, err.where, file);
        return undefined;
      }
      throw err;
    }
  }
  config = applySettings(folder, config);
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
