/**
 * The metrics webview panel (host side). One panel; it keeps no state of its own: on every
 * (re)load the webview posts `ready` and gets a `snapshot` of the runs, then live events.
 * Messages from the webview are validated (parseFromWebview) before anything is done.
 */
import * as vscode from 'vscode';
import { assertNever } from '../../protocol/assert';
import type { FromWebview, ToWebview } from '../../protocol/webview';
import { parseFromWebview } from '../../protocol/webview';
import type { Ctx } from '../ctx';
import type { StoreChange } from '../runStore';
import { makeNonce, panelHtml } from './html';

const VIEW_TYPE = 'modelOptimizer.metrics';
/** How many runs the panel's selector offers. */
const SNAPSHOT_RUNS = 20;

export class MetricsPanel {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private selectedRunId: string | null = null;

  constructor(private readonly ctx: Ctx) {
    ctx.pushExt(ctx.store.onDidChange((c) => this.onStoreChange(c)));
    ctx.pushExt(vscode.workspace.onDidGrantWorkspaceTrust(() => this.postSnapshot()));
    ctx.pushExt({
      dispose: () => {
        this.panel?.dispose();
      },
    });
  }

  /** Opens (or reveals) the panel, showing `runId` or the newest run. */
  show(runId?: string, preserveFocus = false): void {
    if (runId) {
      this.selectedRunId = runId;
    }
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      this.postSnapshot();
      return;
    }
    const ext = this.ctx.extension.extensionUri;
    const dist = vscode.Uri.joinPath(ext, 'dist');
    const media = vscode.Uri.joinPath(ext, 'media');
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'Model Optimizer Metrics',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus },
      { enableScripts: true, localResourceRoots: [dist, media], enableFindWidget: true },
    );
    panel.iconPath = vscode.Uri.joinPath(media, 'model-optimizer.svg');
    this.panel = panel;
    this.ready = false;
    const w = panel.webview;
    w.html = panelHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUris: [w.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString()],
    });
    const subs = [
      w.onDidReceiveMessage((raw: unknown) => {
        const msg = parseFromWebview(raw);
        if (!msg) {
          this.ctx.output.appendLine(`metrics panel: ignored an unexpected message ${JSON.stringify(raw)?.slice(0, 200)}`);
          return;
        }
        void this.onMessage(msg).catch((err: unknown) => {
          void vscode.window.showErrorMessage(`Model Optimizer: ${err instanceof Error ? err.message : String(err)}`);
        });
      }),
      panel.onDidChangeViewState((e) => {
        // A hidden webview's document is discarded; it says `ready` again when shown.
        if (!e.webviewPanel.visible) {
          this.ready = false;
        }
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subs) {
        s.dispose();
      }
      this.panel = undefined;
      this.ready = false;
    });
  }

  private async onMessage(msg: FromWebview): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.postSnapshot();
        return;
      case 'stopRun':
        await vscode.commands.executeCommand('modelOptimizer.stopRun', msg.runId);
        return;
      case 'startJob': {
        const command: Record<typeof msg.job, string> = {
          train: 'modelOptimizer.train',
          prune: 'modelOptimizer.prune',
          quantize: 'modelOptimizer.quantize',
          evaluate: 'modelOptimizer.evaluate',
          pipeline: 'modelOptimizer.runPipeline',
          sweep: 'modelOptimizer.runSweep',
        };
        await vscode.commands.executeCommand(command[msg.job]);
        return;
      }
      case 'revealArtifact':
        await vscode.commands.executeCommand('modelOptimizer.revealArtifact', { runId: msg.runId, path: msg.path });
        return;
      case 'selectRun':
        if (this.ctx.store.has(msg.runId)) {
          this.selectedRunId = msg.runId;
        }
        return;
      default:
        assertNever(msg, 'webview message');
    }
  }

  private onStoreChange(c: StoreChange): void {
    if (c.kind === 'runs') {
      this.postSnapshot();
      return;
    }
    if (c.event.type === 'ready') {
      return;
    }
    this.post({ type: 'engineEvent', runId: c.runId, event: c.event });
  }

  private postSnapshot(): void {
    const runs = this.ctx.store.all().slice(-SNAPSHOT_RUNS);
    const selected = this.selectedRunId !== null && runs.some((r) => r.runId === this.selectedRunId) ? this.selectedRunId : (runs[runs.length - 1]?.runId ?? null);
    this.post({
      type: 'snapshot',
      runs: runs.map((r) => this.ctx.store.view(r)),
      selectedRunId: selected,
      canRun: this.ctx.canRun,
    });
  }

  private post(msg: ToWebview): void {
    if (this.panel && this.ready) {
      void this.panel.webview.postMessage(msg);
    }
  }
}
