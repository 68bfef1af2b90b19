/**
 * The "Runs" tree (the run history): one item per run, newest first, with its key figures;
 * under it each stage (epochs, accuracy, sparsity) with the files that stage wrote, and one
 * "TensorBoard logs" node. Files have a context menu (Open, Reveal, Copy Path, Evaluate,
 * Compare With…, Netron when installed); `contextValue` says what each item offers.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { JOB_TITLE, type RunStatus } from '../../protocol/engine';
import type { RunEntry, RunStore, StageSummary } from '../runStore';
import { formatBytes, formatDuration } from '../../protocol/format';
import { assertNever } from '../../protocol/assert';
import { fileGroup, MODEL_KINDS, runFigures } from '../runFiles';

export type RunsNode =
  | { kind: 'run'; runId: string }
  | { kind: 'stage'; runId: string; index: number }
  /** Files no stage claims (e.g. an evaluate run's inputs), and TensorBoard event files. */
  | { kind: 'files'; runId: string }
  | { kind: 'tensorboard'; runId: string }
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

/**
 * `artifact.model.<kind>` for model files (Evaluate, Compare With…, Netron), `artifact.text`
 * for .md/.json (Open, Compare With… as a diff), `artifact.file` for the rest; every artifact
 * gets Reveal and Copy Path (menus match `viewItem =~ /^artifact/`).
 */
export function artifactContext(kind: string | undefined, rel: string): string {
  if (kind && MODEL_KINDS.has(kind as never)) {
    return `artifact.model.${kind}`;
  }
  return /\.(md|json|txt|csv)$/i.test(rel) ? 'artifact.text' : 'artifact.file';
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: RunStore) {
    this.sub = store.onDidChange((c) => {
      // Progress events come several times a second: refresh at most ~2 times a second.
      if (c.kind === 'event' && (c.event.type === 'batchProgress' || c.event.type === 'stageProgress')) {
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
    const r = this.store.get(node.runId);
    if (!r) {
      return [];
    }
    const filesOf = (match: (g: NonNullable<ReturnType<typeof fileGroup>>) => boolean): RunsNode[] =>
      r.artifacts.filter((a) => {
        const g = fileGroup(r, a);
        return g !== null && match(g);
      }).map((a) => ({ kind: 'artifact', runId: r.runId, path: a.path }));
    switch (node.kind) {
      case 'run': {
        const children: RunsNode[] = [];
        if (r.error) {
          children.push({ kind: 'message', runId: r.runId, text: `${r.error.where ? `${r.error.where}: ` : ''}${r.error.message}` });
        }
        const recommended = r.record?.sweep?.recommended;
        if (recommended) {
          children.push({ kind: 'recommended', runId: r.runId, path: recommended });
        }
        r.stages.forEach((_, index) => children.push({ kind: 'stage', runId: r.runId, index }));
        const groups = r.artifacts.map((a) => fileGroup(r, a));
        if (groups.some((g) => g?.kind === 'files')) {
          children.push({ kind: 'files', runId: r.runId });
        }
        if (groups.some((g) => g?.kind === 'tensorboard')) {
          children.push({ kind: 'tensorboard', runId: r.runId });
        }
        return children;
      }
      case 'stage':
        return filesOf((g) => g.kind === 'stage' && g.index === node.index);
      case 'files':
        return filesOf((g) => g.kind === 'files');
      case 'tensorboard':
        return filesOf((g) => g.kind === 'tensorboard');
      default:
        return [];
    }
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'run') {
      return undefined;
    }
    const r = this.store.get(node.runId);
    const a = node.kind === 'artifact' && r ? r.artifacts.find((x) => x.path === node.path) : undefined;
    const g = r && a ? fileGroup(r, a) : null;
    if (g?.kind === 'stage') {
      return { kind: 'stage', runId: node.runId, index: g.index };
    }
    if (g) {
      return { kind: g.kind, runId: node.runId };
    }
    return { kind: 'run', runId: node.runId };
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
      case 'files': {
        const item = new vscode.TreeItem('Files', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${r.runId}/files`;
        item.iconPath = new vscode.ThemeIcon('files');
        item.contextValue = 'files';
        return item;
      }
      case 'tensorboard': {
        const n = r.artifacts.filter((a) => a.kind === 'tensorboard').length;
        const item = new vscode.TreeItem('TensorBoard logs', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${r.runId}/tensorboard`;
        item.description = `${n} event file${n === 1 ? '' : 's'}`;
        item.tooltip = 'Scalars of every fit (loss, accuracy, pruning sparsity per layer). Right-click → Open TensorBoard.';
        item.iconPath = new vscode.ThemeIcon('graph');
        item.contextValue = 'tensorboard';
        item.accessibilityInformation = { label: `TensorBoard logs, ${item.description}` };
        return item;
      }
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
    const short = Number.isNaN(when.getTime()) ? r.startedAt : when.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    item.description = r.status === 'running' ? `running · ${r.activity?.text ?? 'starting…'}` : runFigures(r, short);
    item.iconPath = STATUS_ICON[r.status];
    item.contextValue = `run.${r.status}`;
    item.accessibilityInformation = { label: `Run ${r.runId}, ${JOB_TITLE[r.job]}, ${r.status}${r.status === 'running' ? '' : `, ${runFigures({ ...r, status: 'done' }, time)}`}` };
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${JOB_TITLE[r.job]}** — \`${r.runId}\`\n\n`);
    md.appendMarkdown(`Status: ${r.status}  \nStarted: ${time}  \n`);
    if (r.backend) {
      md.appendMarkdown(`Backend: ${r.backend.tfjs} · ${r.backend.trainer}  \n`);
    }
    if (r.durationMs !== null) {
      md.appendMarkdown(`Duration: ${formatDuration(r.durationMs)}  \n`);
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
    const hasFiles = r.artifacts.some((a) => {
      const g = fileGroup(r, a);
      return g?.kind === 'stage' && g.index === index;
    });
    const item = new vscode.TreeItem(stageLabel(s), hasFiles ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
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
    item.contextValue = artifactContext(r.artifacts.find((x) => x.path === rel)?.kind ?? 'tflite', rel);
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
    item.tooltip = `${uri.fsPath}\n${item.description}\nClick to reveal in the Explorer; right-click for more.`;
    item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = artifactContext(a?.kind, rel);
    item.accessibilityInformation = { label: `Artifact ${rel}, ${item.description}` };
    item.command = { title: 'Reveal Artifact', command: 'modelOptimizer.revealArtifact', arguments: [{ runId: r.runId, path: rel }] };
    return item;
  }
}
