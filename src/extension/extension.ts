/**
 * Entry point. Activation only registers the tree, the commands and a few listeners; the run
 * manager, the engine wrapper and the panel load the first time a command needs them, and
 * past runs are read in the background.
 */
import * as vscode from 'vscode';
import { CONFIG_FILE } from './config';
import { Ctx } from './ctx';
import { loadHistory } from './history';
import { RunsTreeProvider } from './views/runsTree';

type Handler = (ctx: Ctx, ...args: unknown[]) => Promise<void>;

/** One file per command, loaded on first use. */
const COMMANDS: Record<string, Handler> = {
  'modelOptimizer.train': async (ctx) => (await import('./commands/train')).train(ctx),
  'modelOptimizer.prune': async (ctx) => (await import('./commands/prune')).prune(ctx),
  'modelOptimizer.quantize': async (ctx) => (await import('./commands/quantize')).quantize(ctx),
  'modelOptimizer.runPipeline': async (ctx) => (await import('./commands/pipeline')).runPipeline(ctx),
  'modelOptimizer.optimizeModel': async (ctx, arg) => (await import('./commands/optimizeModel')).optimizeModel(ctx, arg),
  'modelOptimizer.runSweep': async (ctx) => (await import('./commands/sweep')).runSweep(ctx),
  'modelOptimizer.runSensitivity': async (ctx) => (await import('./commands/sensitivity')).runSensitivity(ctx),
  'modelOptimizer.evaluate': async (ctx) => (await import('./commands/evaluate')).evaluate(ctx),
  'modelOptimizer.deploy': async (ctx, arg) => (await import('./commands/deploy')).deploy(ctx, arg),
  'modelOptimizer.stopRun': async (ctx, arg) => (await import('./commands/stopRun')).stopRun(ctx, arg),
  'modelOptimizer.showPanel': async (ctx, arg) => (await import('./commands/showPanel')).showPanel(ctx, arg),
  'modelOptimizer.createConfig': async () => (await import('./commands/createConfig')).createConfig(),
  'modelOptimizer.chooseDataset': async (ctx, arg) => (await import('./commands/chooseDataset')).chooseDataset(ctx, arg),
  'modelOptimizer.useAsTrainingData': async (ctx, arg) => (await import('./commands/chooseDataset')).chooseDataset(ctx, arg),
  'modelOptimizer.revealArtifact': async (ctx, arg) => (await import('./commands/revealArtifact')).revealArtifact(ctx, arg),
  'modelOptimizer.refreshRuns': async (ctx) => (await import('./commands/refreshRuns')).refreshRuns(ctx),
  'modelOptimizer.openArtifact': async (ctx, arg) => (await import('./commands/openArtifact')).openArtifact(ctx, arg),
  'modelOptimizer.revealArtifactInOS': async (ctx, arg) => (await import('./commands/revealArtifactInOS')).revealArtifactInOS(ctx, arg),
  'modelOptimizer.copyArtifactPath': async (ctx, arg) => (await import('./commands/copyArtifactPath')).copyArtifactPath(ctx, arg),
  'modelOptimizer.evaluateArtifact': async (ctx, arg) => (await import('./commands/evaluateArtifact')).evaluateArtifact(ctx, arg),
  'modelOptimizer.compareArtifact': async (ctx, arg) => (await import('./commands/compareArtifact')).compareArtifact(ctx, arg),
  'modelOptimizer.openInNetron': async (ctx, arg) => (await import('./commands/openInNetron')).openInNetron(ctx, arg),
  'modelOptimizer.openTensorBoard': async (ctx, arg) => (await import('./commands/openTensorBoard')).openTensorBoard(ctx, arg),
  'modelOptimizer.revealOutput': async (ctx, arg) => (await import('./commands/revealOutput')).revealOutput(ctx, arg),
  'modelOptimizer.deleteRun': async (ctx, arg) => (await import('./commands/deleteRun')).deleteRun(ctx, arg),
  'modelOptimizer.compareRuns': async (ctx, ...args) => (await import('./commands/compareRuns')).compareRuns(ctx, ...args),
};

let current: Ctx | undefined;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function activate(context: vscode.ExtensionContext): void {
  try {
    const ctx = new Ctx(context);
    current = ctx;
    context.subscriptions.push(ctx);
    void vscode.commands.executeCommand('setContext', 'modelOptimizer.running', false);

    const tree = ctx.pushExt(new RunsTreeProvider(ctx.store));
    // canSelectMany: select two or more runs, then right-click → Compare Runs.
    const view = ctx.pushExt(vscode.window.createTreeView('modelOptimizer.runs', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true }));
    const restricted = (): void => {
      view.message = vscode.workspace.isTrusted || ctx.store.all().length === 0 ? undefined : 'Restricted Mode: past runs only. Trust the workspace to start runs.';
    };
    restricted();
    ctx.pushExt(ctx.store.onDidChange((c) => c.kind === 'runs' && restricted()));
    ctx.pushExt(vscode.workspace.onDidGrantWorkspaceTrust(restricted));

    for (const [id, handler] of Object.entries(COMMANDS)) {
      ctx.pushExt(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            await handler(ctx, ...args);
          } catch (err) {
            ctx.output.appendLine(`${id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            void vscode.window.showErrorMessage(`Model Optimizer: ${message(err)}`);
          }
        }),
      );
    }

    const reload = (): void => {
      loadHistory(ctx).catch((err: unknown) => ctx.output.appendLine(`history: ${message(err)}`));
    };
    ctx.pushExt(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('modelOptimizer.outputDirectory')) {
          reload();
        }
      }),
    );
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const watcher = ctx.pushExt(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, CONFIG_FILE)));
      ctx.pushExt(watcher.onDidChange(reload));
      ctx.pushExt(watcher.onDidCreate(reload));
      ctx.pushExt(watcher.onDidDelete(reload));
    }
    ctx.pushExt(vscode.workspace.onDidChangeWorkspaceFolders?.(reload) ?? { dispose: () => undefined });
    reload();

    // After a window reload the metrics panel comes back by itself.
    ctx.pushExt(
      vscode.window.registerWebviewPanelSerializer('modelOptimizer.metrics', {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          (await ctx.panel()).restore(panel, state);
        },
      }),
    );
    // "Open in Netron" only when a Netron extension is there (it may be installed later).
    const netron = (): void => {
      void import('./netron').then((m) => m.updateNetronContext()).catch(() => undefined);
    };
    netron();
    ctx.pushExt(vscode.extensions.onDidChange(netron));
  } catch (err) {
    void vscode.window.showErrorMessage(`Model Optimizer failed to activate: ${message(err)}`);
    throw err;
  }
}

/** Bounded shutdown: a running engine gets 3 s to stop, then it is killed. */
export async function deactivate(): Promise<void> {
  const ctx = current;
  current = undefined;
  await ctx?.shutdown(3000);
}
