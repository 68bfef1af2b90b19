/**
 * Picks the input model for prune / quantize / evaluate: the model files runs wrote into this
 * output folder (newest run first; for evaluate also the .tflite and .h5 files), or a file
 * chosen by the user.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ArtifactKind } from '../../protocol/engine';
import { formatBytes } from '../../protocol/format';
import type { PreparedRun } from '../config';
import { displayPath } from '../config';
import type { Ctx } from '../ctx';
import { artifactPath } from '../outputDir';

interface Candidate {
  label: string;
  description: string;
  detail?: string;
  file: string;
}

const ICON: Partial<Record<ArtifactKind, string>> = { tfjs: 'file-code', 'tfjs-quantized': 'file-code', tflite: 'file-binary', 'keras-h5': 'database' };

/**
 * Model files of the runs in this output folder that still exist, newest run first, one entry
 * per file; `kinds` limits them (prune/quantize need a TF.js model, evaluate takes all).
 * The preferred TF.js folders (e.g. 'pruned_mnist_model') come first when present.
 */
export function modelCandidates(ctx: Ctx | undefined, prepared: PreparedRun, preferred: string[], kinds: readonly ArtifactKind[]): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (c: Candidate): void => {
    if (!seen.has(c.file) && existsSync(c.file)) {
      seen.add(c.file);
      out.push(c);
    }
  };
  for (const name of preferred) {
    add({ label: `$(file-code) ${name}/`, description: 'TF.js', file: path.join(prepared.outDir, name, 'model.json') });
  }
  const runs = ctx ? ctx.store.all().filter((r) => path.resolve(r.outRoot) === path.resolve(prepared.outDir)).reverse() : [];
  for (const r of runs) {
    for (const a of r.artifacts) {
      if (!kinds.includes(a.kind)) {
        continue;
      }
      const file = artifactPath(r.outDir, a.path);
      if (!file) {
        continue;
      }
      const row = r.report.find((x) => x.path === a.path);
      add({
        label: `$(${ICON[a.kind] ?? 'file'}) ${a.path.endsWith('/model.json') ? `${a.path.slice(0, -'model.json'.length)}` : a.path}`,
        description: `${a.kind} · ${formatBytes(a.bytes)} · ${r.runId}`,
        detail: row?.accuracy !== null && row?.accuracy !== undefined ? `test accuracy ${(row.accuracy * 100).toFixed(2)} % (${row.runtime})` : undefined,
        file,
      });
    }
  }
  return out;
}

export async function pickModel(
  prepared: PreparedRun,
  purpose: string,
  /** Folders under the output folder to offer first, in order of preference (TF.js models). */
  preferred: string[],
  filters: Record<string, string[]>,
  ctx?: Ctx,
  kinds: readonly ArtifactKind[] = ['tfjs'],
): Promise<string | undefined> {
  const candidates = modelCandidates(ctx, prepared, preferred, kinds);
  const browse = 'Choose a model file…';
  if (candidates.length > 0) {
    const items: (vscode.QuickPickItem & { file?: string })[] = [
      ...candidates.map((c) => ({ label: c.label, description: c.description || displayPath(prepared.folder, c.file), detail: c.detail, file: c.file })),
      { label: `$(folder-opened) ${browse}` },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `Model Optimizer: model to ${purpose}`, placeHolder: 'Pick a model file a run wrote, or choose a file', matchOnDescription: true });
    if (!pick) {
      return undefined;
    }
    if (pick.file) {
      return pick.file;
    }
  }
  const uris = await vscode.window.showOpenDialog({
    title: `Model Optimizer: model to ${purpose}`,
    canSelectMany: false,
    canSelectFolders: false,
    defaultUri: existsSync(prepared.outDir) ? vscode.Uri.file(prepared.outDir) : prepared.folder.uri,
    filters,
    openLabel: purpose[0].toUpperCase() + purpose.slice(1),
  });
  return uris?.[0]?.fsPath;
}
