/**
 * Past runs: `<out>/runs/*.json` of every workspace folder, read at activation and on refresh,
 * so the tree and panel survive reloads (a multi-root workspace shows the runs of all folders).
 */
import type { Ctx } from './ctx';
import { historyOutDir } from './config';
import { readHistory } from './runStore';
import * as vscode from 'vscode';

export async function loadHistory(ctx: Ctx): Promise<void> {
  const all: Awaited<ReturnType<typeof readHistory>>['records'] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const outDir = await historyOutDir(folder);
    if (!outDir) {
      continue;
    }
    const { records, skipped } = await readHistory(outDir);
    if (skipped.length > 0) {
      ctx.output.appendLine(`history: skipped ${skipped.length} file(s) in ${outDir}/runs that are not valid run records (the other runs are shown):\n  ${skipped.join('\n  ')}`);
    }
    all.push(...records);
  }
  ctx.store.setHistory(all);
}
