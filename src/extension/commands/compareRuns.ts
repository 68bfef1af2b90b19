/**
 * Model Optimizer: Compare Runs — two or more runs side by side in the metrics panel (config
 * differences highlighted, curves overlaid, comparison tables merged). From the Runs tree
 * (select several runs, right-click), from "Compare with Previous Run", or from the palette
 * (pick the runs).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { runIdArg } from './args';

/** Run ids from the tree's (clicked, selected[]) arguments or an array of ids. */
export function runIdsFromArgs(args: unknown[]): string[] {
  const ids: string[] = [];
  const add = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(add);
      return;
    }
    const id = typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind !== undefined && (v as { kind?: unknown }).kind !== 'run' ? undefined : runIdArg(v);
    if (id && !ids.includes(id)) {
      ids.push(id);
    }
  };
  args.forEach(add);
  return ids;
}

export async function compareRuns(ctx: Ctx, ...args: unknown[]): Promise<void> {
  let ids = runIdsFromArgs(args).filter((id) => ctx.store.has(id));
  if (ids.length < 2) {
    const finished = ctx.store
      .all()
      .reverse()
      .filter((r) => r.status !== 'running');
    if (finished.length < 2) {
      void vscode.window.showInformationMessage('Model Optimizer: Compare Runs needs at least two finished runs.');
      return;
    }
    const picks = await vscode.window.showQuickPick(
      finished.map((r) => ({ label: r.runId, description: r.status, picked: ids.includes(r.runId) })),
      { title: 'Model Optimizer: runs to compare (two or more)', canPickMany: true },
    );
    if (!picks) {
      return;
    }
    ids = picks.map((p) => p.label);
    if (ids.length < 2) {
      void vscode.window.showInformationMessage('Model Optimizer: pick at least two runs to compare.');
      return;
    }
  }
  const panel = await ctx.panel();
  // Oldest first: the earlier run is the reference the others are compared with.
  panel.compare(ids.sort((a, b) => (ctx.store.get(a)?.startedAt ?? '').localeCompare(ctx.store.get(b)?.startedAt ?? '')));
}
