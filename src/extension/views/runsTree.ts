/**
 * The "Runs" tree: one item per run (status icon), children for each stage (epochs, accuracy,
 * sparsity) and each artifact (size; click reveals it in the Explorer; inline reveal button).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JOB_TITLE, type RunStatus } from '../../protocol/engine';
import type { RunEntry, RunStore, StageSummary } from '../runStore';
import { formatBytes } from '../../protocol/format';
import { assertNever } from '../../protocol/assert';

export type RunsNode =
  | { kind: 'run'; runId: string }
  | { kind: 'stage'; runId: string; index: number }
  | { kind: 'artifact'; runId: string; path: string }
  /** A finished sweep: the file its recommendation says to deploy. */
  | { kind: 'recommended'; runId: string; path: string }
  | { kind: 'message'; runId: string; text: string };

const STATUS_ICON: Record<RunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
};

function pct(v: number): string {
  return `${(v * 100).toFixed(2)} %`;
}

function stageLabel(s: StageSummary): string {
  switch (s.stage) {
    case 'train':
      return 'Baseline training';
    case 'prune':
      // A sweep prunes several models: name them; the reference pipeline's one needs no name.
      return s.model === 'pruned_mnist_model' ? 'Pruning' : `Pruning ${s.model}`;
    case 'export':
      return 'Export';
    case 'evaluate':
      return 'Evaluate';
    default:
      return s.stage;
  }
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: RunStore) {
    this.sub = store.onDidChange((c) => {
      // Progress events come several times a second: refresh at most ~2 times a second.
      if (c.kind === 'event' && c.event.type === 'batchProgress') {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.emitter.fire(undefined);
        }, 500);
        return;
      }
      this.emitter.fire(undefined);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.sub.dispose();
    this.emitter.dispose();
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      return this.store
        .all()
        .reverse()
        .map((r) => ({ kind: 'run', runId: r.runId }));
    }
    if (node.kind !== 'run') {
      return [];
    }
    const r = this.store.get(node.runId);
    if (!r) {
      return [];
    }
    const children: RunsNode[] = [];
    if (r.error) {
      children.push({ kind: 'message', runId: r.runId, text: `${r.error.where ? `${r.error.where}: ` : ''}${r.error.message}` });
    }
    const recommended = r.record?.sweep?.recommended;
    if (recommended) {
      children.push({ kind: 'recommended', runId: r.runId, path: recommended });
    }
    r.stages.forEach((_, index) => children.push({ kind: 'stage', runId: r.runId, index }));
    for (const a of r.artifacts) {
      if (a.kind !== 'run-record') {
        children.push({ kind: 'artifact', runId: r.runId, path: a.path });
      }
    }
    return children;
  }

  getParent(node: RunsNode): RunsNode | undefined {
    return node.kind === 'run' ? undefined : { kind: 'run', runId: node.runId };
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    const r = this.store.get(node.runId);
    if (!r) {
      return new vscode.TreeItem('(gone)');
    }
    switch (node.kind) {
      case 'run':
        return this.runItem(r);
      case 'stage':
        return this.stageItem(r, node.index);
      case 'artifact':
        return this.artifactItem(r, node.path);
      case 'recommended':
        return this.recommendedItem(r, node.path);
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('errorForeground'));
        item.tooltip = node.text;
        item.id = `${r.runId}/message`;
        return item;
      }
      default:
        return assertNever(node, 'tree node');
    }
  }

  private runItem(r: RunEntry): vscode.TreeItem {
    const newest = this.store.all().pop()?.runId === r.runId;
    const item = new vscode.TreeItem(
      JOB_TITLE[r.job],
      r.status === 'running' || newest ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = r.runId;
    const when = new Date(r.startedAt);
    const time = Number.isNaN(when.getTime()) ? r.startedAt : when.toLocaleString();
    const p = r.progress;
    item.description = r.status === 'running' && p ? `running · ${p.stage} ${p.epoch}/${p.epochs} · ${Math.round((p.batch / Math.max(1, p.batches)) * 100)} %` : `${r.status} · ${time}`;
    item.iconPath = STATUS_ICON[r.status];
    item.contextValue = `run.${r.status}`;
    item.accessibilityInformation = { label: `Run ${r.runId}, ${JOB_TITLE[r.job]}, ${r.status}` };
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${JOB_TITLE[r.job]}** — \`${r.runId}\`\n\n`);
    md.appendMarkdown(`Status: ${r.status}  \nStarted: ${time}  \n`);
    if (r.backend) {
      md.appendMarkdown(`Backend: ${r.backend.tfjs} · ${r.backend.trainer}  \n`);
    }
    if (r.durationMs !== null) {
      md.appendMarkdown(`Duration: ${(r.durationMs / 1000).toFixed(1)} s  \n`);
    }
    if (r.warnings > 0) {
      md.appendMarkdown(`Warnings: ${r.warnings}  \n`);
    }
    md.appendMarkdown(`Output: \`${r.outDir}\``);
    item.tooltip = md;
    item.command = { title: 'Show Metrics Panel', command: 'modelOptimizer.showPanel', arguments: [r.runId] };
    return item;
  }

  private stageItem(r: RunEntry, index: number): vscode.TreeItem {
    const s = r.stages[index];
    const item = new vscode.TreeItem(stageLabel(s));
    item.id = `${r.runId}/stage/${index}`;
    const parts: string[] = [];
    if (s.epochs > 0) {
      parts.push(`${s.epochsDone}/${s.epochs} epochs`);
    }
    if (s.testAccuracy !== undefined) {
      parts.push(`test ${pct(s.testAccuracy)}`);
    } else if (s.lastValAccuracy !== undefined) {
      parts.push(`val ${pct(s.lastValAccuracy)}`);
    }
    if (s.stage === 'export' && r.report.length > 0) {
      parts.push(`${r.report.length} model files compared`);
    }
    if (s.sparsity) {
      parts.push(
        Object.entries(s.sparsity)
          .map(([layer, v]) => `${layer} ${(v * 100).toFixed(1)} % sparse`)
          .join(', '),
      );
    }
    item.description = parts.join(' · ');
    item.tooltip = `${stageLabel(s)} — ${s.model}\n${parts.join('\n')}`;
    item.iconPath = new vscode.ThemeIcon(s.stage === 'prune' ? 'filter' : s.stage === 'train' ? 'graph-line' : 'package');
    item.contextValue = 'stage';
    return item;
  }

  /** The sweep's pick under its accuracy budget: click reveals the file, the tooltip says why. */
  private recommendedItem(r: RunEntry, rel: string): vscode.TreeItem {
    const item = new vscode.TreeItem(`Deploy ${rel.split('/').pop() ?? rel}`);
    item.id = `${r.runId}/recommended`;
    const row = r.report.find((x) => x.path === rel);
    item.description = row ? [`gzip ${formatBytes(row.gzipBytes)}`, row.accuracy !== null ? `acc ${pct(row.accuracy)}` : ''].filter((x) => x !== '').join(' · ') : rel;
    item.tooltip = r.record?.sweep?.recommendation ?? rel;
    item.iconPath = new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.green'));
    item.contextValue = 'artifact';
    item.accessibilityInformation = { label: `Recommended file ${rel}, ${item.description}` };
    item.command = { title: 'Reveal Artifact', command: 'modelOptimizer.revealArtifact', arguments: [{ runId: r.runId, path: rel }] };
    return item;
  }

  private artifactItem(r: RunEntry, rel: string): vscode.TreeItem {
    const a = r.artifacts.find((x) => x.path === rel);
    const uri = vscode.Uri.file(path.join(r.outDir, ...rel.split('/')));
    const isModelJson = rel.endsWith('/model.json');
    const label = isModelJson ? `${rel.slice(0, -'/model.json'.length)}/ (TF.js)` : rel;
    const item = new vscode.TreeItem(label);
    item.id = `${r.runId}/artifact/${rel}`;
    item.resourceUri = uri;
    const row = r.report.find((x) => x.path === rel);
    const parts = [a ? formatBytes(a.bytes) : ''];
    if (row) {
      parts.push(`gzip ${formatBytes(row.gzipBytes)}`);
      const sparse = row.layers.filter((l) => l.sparsity > 0);
      if (sparse.length > 0) {
        parts.push(sparse.map((l) => `${l.name} ${(l.sparsity * 100).toFixed(1)} % sparse`).join(', '));
      }
      if (row.accuracy !== null) {
        parts.push(`acc ${pct(row.accuracy)}`);
      }
    }
    item.description = parts.filter((x) => x !== '').join(' · ');
    item.tooltip = `${uri.fsPath}\n${item.description}\nClick to reveal in the Explorer.`;
    item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = 'artifact';
    item.accessibilityInformation = { label: `Artifact ${rel}, ${item.description}` };
    item.command = { title: 'Reveal Artifact', command: 'modelOptimizer.revealArtifact', arguments: [{ runId: r.runId, path: rel }] };
    return item;
  }
}
