/**
 * Run folders and the current set.
 *
 * Every run writes its files into its own folder `<out>/runs/<runId>/` (the same layout the
 * top of the output folder has), so a failed, cancelled or concurrent run never touches what
 * an earlier run left. When a run completes, its files are published to the top of the output
 * folder (hard links, renamed into place) as ONE CONSISTENT SET, described by
 * `<out>/current-set.json`:
 *
 *   the new set = the files of the models this run read from the set (the input models, with
 *   their TensorBoard logs and exports) + every file this run wrote.
 *
 * Everything else published earlier is taken off the top (it stays in its run folder): after
 * `train`, the top holds only the new baseline, not the pruned files and comparison.md of an
 * older pipeline that describe another model; after `prune`, the baseline and the new pruned
 * model; after `quantize`, both models and their exports and comparison. A run that writes
 * nothing (evaluate) leaves the set as it is. Files at the top that no run published (the
 * user's own, or written by an older version) are left alone unless a new file has their name.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ArtifactKind, JobKind } from '../../protocol/engine';
import { TEMP_MARK, fsLayer, linkFileAtomic, removeSafe, writeFileAtomic } from '../util/atomic';

export const RUNS_DIR = 'runs';
export const CURRENT_SET_FILE = 'current-set.json';

export interface SetFile {
  /** The run whose folder holds this file (`runs/<run>/<path>`). */
  run: string;
  /** The model the file belongs to ('' when it belongs to none, e.g. comparison.md). */
  model: string;
}

export interface CurrentSet {
  version: 1;
  /** The run that published this set last. */
  head: string;
  job: JobKind;
  publishedAt: string;
  /** Top-level path (POSIX, relative to the output folder) → where it came from. */
  files: Record<string, SetFile>;
}

export interface PublishResult {
  published: string[];
  /** Files of earlier runs taken off the top (still in their run folders). */
  withdrawn: string[];
  /** Files left at the top although they no longer belong to the set (changed by hand). */
  kept: string[];
}

/** The run folder of `runId`, relative to the output folder (POSIX). */
export function runDirOf(runId: string): string {
  return `${RUNS_DIR}/${runId}`;
}

export async function readCurrentSet(outDir: string): Promise<CurrentSet | null> {
  try {
    const v = JSON.parse(await fs.readFile(path.join(outDir, CURRENT_SET_FILE), 'utf8')) as CurrentSet;
    if (v && v.version === 1 && typeof v.files === 'object' && v.files !== null && !Array.isArray(v.files)) {
      const files: Record<string, SetFile> = {};
      for (const [rel, f] of Object.entries(v.files)) {
        if (f && typeof f.run === 'string' && typeof f.model === 'string' && isSafeRel(rel) && isSafeRel(f.run)) {
          files[rel] = { run: f.run, model: f.model };
        }
      }
      return { ...v, files };
    }
  } catch {
    // Missing or unreadable: no set yet.
  }
  return null;
}

/** A relative POSIX path that stays inside its folder. */
function isSafeRel(rel: string): boolean {
  return rel !== '' && !rel.startsWith('/') && !rel.split('/').some((p) => p === '..' || p === '.' || p === '');
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push(...(await listFiles(path.join(dir, e.name), rel)));
    } else if (e.isFile() && !e.name.startsWith(TEMP_MARK)) {
      out.push(rel);
    }
  }
  return out;
}

/** Which model each file of a run folder belongs to, from the run's artifacts. */
function modelOfFiles(files: string[], artifacts: readonly { kind: ArtifactKind; model: string; path: string }[]): Map<string, string> {
  const byFile = new Map<string, string>();
  for (const a of artifacts) {
    if (a.kind === 'run-record') {
      continue;
    }
    if (a.kind === 'tfjs' || a.kind === 'tfjs-quantized') {
      const folder = path.posix.dirname(a.path);
      for (const f of files) {
        if (folder === '.' ? f === a.path : f.startsWith(`${folder}/`)) {
          byFile.set(f, a.model);
        }
      }
    } else if (a.kind !== 'report') {
      byFile.set(a.path, a.model);
    }
  }
  return byFile;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return x.ino === y.ino && x.dev === y.dev ? true : x.size === y.size && (await fs.readFile(a)).equals(await fs.readFile(b));
  } catch {
    return false;
  }
}

/**
 * Publishes the completed run `runId` (see the module comment). `inputs` are the absolute
 * paths of the model files the run read; `artifacts` its artifact list (paths relative to its
 * run folder). Returns what changed at the top; a run folder without files publishes nothing.
 */
export async function publishRun(
  outDir: string,
  runId: string,
  job: JobKind,
  inputs: readonly string[],
  artifacts: readonly { kind: ArtifactKind; model: string; path: string }[],
): Promise<PublishResult | null> {
  const runDir = path.join(outDir, ...runDirOf(runId).split('/'));
  const files = await listFiles(runDir);
  if (files.length === 0) {
    return null;
  }
  const old = (await readCurrentSet(outDir)) ?? null;
  const oldFiles = old?.files ?? {};

  // The input models, as (run, model) pairs of the current set.
  const keepModels = new Set<string>();
  for (const input of inputs) {
    const rel = path.relative(outDir, input).split(path.sep).join('/');
    const entry = oldFiles[rel];
    if (entry && entry.model) {
      keepModels.add(`${entry.run}\0${entry.model}`);
    }
  }
  const models = modelOfFiles(files, artifacts);
  const next: Record<string, SetFile> = {};
  for (const [rel, f] of Object.entries(oldFiles)) {
    if (keepModels.has(`${f.run}\0${f.model}`)) {
      next[rel] = f;
    }
  }
  for (const rel of files) {
    next[rel] = { run: runId, model: models.get(rel) ?? '' };
  }

  // New files first (each renamed into place whole), then the old ones that left the set.
  const published: string[] = [];
  for (const rel of files) {
    await linkFileAtomic(path.join(runDir, ...rel.split('/')), path.join(outDir, ...rel.split('/')));
    published.push(rel);
  }
  const withdrawn: string[] = [];
  const kept: string[] = [];
  for (const [rel, f] of Object.entries(oldFiles)) {
    if (next[rel]) {
      continue;
    }
    const top = path.join(outDir, ...rel.split('/'));
    const original = path.join(outDir, RUNS_DIR, f.run, ...rel.split('/'));
    // Only what this tool put there: a file changed by hand since is left (and reported).
    if (!(await sameFile(top, original))) {
      try {
        await fsLayer.lstat(top);
        kept.push(rel);
      } catch {
        // already gone
      }
      continue;
    }
    await removeSafe(top);
    withdrawn.push(rel);
    await removeEmptyParents(outDir, path.dirname(top));
  }
  const set: CurrentSet = { version: 1, head: runId, job, publishedAt: new Date().toISOString(), files: next };
  await writeFileAtomic(path.join(outDir, CURRENT_SET_FILE), `${JSON.stringify(set, null, 2)}\n`);
  return { published, withdrawn, kept };
}

async function removeEmptyParents(outDir: string, dir: string): Promise<void> {
  const root = path.resolve(outDir);
  for (let d = path.resolve(dir); d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await fs.rmdir(d);
    } catch {
      return; // not empty (or not ours to remove)
    }
  }
}
