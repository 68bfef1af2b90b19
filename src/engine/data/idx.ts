/**
 * IDX reader (the MNIST file format), raw or gzip-compressed.
 *
 * Layout: 4-byte magic `00 00 <type> <ndims>`, then `ndims` big-endian uint32 sizes, then
 * the data row-major. Only unsigned bytes (type 0x08) are used by MNIST-like data sets:
 * labels are 0x00000801 (1 dimension), images 0x00000803 (count × rows × cols).
 * Gzip is detected by its magic `1f 8b`, not by the file name.
 */
import { promises as fs } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BadInputError } from '../errors';

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
export function parseIdx(bytes: Uint8Array, file: string, expectedMagic: number): IdxArray {
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      fail(file, `looks gzip-compressed but cannot be decompressed (${(err as Error).message})`, 'Download the file again, or gunzip it yourself and point the config at the raw IDX file');
    }
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

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      fail(file, 'does not exist', 'Check the path in the data section of the config (relative paths are resolved against the workspace)');
    }
    fail(file, `cannot be read (${code ?? (err as Error).message})`, 'Check the file permissions and the path in the config');
  }
}

/** Reads an IDX labels file (magic 0x00000801): one byte per sample. */
export async function readIdxLabels(file: string): Promise<Uint8Array> {
  const idx = parseIdx(await readBytes(file), file, IDX_LABELS_MAGIC);
  return idx.data;
}

/** Reads an IDX images file (magic 0x00000803): count × rows × cols bytes. */
export async function readIdxImages(file: string): Promise<{ images: Uint8Array; count: number; rows: number; cols: number }> {
  const idx = parseIdx(await readBytes(file), file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = idx.dims;
  return { images: idx.data, count, rows, cols };
}
