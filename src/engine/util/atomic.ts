/**
 * Atomic file writes: write a temp file beside the target, then rename. A crash or a
 * cancel leaves either the old file or the new one, never half of one. Temp files carry
 * TEMP_MARK so a cleanup after a killed run can find them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const TEMP_MARK = '.mo-tmp-';

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}-${path.basename(target)}`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<number> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
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
      await fs.mkdir(path.dirname(f.path), { recursive: true });
      const tmp = tempPathFor(f.path);
      staged.push({ tmp, target: f.path });
      await fs.writeFile(tmp, f.data);
      bytes += typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.byteLength;
    }
    for (const s of staged) {
      await fs.rename(s.tmp, s.target);
    }
  } catch (err) {
    await Promise.all(staged.map((s) => fs.rm(s.tmp, { force: true })));
    throw err;
  }
  return bytes;
}

/** Removes temp files left by an interrupted run (recursively under `dir`). */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      removed.push(...(await removeStaleTempFiles(p)));
    } else if (e.name.startsWith(TEMP_MARK)) {
      await fs.rm(p, { force: true });
      removed.push(p);
    }
  }
  return removed;
}
