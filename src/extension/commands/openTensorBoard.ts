/**
 * Model Optimizer: Open TensorBoard — starts `tensorboard --logdir <the run's logs>` in a
 * terminal when it is on PATH and offers to open it; otherwise says how to install it.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { artifactPath } from '../outputDir';
import { commonLogDir, findOnPath } from '../tensorboard';
import { runIdArg } from './args';

const INSTALL = 'python3 -m pip install tensorboard';

export async function openTensorBoard(ctx: Ctx, arg?: unknown): Promise<void> {
  const runId = runIdArg(arg) ?? ctx.store.all().filter((r) => r.artifacts.some((a) => a.kind === 'tensorboard')).pop()?.runId;
  const run = runId ? ctx.store.get(runId) : undefined;
  const events = run?.artifacts.filter((a) => a.kind === 'tensorboard').map((a) => a.path) ?? [];
  if (!run || events.length === 0) {
    void vscode.window.showInformationMessage('Model Optimizer: no run with TensorBoard logs yet (training and pruning write them).');
    return;
  }
  const logdir = artifactPath(run.outDir, commonLogDir(events));
  if (!logdir) {
    return;
  }
  const exe = findOnPath('tensorboard');
  if (!exe) {
    const copy = 'Copy Install Command';
    const pick = await vscode.window.showInformationMessage(
      `TensorBoard is not on PATH. Install it with \`${INSTALL}\` (in the Python environment whose scripts are on PATH), then run Open TensorBoard again. The logs are in ${logdir}.`,
      copy,
    );
    if (pick === copy) {
      await vscode.env.clipboard.writeText(INSTALL);
    }
    return;
  }
  const port = 6006;
  const terminal = vscode.window.createTerminal({ name: `TensorBoard ${run.runId}`, shellPath: exe, shellArgs: ['--logdir', logdir, '--port', String(port)] });
  terminal.show(true);
  const open = 'Open in Browser';
  const pick = await vscode.window.showInformationMessage(`TensorBoard is starting on port ${port} for ${logdir}.`, open);
  if (pick === open) {
    await vscode.env.openExternal(vscode.Uri.parse(`http://localhost:${port}/`));
  }
}
