/**
 * The extension's context object (after rust-analyzer's ctx.ts): it owns disposables in two
 * lifetimes — those that live as long as the extension, and those that live as long as one
 * run (the engine child, its listeners, the status bar item) — and lazily creates the heavier
 * parts (run manager, metrics panel) the first time they are needed.
 */
import * as vscode from 'vscode';
import { RunStore } from './runStore';
import type { RunManager } from './runManager';
import type { MetricsPanel } from './panel/metricsPanel';

/** Empties `items` and disposes them newest first; one failing does not stop the others. */
function disposeAll(items: vscode.Disposable[], failure: string): void {
  for (const d of items.splice(0).reverse()) {
    try {
      d.dispose();
    } catch (err) {
      console.error(failure, err);
    }
  }
}

export class RunScope implements vscode.Disposable {
  private readonly items: vscode.Disposable[] = [];
  private disposed = false;

  constructor(readonly runId: string) {}

  add<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
    } else {
      this.items.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    disposeAll(this.items, 'Model Optimizer: disposing a run resource failed');
  }
}

export class Ctx implements vscode.Disposable {
  readonly store = new RunStore();
  private readonly extDisposables: vscode.Disposable[] = [];
  private runScope: RunScope | null = null;
  private outputChannel: vscode.OutputChannel | undefined;
  private runManagerPromise: Promise<RunManager> | undefined;
  private panelPromise: Promise<MetricsPanel> | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {}

  /** Lives until the extension is deactivated. */
  pushExt<T extends vscode.Disposable>(d: T): T {
    this.extDisposables.push(d);
    return d;
  }

  /** Starts the resource group of a run; a previous group must have ended. */
  beginRun(runId: string): RunScope {
    if (this.runScope) {
      throw new Error(`Run ${this.runScope.runId} is still active`);
    }
    this.runScope = new RunScope(runId);
    void vscode.commands.executeCommand('setContext', 'modelOptimizer.running', true);
    return this.runScope;
  }

  /** Disposes exactly the run's group. */
  endRun(scope: RunScope): void {
    scope.dispose();
    if (this.runScope === scope) {
      this.runScope = null;
      void vscode.commands.executeCommand('setContext', 'modelOptimizer.running', false);
    }
  }

  get activeRunId(): string | null {
    return this.runScope?.runId ?? null;
  }

  get output(): vscode.OutputChannel {
    if (!this.outputChannel) {
      this.outputChannel = this.pushExt(vscode.window.createOutputChannel('Model Optimizer'));
    }
    return this.outputChannel;
  }

  get enginePath(): string {
    return vscode.Uri.joinPath(this.extension.extensionUri, 'dist', 'engine.js').fsPath;
  }

  get workspaceFolder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  get canRun(): boolean {
    return vscode.workspace.isTrusted && this.workspaceFolder !== undefined;
  }

  runManager(): Promise<RunManager> {
    this.runManagerPromise ??= import('./runManager').then((m) => new m.RunManager(this));
    return this.runManagerPromise;
  }

  panel(): Promise<MetricsPanel> {
    this.panelPromise ??= import('./panel/metricsPanel').then((m) => new m.MetricsPanel(this));
    return this.panelPromise;
  }

  /** Bounded shutdown: ask a running engine to stop, then kill it. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.runManagerPromise) {
      const rm = await this.runManagerPromise;
      await rm.shutdown(timeoutMs);
    }
    this.dispose();
  }

  dispose(): void {
    this.runScope?.dispose();
    this.runScope = null;
    disposeAll(this.extDisposables, 'Model Optimizer: dispose failed');
  }
}
