/**
 * Reading untrusted user files safely: only regular files (never a device such as /dev/zero,
 * a FIFO, a socket or a folder, also not through a symlink), with a size cap decided before
 * a byte is read, and paths from inside a file (a model.json's weight paths) kept inside the
 * folder they belong to.
 *
 * The check is made on the opened file descriptor (fstat), not on the path, so the file
 * cannot be swapped between the check and the read. The open uses O_NONBLOCK so that opening
 * a FIFO with no writer returns at once (and is then refused) instead of blocking a libuv
 * thread forever.
 *
 * Every failure is a BadInputError whose message is one paragraph: the problem, then the fix.
 *
 *   const bytes = await readFileLimited(file, { what: 'TFLite model', maxBytes: LIMITS.model });
 *   const text = await readTextLimited(file, { what: 'config file', maxBytes: LIMITS.config });
 *   const shard = await resolveInside(modelDir, 'group1-shard1of1.bin', 'weights file');
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { BadInputError } from '../errors';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Default caps, by kind of file. Formats with a header also cap by what the header says. */
export const LIMITS = {
  /** JSON configs and run settings: real ones are a few KB. */
  config: 4 * MiB,
  /** A TF.js model.json (topology + manifest, no weights). */
  modelJson: 64 * MiB,
  /** A model file (.tflite, .h5, a weight shard): flatbuffers cannot exceed 2 GiB anyway. */
  model: 2 * GiB - 1,
  /** A data file (IDX, CSV, an image, .npy). */
  data: 2 * GiB - 1,
} as const;

export interface ReadLimits {
  /** What the file is, for messages: 'TFLite model', 'IDX labels file', 'config file'. */
  what: string;
  /** Refuse files larger than this (bytes). */
  maxBytes: number;
  /** The fix to suggest when the file is too large (default: a generic one). */
  tooLargeFix?: string;
  /** The fix to suggest when the file is missing or not a regular file (default: check the path). */
  pathFix?: string;
}

function mb(n: number): string {
  return n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

/** What kind of non-regular file `st` is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) {
    return 'a folder';
  }
  if (st.isFIFO()) {
    return 'a named pipe (FIFO)';
  }
  if (st.isCharacterDevice()) {
    return 'a character device';
  }
  if (st.isBlockDevice()) {
    return 'a block device';
  }
  if (st.isSocket()) {
    return 'a socket';
  }
  return 'not a regular file';
}

function openError(file: string, what: string, err: unknown, pathFix?: string): BadInputError {
  const code = (err as NodeJS.ErrnoException).code;
  const fix = pathFix ?? 'Check the path (relative paths are resolved against the workspace folder).';
  const problem =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read: permission denied'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'ELOOP'
            ? 'is a symlink loop'
            : code === 'ENAMETOOLONG'
              ? 'has a name that is too long'
              : code === 'ENOTDIR'
                ? 'has a path through something that is not a folder'
                : `cannot be read (${code ?? (err as Error).message})`;
  return new BadInputError(`The ${what} ${file} ${problem}. ${fix}`, file);
}

/**
 * Opens `file` for reading and checks, on the open descriptor, that it is a regular file
 * no larger than `maxBytes`. The caller must close the handle. Symlinks to regular files are
 * followed (users link data sets); symlinks to anything else are refused like their target.
 */
export async function openRegularFile(file: string, limits: ReadLimits): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO without a writer would otherwise block the open forever. It does
    // not change reads from regular files. (Windows has no O_NONBLOCK and no FIFOs.)
    fh = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw openError(file, limits.what, err, limits.pathFix);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new BadInputError(
        `The ${limits.what} ${file} is ${kindOf(st)}, not a regular file, so it is not read (it could be endless or block forever). ${limits.pathFix ?? 'Point the path at the file itself.'}`,
        file,
      );
    }
    if (st.size > limits.maxBytes) {
      throw new BadInputError(
        `The ${limits.what} ${file} is ${mb(st.size)}, more than the ${mb(limits.maxBytes)} a ${limits.what} can be, so it is not read. ${limits.tooLargeFix ?? 'Check that the path names the right file.'}`,
        file,
      );
    }
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * Reads at most `n` bytes from `fh` starting at `position` (stops early at end of file).
 * Never allocates more than `n` bytes, whatever the file claims.
 */
export async function readAt(fh: FileHandle, n: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, position + got);
    if (bytesRead === 0) {
      break;
    }
    got += bytesRead;
  }
  return got === n ? buf : buf.subarray(0, got);
}

/**
 * Reads a whole regular file of at most `maxBytes`. A file that grows while it is read is
 * cut at the size it had when opened (so an appending writer cannot make the read endless).
 */
export async function readFileLimited(file: string, limits: ReadLimits): Promise<Buffer> {
  const { fh, size } = await openRegularFile(file, limits);
  try {
    return await readAt(fh, size, 0);
  } catch (err) {
    throw openError(file, limits.what, err, limits.pathFix);
  } finally {
    await fh.close();
  }
}

/** readFileLimited as UTF-8 text (a BOM is kept: callers that parse JSON strip it). */
export async function readTextLimited(file: string, limits: ReadLimits): Promise<string> {
  return (await readFileLimited(file, limits)).toString('utf8');
}

/**
 * For libraries that open a path themselves (h5wasm): checks that `file` is a regular file
 * within the cap, and returns its size. The library then opens the same path; the window
 * between the two is the caller's to accept.
 */
export async function checkRegularFile(file: string, limits: ReadLimits): Promise<number> {
  const { fh, size } = await openRegularFile(file, limits);
  await fh.close();
  return size;
}

/**
 * Resolves `rel` (a path written inside a file, e.g. a weight path in model.json) against
 * `dir` and returns the real path, refusing anything that lands outside `dir` after symlinks
 * are followed: '../secret.bin', '/etc/passwd', 'link-to-outside/x'. Absolute paths and
 * URLs are refused outright: a model's files travel with it.
 */
export async function resolveInside(dir: string, rel: string, what: string, owner?: string): Promise<string> {
  const from = owner ?? dir;
  const refuse = (why: string): never => {
    throw new BadInputError(
      `${from} names the ${what} '${rel}', which ${why}. A model's files must be inside its own folder (${dir}): move the file there and name it by a relative path without '..'.`,
      from,
    );
  };
  if (typeof rel !== 'string' || rel.length === 0) {
    refuse('is empty');
  }
  if (rel.includes('\0')) {
    refuse('contains a NUL character');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) {
    refuse('is a URL');
  }
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel)) {
    refuse('is an absolute path');
  }
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch (err) {
    throw openError(dir, 'model folder', err);
  }
  const lexical = path.resolve(realDir, rel);
  if (!isInside(realDir, lexical)) {
    refuse('points outside it');
  }
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new BadInputError(`${from} names the ${what} '${rel}', which is missing from ${dir}. Copy the file next to ${path.basename(from)} (a model's files travel together).`, from);
    }
    throw openError(lexical, what, err);
  }
  if (!isInside(realDir, real)) {
    refuse(`is a symlink to ${real}, outside it`);
  }
  return real;
}

/** True when `p` is `dir` itself or below it (both absolute and normalised). */
export function isInside(dir: string, p: string): boolean {
  const r = path.relative(dir, p);
  return r === '' || (r !== '..' && !r.startsWith(`..${path.sep}`) && !path.isAbsolute(r));
}
