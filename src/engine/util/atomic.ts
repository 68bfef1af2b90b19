/**
 * Atomic file writes: write a temp file beside the target, then rename. A crash or a
 * cancel leaves either the old file or the new one, never half of one. Temp files carry
 * TEMP_MARK so a cleanup after a killed run can find them.
 *
 * Confinement: while a run is active its output folder is registered with `confineWrites`;
 * every write, rename and delete through this module must then land inside a registered
 * folder with no symbolic link (and no file) on the way below it, so a link planted inside
 * the output folder cannot redirect a write elsewhere.
 *
 * The file-system calls go through `fsLayer`, which tests replace to simulate a full disk
 * or a read-only file system deterministically.
 */
import { promises as nodeFs } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { BadInputError } from '../errors';

export const TEMP_MARK = '.mo-tmp-';

/** The file-system calls writers use; replaced in tests (see withFsLayer). */
export interface FsLayer {
  writeFile(file: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(dir: string): Promise<void>;
  rm(file: string): Promise<void>;
  link(from: string, to: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  lstat(p: string): Promise<Stats>;
}

const realFs: FsLayer = {
  writeFile: (f, d) => nodeFs.writeFile(f, d),
  rename: (a, b) => nodeFs.rename(a, b),
  mkdir: async (d) => {
    await nodeFs.mkdir(d, { recursive: true });
  },
  rm: (f) => nodeFs.rm(f, { force: true }),
  link: (a, b) => nodeFs.link(a, b),
  copyFile: (a, b) => nodeFs.copyFile(a, b),
  lstat: (p) => nodeFs.lstat(p),
};

export let fsLayer: FsLayer = realFs;

/** Runs `fn` with some file-system calls replaced (tests: ENOSPC, EROFS). */
export async function withFsLayer<T>(override: Partial<FsLayer>, fn: () => Promise<T>): Promise<T> {
  const before = fsLayer;
  fsLayer = { ...before, ...override };
  try {
    return await fn();
  } finally {
    fsLayer = before;
  }
}

// ---------------------------------------------------------------------------------------
// Confinement to the output folder
// ---------------------------------------------------------------------------------------

const roots = new Map<string, number>();

/** Registers `root` (a real path, no symlink in it) as a folder writes may land in; returns the undo. */
export function confineWrites(root: string): () => void {
  const r = path.resolve(root);
  roots.set(r, (roots.get(r) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) {
      return;
    }
    done = true;
    const n = (roots.get(r) ?? 1) - 1;
    if (n <= 0) {
      roots.delete(r);
    } else {
      roots.set(r, n);
    }
  };
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Throws a BadInputError when `target` (a file to write or delete) is outside every
 * registered output folder, or when a symlink or a file sits on the way to it. No folder
 * registered (a writer used outside a run, e.g. by a test or a library caller): no check.
 */
export async function assertSafeTarget(target: string): Promise<void> {
  if (roots.size === 0) {
    return;
  }
  const abs = path.resolve(target);
  const root = [...roots.keys()].filter((r) => isInside(r, abs)).sort((a, b) => b.length - a.length)[0];
  if (root === undefined) {
    throw new BadInputError(`Refusing to write ${abs}: it is outside the output folder (${[...roots.keys()].join(', ')}). This is a path the run computed from its config; choose paths inside the output folder.`, abs);
  }
  const parts = path.relative(root, path.dirname(abs)).split(path.sep).filter(Boolean);
  let p = root;
  for (const part of parts) {
    p = path.join(p, part);
    let st: Stats;
    try {
      st = await fsLayer.lstat(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return; // the rest is created by this run
      }
      throw err;
    }
    if (st.isSymbolicLink()) {
      throw new BadInputError(
        `${p} is a symbolic link inside the output folder ${root}; Model Optimizer writes only inside the real output folder and does not follow links there. Remove the link (or replace it with a real folder), or choose another output folder.`,
        p,
      );
    }
    if (!st.isDirectory()) {
      throw new BadInputError(`${p} is a file, but the run needs a folder there to write ${path.relative(root, abs)}. Move or rename the file, or choose another output folder.`, p);
    }
  }
  try {
    const st = await fsLayer.lstat(abs);
    if (st.isDirectory()) {
      throw new BadInputError(`${abs} is a folder, but the run needs to write a file there. Move or rename the folder, or choose another output folder.`, abs);
    }
  } catch (err) {
    if (err instanceof BadInputError || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
}

/** mkdir -p, after checking that no link or file is on the way (inside a confined folder). */
export async function mkdirSafe(dir: string): Promise<void> {
  await assertSafeTarget(path.join(dir, '.probe'));
  await fsLayer.mkdir(dir);
}

/** Deletes a file inside the output folder (never through a link on the way). */
export async function removeSafe(file: string): Promise<void> {
  await assertSafeTarget(file);
  await fsLayer.rm(file);
}

// ---------------------------------------------------------------------------------------
// Atomic writes
// ---------------------------------------------------------------------------------------

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}-${path.basename(target)}`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<number> {
  await mkdirSafe(path.dirname(target));
  await assertSafeTarget(target);
  const tmp = tempPathFor(target);
  try {
    await fsLayer.writeFile(tmp, data);
    await fsLayer.rename(tmp, target);
  } catch (err) {
    await nodeFs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/**
 * Writes several files that only make sense together (a TF.js model.json and its weights):
 * all are written to temp names first and renamed only when every write succeeded; the
 * manifest-like file should come LAST in `files` so readers never see it before its parts.
 */
export async function writeFilesAtomic(files: { path: string; data: string | Uint8Array }[]): Promise<number> {
  const staged: { tmp: string; target: string }[] = [];
  let bytes = 0;
  try {
    for (const f of files) {
      await mkdirSafe(path.dirname(f.path));
      await assertSafeTarget(f.path);
      const tmp = tempPathFor(f.path);
      staged.push({ tmp, target: f.path });
      await fsLayer.writeFile(tmp, f.data);
      bytes += typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.byteLength;
    }
    for (const s of staged) {
      await fsLayer.rename(s.tmp, s.target);
    }
  } catch (err) {
    await Promise.all(staged.map((s) => nodeFs.rm(s.tmp, { force: true }).catch(() => undefined)));
    throw err;
  }
  return bytes;
}

/**
 * Puts `source` (a complete file) at `target` atomically: a hard link under a temp name,
 * renamed over the target (a copy where links are not possible). The file is never
 * modified in place afterwards (every writer renames), so sharing the inode is safe.
 */
export async function linkFileAtomic(source: string, target: string): Promise<void> {
  await mkdirSafe(path.dirname(target));
  await assertSafeTarget(target);
  const tmp = tempPathFor(target);
  try {
    try {
      await fsLayer.link(source, tmp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') {
        throw err;
      }
      await fsLayer.copyFile(source, tmp);
    }
    await fsLayer.rename(tmp, target);
  } catch (err) {
    await nodeFs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Removes temp files left by an interrupted run (recursively under `dir`). */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await nodeFs.readdir(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      removed.push(...(await removeStaleTempFiles(p)));
    } else if (e.name.startsWith(TEMP_MARK)) {
      await nodeFs.rm(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}
