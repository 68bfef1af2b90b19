/**
 * The metrics webview panel (host side). One panel; it keeps no state of its own: on every
 * (re)load the webview posts `ready` and gets a `snapshot` of the runs, then live events.
 * Messages from the webview are validated (parseFromWebview) before anything is done.
 * After a window reload VS Code hands the panel back through the serializer (`restore`).
 */
import * as vscode from 'vscode';
import { assertNever } from '../../protocol/assert';
import type { DeployCard } from '../../protocol/deploy';
import type { FromWebview, ToWebview } from '../../protocol/webview';
import type { DatasetPreview } from '../../protocol/datasetPreview';
import { parseFromWebview } from '../../protocol/webview';
import type { Ctx } from '../ctx';
import type { StoreChange } from '../runStore';
import { exportReport, saveChart } from './exports';
import { makeNonce, panelHtml } from './html';

export const VIEW_TYPE = 'modelOptimizer.metrics';
/** How many runs the panel's selector offers. */
const SNAPSHOT_RUNS = 20;
/** How many deploy cards the panel keeps. */
const MAX_DEPLOY_CARDS = 5;

/** What the webview keeps with `setState` (and VS Code hands back after a reload). */
function stateRunId(state: unknown): string | undefined {
  const s = state as { selectedRunId?: unknown } | null | undefined;
  return typeof s?.selectedRunId === 'string' ? s.selectedRunId : undefined;
}

export class MetricsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubs: vscode.Disposable[] = [];
  private ready = false;
  private selectedRunId: string | null = null;
  private compareIds: string[] | null = null;
  /** Deploy cards, newest first (at most MAX_DEPLOY_CARDS; one per file). */
  private deployCards: DeployCard[] = [];
  /** Choose Dataset…'s preview on show, and what Confirm does. */
  private preview: { preview: DatasetPreview; confirm: () => Promise<void> } | null = null;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.subs.push(
      ctx.store.onDidChange((c) => this.onStoreChange(c)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.postSnapshot()),
    );
    ctx.pushExt(this);
  }

  /** Opens (or reveals) the panel, showing `runId` or the newest run. */
  show(runId?: string, preserveFocus = false): void {
    if (runId) {
      this.selectedRunId = runId;
      this.compareIds = null;
    }
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      this.postSnapshot();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Model Optimizer Metrics', { viewColumn: vscode.ViewColumn.Active, preserveFocus }, this.options());
    this.adopt(panel);
  }

  /** Model Optimizer: Deploy — shows (or replaces) the card of `card.file` at the top of the panel. */
  showDeploy(card: DeployCard): void {
    this.deployCards = [card, ...this.deployCards.filter((c) => c.file !== card.file)].slice(0, MAX_DEPLOY_CARDS);
    if (this.panel) {
      this.panel.reveal(undefined, false);
      this.post({ type: 'deploy', cards: this.deployCards });
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(VIEW_TYPE, 'Model Optimizer Metrics', { viewColumn: vscode.ViewColumn.Active }, this.options()));
  }

  /**
   * Choose Dataset…: shows `preview` at the top of the panel (opening it) until the user confirms
   * (then `confirm` writes the choice) or cancels; a newer preview replaces it.
   */
  showDatasetPreview(preview: DatasetPreview, confirm: () => Promise<void>): void {
    this.preview = { preview, confirm };
    this.compareIds = null;
    this.show();
  }

  /** Compare Runs: the given runs side by side. */
  compare(runIds: string[]): void {
    this.compareIds = runIds;
    this.selectedRunId = runIds[runIds.length - 1] ?? this.selectedRunId;
    if (this.panel) {
      this.panel.reveal(undefined, false);
      this.postSnapshot();
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(VIEW_TYPE, 'Model Optimizer Metrics', { viewColumn: vscode.ViewColumn.Active }, this.options()));
  }

  /** The serializer's panel after a window reload: take it over with the run it showed. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    if (this.panel && this.panel !== panel) {
      panel.dispose();
      return;
    }
    this.selectedRunId = stateRunId(state) ?? this.selectedRunId;
    panel.webview.options = this.options();
    this.adopt(panel);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const ext = this.ctx.extension.extensionUri;
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(ext, 'dist'), vscode.Uri.joinPath(ext, 'media')], enableFindWidget: true };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    const ext = this.ctx.extension.extensionUri;
    const dist = vscode.Uri.joinPath(ext, 'dist');
    const media = vscode.Uri.joinPath(ext, 'media');
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
    this.panelSubs = [
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
      panel.onDidDispose(() => {
        this.disposePanelSubs();
        this.panel = undefined;
        this.ready = false;
      }),
    ];
  }

  private disposePanelSubs(): void {
    for (const s of this.panelSubs.splice(0)) {
      s.dispose();
    }
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
        const command: Partial<Record<typeof msg.job, string>> = {
          train: 'modelOptimizer.train',
          prune: 'modelOptimizer.prune',
          quantize: 'modelOptimizer.quantize',
          evaluate: 'modelOptimizer.evaluate',
          pipeline: 'modelOptimizer.runPipeline',
          sweep: 'modelOptimizer.runSweep',
          sensitivity: 'modelOptimizer.runSensitivity',
        };
        const id = command[msg.job];
        if (id) {
          await vscode.commands.executeCommand(id);
        }
        return;
      }
      case 'revealArtifact':
        await vscode.commands.executeCommand('modelOptimizer.revealArtifact', { runId: msg.runId, path: msg.path });
        return;
      case 'selectRun':
        if (this.ctx.store.has(msg.runId)) {
          this.selectedRunId = msg.runId;
          if (this.compareIds) {
            // Leaving the comparison for one of its runs.
            this.compareIds = null;
            this.postSnapshot();
          }
        }
        return;
      case 'saveChart':
        await saveChart(this.ctx, msg.chart, msg.format);
        return;
      case 'exportReport':
        await exportReport(this.ctx, msg.runIds.filter((id) => this.ctx.store.has(id)), msg.charts);
        return;
      case 'confirmDataset':
      case 'cancelDataset': {
        // Only the preview on show: a stale panel cannot confirm another one.
        const p = this.preview;
        if (!p || p.preview.id !== msg.id) {
          return;
        }
        this.preview = null;
        this.post({ type: 'datasetPreview', preview: null });
        if (msg.type === 'confirmDataset') {
          await p.confirm();
        }
        return;
      }
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
    const all = this.ctx.store.all();
    const compare = this.compareIds?.filter((id) => this.ctx.store.has(id)) ?? null;
    // The newest runs, plus any compared run older than those.
    const runs = all.filter((r, i) => i >= all.length - SNAPSHOT_RUNS || compare?.includes(r.runId));
    const selected = this.selectedRunId !== null && runs.some((r) => r.runId === this.selectedRunId) ? this.selectedRunId : (runs[runs.length - 1]?.runId ?? null);
    this.post({
      type: 'snapshot',
      runs: runs.map((r) => this.ctx.store.view(r)),
      selectedRunId: selected,
      canRun: this.ctx.canRun,
      compare: compare && compare.length >= 2 ? compare : null,
    });
    if (this.deployCards.length > 0) {
      this.post({ type: 'deploy', cards: this.deployCards });
    }
    this.post({ type: 'datasetPreview', preview: this.preview?.preview ?? null });
  }

  private post(msg: ToWebview): void {
    if (this.panel && this.ready) {
      void this.panel.webview.postMessage(msg);
    }
  }

  dispose(): void {
    this.disposePanelSubs();
    for (const s of this.subs.splice(0)) {
      s.dispose();
    }
    this.panel?.dispose();
    this.panel = undefined;
  }
}
