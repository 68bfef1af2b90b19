/**
 * Model Optimizer: Compare With… — pick a second file: two text files (reports) open as a
 * diff; two model files are compared by their measured figures in a Markdown preview.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { compareFilesMarkdown, type ComparedFile } from '../fileComparison';
import { artifactPath } from '../outputDir';
import { MODEL_KINDS } from '../runFiles';
import type { RunEntry } from '../runStore';
import { artifactFile } from './artifactFile';

interface Pick extends vscode.QuickPickItem {
  run: RunEntry;
  rel: string;
  file: string;
}

function compared(run: RunEntry, rel: string): ComparedFile {
  const a = run.artifacts.find((x) => x.path === rel);
  return { label: `${path.posix.basename(rel === 'model.json' || rel.endsWith('/model.json') ? path.posix.dirname(rel) : rel)} (${run.runId})`, path: rel, bytes: a?.bytes ?? 0, row: run.report.find((x) => x.path === rel) ?? null };
}

export async function compareArtifact(ctx: Ctx, arg?: unknown): Promise<void> {
  const first = artifactFile(ctx, arg, 'Compare With…');
  if (!first) {
    return;
  }
  const firstKind = first.run.artifacts.find((x) => x.path === first.rel)?.kind;
  const isModel = firstKind !== undefined && MODEL_KINDS.has(firstKind);
  const items: Pick[] = [];
  for (const run of ctx.store.all().reverse()) {
    for (const a of run.artifacts) {
      const sameFile = run.runId === first.run.runId && a.path === first.rel;
      if (sameFile || MODEL_KINDS.has(a.kind) !== isModel || a.kind === 'run-record' || a.kind === 'tensorboard') {
        continue;
      }
      const file = artifactPath(run.outDir, a.path);
      if (file) {
        const row = run.report.find((x) => x.path === a.path);
        items.push({
          label: a.path,
          description: run.runId,
          detail: row ? `gzip ${(row.gzipBytes / 1024).toFixed(1)} KiB · ${row.accuracy === null ? 'not evaluated' : `${(row.accuracy * 100).toFixed(2)} %`}` : undefined,
          run,
          rel: a.path,
          file,
        });
      }
    }
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`Model Optimizer: no other ${isModel ? 'model' : 'report'} file to compare ${first.rel} with.`);
    return;
  }
  const second = await vscode.window.showQuickPick(items, { title: `Compare ${first.rel} with…`, matchOnDescription: true, matchOnDetail: true });
  if (!second) {
    return;
  }
  if (!isModel) {
    await vscode.commands.executeCommand('vscode.diff', first.uri, vscode.Uri.file(second.file), `${first.rel} (${first.run.runId}) ↔ ${second.rel} (${second.run.runId})`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: compareFilesMarkdown(compared(first.run, first.rel), compared(second.run, second.rel)) });
  await vscode.window.showTextDocument(doc, { preview: true });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
}
