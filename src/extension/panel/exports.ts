/** Saving what the panel exports: one chart (PNG/SVG), or report.md with the charts as PNG files beside it. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChartImage } from '../../protocol/webview';
import type { Ctx } from '../ctx';
import { buildReportMarkdown } from '../report';

function pngBytes(dataUrl: string): Buffer {
  return Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
}

function defaultFolder(ctx: Ctx, runId?: string): vscode.Uri | undefined {
  const run = runId ? ctx.store.get(runId) : ctx.store.all().pop();
  return run ? vscode.Uri.file(run.outDir) : ctx.workspaceFolder?.uri;
}

export async function saveChart(ctx: Ctx, chart: ChartImage, format: 'png' | 'svg'): Promise<void> {
  const folder = defaultFolder(ctx);
  const target = await vscode.window.showSaveDialog({
    title: `Save the ${chart.title} chart`,
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${chart.name}.${format}`) : undefined,
    filters: format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
  });
  if (!target) {
    return;
  }
  await vscode.workspace.fs.writeFile(target, format === 'png' ? pngBytes(chart.png) : Buffer.from(chart.svg, 'utf8'));
  void vscode.window.showInformationMessage(`Model Optimizer: saved ${target.fsPath}`);
}

export async function exportReport(ctx: Ctx, runIds: string[], charts: ChartImage[]): Promise<void> {
  const runs = runIds.map((id) => ctx.store.get(id)).filter((r) => r !== undefined);
  if (runs.length === 0) {
    return;
  }
  const stem = runs.length > 1 ? 'comparison-report' : `report-${runs[0].runId}`;
  const folder = defaultFolder(ctx, runs[runs.length - 1].runId);
  const target = await vscode.window.showSaveDialog({
    title: 'Save report.md (the charts are saved beside it as PNG files)',
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${stem}.md`) : undefined,
    filters: { Markdown: ['md'] },
  });
  if (!target) {
    return;
  }
  const dir = path.dirname(target.fsPath);
  const base = path.basename(target.fsPath).replace(/\.md$/i, '');
  const files: { title: string; file: string }[] = [];
  for (const c of charts) {
    const file = `${base}-${c.name}.png`;
    await fs.writeFile(path.join(dir, file), pngBytes(c.png));
    files.push({ title: c.title, file });
  }
  await fs.writeFile(target.fsPath, buildReportMarkdown(runs, files, new Date().toISOString()), 'utf8');
  ctx.output.appendLine(`report: wrote ${target.fsPath} and ${files.length} chart(s)`);
  const open = 'Open Report';
  const pick = await vscode.window.showInformationMessage(`Model Optimizer: wrote ${path.basename(target.fsPath)} with ${files.length} chart(s).`, open);
  if (pick === open) {
    await vscode.commands.executeCommand('markdown.showPreview', target);
  }
}
