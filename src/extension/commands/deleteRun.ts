/** Model Optimizer: Delete Run — after a confirmation, the run's record and the files only it wrote. */
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
  const others = new Set(
    ctx.store
      .all()
      .filter((r) => r.runId !== run.runId && r.outDir === run.outDir)
      .flatMap((r) => r.artifacts.map((a) => a.path)),
  );
  const plan = planDeletion(
    run.artifacts.filter((a) => a.kind !== 'run-record').map((a) => a.path),
    others,
  );
  const kept = plan.shared.length ? ` ${plan.shared.length} file(s) another run also lists are kept.` : '';
  const confirm = 'Delete';
  const pick = await vscode.window.showWarningMessage(
    `Delete run ${run.runId} and its ${plan.remove.length} file(s)? This cannot be undone.${kept}`,
    { modal: true, detail: plan.remove.slice(0, 12).join('\n') + (plan.remove.length > 12 ? '\n…' : '') },
    confirm,
  );
  if (pick !== confirm) {
    return;
  }
  const removed = await deleteRunFiles(run.outDir, run.runId, plan);
  if (run.outRoot !== run.outDir) {
    // A run with its own folder (runs/<id>/): its record sits beside that folder, in the output folder's runs/.
    removed.push(...(await deleteRunFiles(run.outRoot, run.runId, { remove: [], shared: [] })));
  }
  ctx.output.appendLine(`deleted run ${run.runId}: ${removed.join(', ')}`);
  ctx.store.remove(run.runId);
  await loadHistory(ctx);
}
