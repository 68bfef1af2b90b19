/**
 * Deleting a run from the history: its record and the files it wrote that no other listed run
 * also lists (pipeline runs write the same file names into one output folder, so a newer run
 * may own the same path). Paths stay inside the output folder; symlinks are removed, never
 * followed; folders left empty are removed. No `vscode` import.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { artifactPath, isInside } from './outputDir';

export interface DeletionPlan {
  /** Relative paths (POSIX) this run owns alone. */
  remove: string[];
  /** Relative paths another run also lists: kept. */
  shared: string[];
}

export function planDeletion(own: readonly string[], listedByOthers: ReadonlySet<string>): DeletionPlan {
  const remove: string[] = [];
  const shared: string[] = [];
  for (const rel of new Set(own)) {
    (listedByOthers.has(rel) ? shared : remove).push(rel);
  }
  return { remove, shared };
}

const MANIFEST_LIMIT = 16 * 1024 * 1024;

async function lstat(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.lstat(p);
  } catch {
    return null;
  }
}

/** A TF.js model.json's weight files (inside its folder only). */
async function weightFiles(modelJson: string): Promise<string[]> {
  const st = await lstat(modelJson);
  if (!st?.isFile() || st.size > MANIFEST_LIMIT) {
    return [];
  }
  try {
    const m = JSON.parse(await fs.readFile(modelJson, 'utf8')) as { weightsManifest?: { paths?: unknown[] }[] };
    const dir = path.dirname(modelJson);
    return (m.weightsManifest ?? [])
      .flatMap((g) => g.paths ?? [])
      .filter((p): p is string => typeof p === 'string')
      .map((p) => path.resolve(dir, p))
      .filter((p) => path.dirname(p) === dir);
  } catch {
    return [];
  }
}

async function removeEmptyParents(file: string, outDir: string): Promise<void> {
  for (let dir = path.dirname(file); isInside(outDir, dir) && dir !== path.resolve(outDir); dir = path.dirname(dir)) {
    try {
      await fs.rmdir(dir);
    } catch {
      return; // not empty (or gone)
    }
  }
}

async function removeEntry(abs: string): Promise<boolean> {
  const st = await lstat(abs);
  if (!st) {
    return false;
  }
  if (st.isDirectory()) {
    await fs.rm(abs, { recursive: true, force: true });
  } else {
    await fs.unlink(abs); // a symlink is removed itself, its target is left alone
  }
  return true;
}

/**
 * Removes the run's record (`runs/<id>.json`, or its folder `runs/<id>/`) and `plan.remove`.
 * Returns the relative paths really removed.
 */
export async function deleteRunFiles(outDir: string, runId: string, plan: DeletionPlan): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of plan.remove) {
    const abs = artifactPath(outDir, rel);
    if (!abs) {
      continue;
    }
    if (rel.endsWith('model.json')) {
      for (const w of await weightFiles(abs)) {
        if (await removeEntry(w)) {
          removed.push(path.relative(outDir, w).split(path.sep).join('/'));
        }
      }
    }
    if (await removeEntry(abs)) {
      removed.push(rel);
      await removeEmptyParents(abs, outDir);
    }
  }
  for (const rel of [`runs/${runId}.json`, `runs/${runId}`]) {
    const abs = artifactPath(outDir, rel);
    if (abs && (await removeEntry(abs))) {
      removed.push(rel);
    }
  }
  return removed;
}
