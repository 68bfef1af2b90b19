/**
 * IDX reader (the MNIST file format), raw or gzip-compressed.
 *
 * Layout: 4-byte magic `00 00 <type> <ndims>`, then `ndims` big-endian uint32 sizes, then
 * the data row-major. Only unsigned bytes (type 0x08) are used by MNIST-like data sets:
 * labels are 0x00000801 (1 dimension), images 0x00000803 (count × rows × cols).
 * Gzip is detected by its magic `1f 8b`, not by the file name.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { BadInputError } from '../errors';
import { LIMITS, readFileLimited } from '../util/safeRead';

export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_MAGIC = 0x00000803;

export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The payload (a view into the file's bytes), length = product of dims. */
  data: Uint8Array;
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

function fail(file: string, problem: string, fix: string): never {
  throw new BadInputError(`${file}: ${problem}. ${fix}`, file);
}

/**
 * Parses an IDX buffer (already decompressed or gzip; both accepted) and checks that the
 * magic number is `expectedMagic` and the byte length matches the header.
 */
/** Bytes the header at the start of `buf` declares (header + data), or null if `buf` is too short to tell. */
function declaredBytes(buf: Uint8Array): number | null {
  if (buf.length < 4) {
    return null;
  }
  const ndims = buf[3];
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    return null;
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let n = 1;
  for (let i = 0; i < ndims; i++) {
    n *= view.getUint32(4 + 4 * i, false);
  }
  return headerBytes + n;
}

/**
 * Decompresses a gzip IDX file without ever producing more than its header announces (a gzip
 * bomb is refused after that many bytes, not after exhausting memory): the first compressed
 * bytes are inflated on their own to read the header, then the whole stream with
 * `maxOutputLength` = the announced size + 1.
 */
function gunzipIdx(gz: Uint8Array, file: string, maxBytes: number): Uint8Array {
  const bad = (err: unknown): never =>
    fail(file, `looks gzip-compressed but cannot be decompressed (${(err as Error).message})`, 'Download the file again, or gunzip it yourself and point the config at the raw IDX file');
  let head: Buffer;
  try {
    // 4 KiB of deflate inflates to at most ~4 MiB: enough for any header, bounded in memory.
    head = gunzipSync(gz.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    return bad(err);
  }
  const declared = declaredBytes(head);
  // A header that does not parse is reported by parseIdx on the (small) decompressed prefix.
  const cap = declared === null ? head.length : Math.min(declared, maxBytes + 1);
  if (declared !== null && declared > maxBytes) {
    fail(file, `declares ${declared} bytes of IDX data, more than the ${maxBytes} bytes a data file may have`, 'Check that this is the right file; split a larger data set into several files');
  }
  if (declared === null) {
    return head;
  }
  try {
    return gunzipSync(gz, { maxOutputLength: cap + 1 });
  } catch (err) {
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      fail(file, `decompresses to more than the ${cap} bytes its IDX header declares (a corrupt file or a gzip bomb); decompression was stopped there`, 'Download the file again from its source');
    }
    return bad(err);
  }
}

/**
 * Parses an IDX buffer (already decompressed or gzip; both accepted) and checks that the
 * magic number is `expectedMagic` and the byte length matches the header. Gzip input is
 * never inflated beyond what the header declares (at most `maxBytes`).
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedMagic: number, maxBytes: number = LIMITS.data): IdxArray {
  let buf = bytes;
  if (isGzip(buf)) {
    buf = gunzipIdx(buf, file, maxBytes);
  }
  const kind = expectedMagic === IDX_LABELS_MAGIC ? 'labels' : 'images';
  const fix = `Point the config at an IDX ${kind} file (magic 0x${expectedMagic.toString(16).padStart(8, '0')}), e.g. ${kind === 'labels' ? 'train-labels-idx1-ubyte' : 'train-images-idx3-ubyte'} from the MNIST distribution`;
  if (buf.length < 4) {
    fail(file, `is too short to be an IDX file (${buf.length} bytes)`, fix);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const hint =
      magic === IDX_LABELS_MAGIC || magic === IDX_IMAGES_MAGIC
        ? ` (it is an IDX ${magic === IDX_LABELS_MAGIC ? 'labels' : 'images'} file: are the images and labels paths swapped?)`
        : buf[0] !== 0 || buf[1] !== 0
          ? ' (not an IDX file at all)'
          : buf[2] !== 0x08
            ? ` (element type 0x${buf[2].toString(16)}; only unsigned bytes 0x08 are supported)`
            : '';
    fail(file, `has magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')}${hint}`, fix);
  }
  const ndims = buf[3];
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) {
    fail(file, `is truncated inside its header (${buf.length} bytes, the header needs ${headerBytes})`, 'Download the file again; it was cut short');
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) {
      fail(file, `declares dimension ${i} with size 0`, fix);
    }
    dims.push(d);
  }
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - headerBytes;
  if (actual < expected) {
    fail(file, `is truncated: the header declares ${dims.join(' × ')} = ${expected} bytes of data but only ${actual} are present`, 'Download the file again; it was cut short');
  }
  if (actual > expected) {
    fail(file, `has ${actual - expected} bytes after the ${dims.join(' × ')} data its header declares`, 'Check that the file is a single IDX file and was not concatenated or corrupted; download it again');
  }
  return { dims, data: buf.subarray(headerBytes) };
}

/** The file's bytes: a regular file only (not /dev/zero, a FIFO, …), at most LIMITS.data. */
function readBytes(file: string, kind: string): Promise<Uint8Array> {
  return readFileLimited(file, {
    what: `IDX ${kind} file`,
    maxBytes: LIMITS.data,
    pathFix: 'Check the path in the data section of the config (relative paths are resolved against the workspace).',
  });
}

/** Reads an IDX labels file (magic 0x00000801): one byte per sample. */
export async function readIdxLabels(file: string): Promise<Uint8Array> {
  const idx = parseIdx(await readBytes(file, 'labels'), file, IDX_LABELS_MAGIC);
  return idx.data;
}

/** Reads an IDX images file (magic 0x00000803): count × rows × cols bytes. */
export async function readIdxImages(file: string): Promise<{ images: Uint8Array; count: number; rows: number; cols: number }> {
  const idx = parseIdx(await readBytes(file, 'images'), file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = idx.dims;
  return { images: idx.data, count, rows, cols };
}
