/** Model Optimizer: Delete Run — after a confirmation, the run's record and the files only it wrote. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { loadHistory } from '../history';
import { deleteRunFiles, planDeletion } from '../runDeletion';
import { runIdArg } from './args';

export async function deleteRun(ctx: Ctx, arg?: unknown): Promise<void> {
  let id = runIdArg(arg);
  if (!id) {
    const pick = await vscode.window.showQuickPick(
      ctx.store
        .all()
        .reverse()
        .filter((r) => r.status !== 'running')
        .map((r) => ({ label: r.runId, description: r.status })),
      { title: 'Model Optimizer: run to delete' },
    );
    id = pick?.label;
  }
  const run = id ? ctx.store.get(id) : undefined;
  if (!run) {
    return;
  }
  if (run.status === 'running') {
    void vscode.window.showWarningMessage('Model Optimizer: stop the run before deleting it.');
    return;
  }
  // Relative to the output folder (outRoot). A run in its own folder (`runs/<id>/`) owns all of
  // it; an older run wrote into the output folder itself and owns what no other run lists.
  const rel = (abs: string): string => path.relative(run.outRoot, abs).split(path.sep).join('/');
  const ownFolder = path.resolve(run.outDir) !== path.resolve(run.outRoot);
  const others = new Set(
    ctx.store
      .all()
      .filter((r) => r.runId !== run.runId && r.outRoot === run.outRoot)
      .flatMap((r) => r.artifacts.map((a) => rel(path.resolve(r.outDir, ...a.path.split('/'))))),
  );
  const plan = ownFolder
    ? planDeletion([rel(run.outDir)], new Set())
    : planDeletion(
        run.artifacts.filter((a) => a.kind !== 'run-record').map((a) => rel(path.resolve(run.outDir, ...a.path.split('/')))),
        others,
      );
  const count = ownFolder ? `its run folder ${rel(run.outDir)}/` : `its ${plan.remove.length} file(s)`;
  const kept = plan.shared.length ? ` ${plan.shared.length} file(s) another run also lists are kept.` : '';
  const published = ownFolder ? ' Files of it published at the top of the output folder stay until another run replaces them.' : '';
  const confirm = 'Delete';
  const pick = await vscode.window.showWarningMessage(
    `Delete run ${run.runId} and ${count}? This cannot be undone.${kept}${published}`,
    { modal: true, detail: plan.remove.slice(0, 12).join('\n') + (plan.remove.length > 12 ? '\n…' : '') },
    confirm,
  );
  if (pick !== confirm) {
    return;
  }
  const removed = await deleteRunFiles(run.outRoot, run.runId, plan);
  if (run.outRoot !== run.outDir) {
    // A run with its own folder (runs/<id>/): its record sits beside that folder, in the output folder's runs/.
    removed.push(...(await deleteRunFiles(run.outRoot, run.runId, { remove: [], shared: [] })));
  }
  ctx.output.appendLine(`deleted run ${run.runId}: ${removed.join(', ')}`);
  ctx.store.remove(run.runId);
  await loadHistory(ctx);
}
