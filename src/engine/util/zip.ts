/**
 * The one zip reader, on Node's zlib alone, for the archives users bring: Keras 3 `.keras`
 * files (config.json, metadata.json, model.weights.h5) and NumPy `.npz` files (one .npy per
 * array, stored or deflated, zip64 sizes as numpy writes them). Untrusted input: every offset
 * and length is bounds-checked against the buffer, entry sizes are capped before anything is
 * inflated, the inflated size must equal the declared one and its CRC-32 must match. Stored
 * and deflated entries, zip64 sizes; no encryption, no multi-disk archives.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { BadInputError } from '../errors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localHeaderOffset: number;
  flags: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_ENTRIES = 10_000;

export class ZipReader {
  readonly entries: ZipEntry[];

  private readonly buf: Buffer;

  constructor(
    buf: Uint8Array,
    /** For messages: the archive's file name. */
    private readonly where: string,
    /** The fix every message ends with: how to write the archive again. */
    private readonly fix = "Save the model again with model.save('model.keras') (Keras 3), or pass a .h5 / model.json.",
    /** What the archive is, for messages ('zip archive', '.npz (zip) archive'). */
    private readonly what = 'zip archive',
  ) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.entries = this.readCentralDirectory();
  }

  private fail(problem: string): never {
    throw new BadInputError(`${this.where} is not a readable ${this.what}: ${problem}. ${this.fix}`, this.where);
  }

  private u16(off: number): number {
    if (off < 0 || off + 2 > this.buf.length) {
      this.fail(`a header at byte ${off} lies outside the file`);
    }
    return this.buf.readUInt16LE(off);
  }

  private u32(off: number): number {
    if (off < 0 || off + 4 > this.buf.length) {
      this.fail(`a header at byte ${off} lies outside the file`);
    }
    return this.buf.readUInt32LE(off);
  }

  private u64(off: number): number {
    const lo = this.u32(off);
    const hi = this.u32(off + 4);
    if (hi >= 0x200000) {
      this.fail('a zip64 size or offset is beyond 2^53');
    }
    return hi * 0x100000000 + lo;
  }

  private readCentralDirectory(): ZipEntry[] {
    const b = this.buf;
    // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
    let eocd = -1;
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
      if (b.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      this.fail('no end-of-central-directory record (the file is truncated or not a zip)');
    }
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== ZIP64_LOCATOR_SIG) {
        this.fail('a zip64 archive without its zip64 locator');
      }
      const z = this.u64(loc + 8);
      if (this.u32(z) !== ZIP64_EOCD_SIG) {
        this.fail('a broken zip64 end-of-central-directory record');
      }
      count = this.u64(z + 32);
      cdSize = this.u64(z + 40);
      cdOffset = this.u64(z + 48);
    }
    if (count > MAX_ENTRIES) {
      this.fail(`${count} entries (a model archive has a handful)`);
    }
    if (cdOffset + cdSize > b.length) {
      this.fail('the central directory lies outside the file (truncated download?)');
    }
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(p) !== CENTRAL_SIG) {
        this.fail(`central directory entry ${i} has a bad signature`);
      }
      const flags = this.u16(p + 8);
      const method = this.u16(p + 10);
      const crc = this.u32(p + 16);
      let compressedSize = this.u32(p + 20);
      let size = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let localHeaderOffset = this.u32(p + 42);
      const nameEnd = p + 46 + nameLen;
      if (nameEnd + extraLen + commentLen > b.length) {
        this.fail(`central directory entry ${i} runs past the end of the file`);
      }
      const name = b.toString('utf8', p + 46, nameEnd);
      // Zip64 extended information: the 0xFFFFFFFF fields, in order, are in extra field 0x0001.
      let e = nameEnd;
      const extraEnd = nameEnd + extraLen;
      while (e + 4 <= extraEnd) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) {
            size = this.u64(q);
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(q);
            q += 8;
          }
          if (localHeaderOffset === 0xffffffff) {
            localHeaderOffset = this.u64(q);
          }
        }
        e += 4 + len;
      }
      entries.push({ name, method, compressedSize, size, crc, localHeaderOffset, flags });
      p = extraEnd + commentLen;
    }
    return entries;
  }

  find(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** The entry's bytes, inflated, size- and CRC-checked. Refuses entries over `maxBytes` (saying `tooBigFix` when given). */
  read(entry: ZipEntry, maxBytes: number, tooBigFix?: string): Buffer {
    if (entry.flags & 1) {
      this.fail(`${entry.name} is encrypted`);
    }
    if (entry.size > maxBytes) {
      throw new BadInputError(`${this.where}: ${entry.name} would inflate to ${entry.size} bytes, more than the ${maxBytes} allowed for it. ${tooBigFix ?? this.fix}`, this.where);
    }
    const h = entry.localHeaderOffset;
    if (this.u32(h) !== LOCAL_SIG) {
      this.fail(`the local header of ${entry.name} has a bad signature`);
    }
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const end = start + entry.compressedSize;
    if (end > this.buf.length) {
      this.fail(`${entry.name} runs past the end of the file (truncated download?)`);
    }
    const raw = this.buf.subarray(start, end);
    let data: Buffer;
    if (entry.method === 0) {
      data = raw;
    } else if (entry.method === 8) {
      try {
        // maxOutputLength stops a zip bomb at the declared size (+1 to notice a lie).
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size + 1) });
      } catch (err) {
        this.fail(`${entry.name} does not inflate (${(err as Error).message})`);
      }
    } else {
      this.fail(`${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
    }
    if (data.length !== entry.size) {
      this.fail(`${entry.name} holds ${data.length} bytes but its header says ${entry.size}`);
    }
    if (crc32(data) >>> 0 !== entry.crc >>> 0) {
      this.fail(`${entry.name} fails its CRC-32 check (the file is damaged)`);
    }
    return data;
  }
}
