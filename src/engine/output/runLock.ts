/**
 * One run per output folder at a time: `<out>/run.lock` holds the pid, host, run id, job and
 * start time of the run writing there. It is created atomically (written under a temp name,
 * then hard-linked to its name, which fails if a lock exists), so a reader never sees half a
 * lock. A lock whose process is gone (same host, pid not alive) is stale and is taken over.
 */
import { promises as fs, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInputError, CancelledError } from '../errors';
import { tempPathFor } from '../util/atomic';
import { isAlive } from '../util/process';

export const LOCK_FILE = 'run.lock';

export interface LockInfo {
  pid: number;
  host: string;
  runId: string;
  job: string;
  startedAt: string;
}

export interface RunLock {
  readonly file: string;
  readonly info: LockInfo;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Wait for the running one to end instead of refusing (CLI --wait). */
  wait?: boolean;
  signal?: AbortSignal;
  /** How often a waiting run looks again (ms). */
  pollMs?: number;
  /** Called once when a run starts waiting, with the holder. */
  onWait?: (holder: LockInfo) => void;
  /** Called when a stale lock (dead process) is taken over. */
  onStale?: (holder: LockInfo) => void;
}

async function readLock(file: string): Promise<LockInfo | null> {
  try {
    const v = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.runId === 'string') {
      return { pid: v.pid, host: String(v.host ?? ''), runId: v.runId, job: String(v.job ?? ''), startedAt: String(v.startedAt ?? '') };
    }
    return null; // unreadable content: treated as stale below
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw err;
    }
    return null;
  }
}

/** A lock held by a live process (on another host we cannot tell, so it counts as live). */
export function isLive(info: LockInfo | null): info is LockInfo {
  if (!info) {
    return false;
  }
  if (info.host && info.host !== os.hostname()) {
    return true;
  }
  return info.pid === process.pid || isAlive(info.pid);
}

export function describeHolder(h: LockInfo): string {
  return `run ${h.runId} (${h.job}, pid ${h.pid}${h.host && h.host !== os.hostname() ? ` on ${h.host}` : ''}, started ${h.startedAt})`;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Takes the lock of `outDir` (which must exist) or throws a BadInputError naming the run that
 * holds it; with `wait`, polls until it is free (a cancel ends the wait with CancelledError).
 */
export async function acquireRunLock(outDir: string, me: Omit<LockInfo, 'pid' | 'host'>, options: AcquireOptions = {}): Promise<RunLock> {
  const file = path.join(outDir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), ...me };
  const tmp = tempPathFor(file);
  await fs.writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`);
  let announced = false;
  try {
    for (;;) {
      if (options.signal?.aborted) {
        throw new CancelledError();
      }
      try {
        await fs.link(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw err;
        }
      }
      let holder: LockInfo | null;
      try {
        holder = await readLock(file);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (!isLive(holder)) {
        await breakStaleLock(file, holder);
        if (holder) {
          options.onStale?.(holder);
        }
        continue;
      }
      if (!options.wait) {
        throw new BadInputError(
          `Another run is writing to the output folder ${outDir}: ${describeHolder(holder)}. ` +
            'Wait for it to finish or stop it, choose another output folder (--out), or pass --wait to start when it is done.',
          file,
        );
      }
      if (!announced) {
        announced = true;
        options.onWait?.(holder);
      }
      await sleep(options.pollMs ?? 500, options.signal);
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  let released = false;
  return {
    file,
    info,
    async release(): Promise<void> {
      if (released) {
        return;
      }
      released = true;
      try {
        const now = await readLock(file);
        if (now && now.runId === info.runId && now.pid === info.pid) {
          await fs.rm(file, { force: true });
        }
      } catch {
        // Already gone.
      }
    },
  };
}

/**
 * Removes a stale lock without removing a fresh one another run took meanwhile: the lock is
 * renamed away first, and put back if what was moved is not the stale one we saw.
 */
async function breakStaleLock(file: string, seen: LockInfo | null): Promise<void> {
  const aside = tempPathFor(`${file}.stale`);
  try {
    await fs.rename(file, aside);
  } catch {
    return; // gone already
  }
  let moved: LockInfo | null = null;
  try {
    moved = await readLock(aside);
  } catch {
    // unreadable
  }
  const same = (moved === null && seen === null) || (moved !== null && seen !== null && moved.pid === seen.pid && moved.runId === seen.runId);
  if (!same && isLive(moved)) {
    await fs.link(aside, file).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

/** Synchronous release for exit paths that cannot await (a forced exit after a stop request). */
export function releaseRunLockSync(lock: RunLock | undefined): void {
  if (!lock) {
    return;
  }
  try {
    const now = JSON.parse(readFileSync(lock.file, 'utf8')) as Partial<LockInfo>;
    if (now.runId === lock.info.runId && now.pid === lock.info.pid) {
      rmSync(lock.file, { force: true });
    }
  } catch {
    // gone or unreadable: nothing to release
  }
}
