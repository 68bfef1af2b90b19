/**
 * TensorBoard event files written without TensorFlow: TFRecord framing
 *   uint64 length (LE) | uint32 masked CRC32C(length) | data | uint32 masked CRC32C(data)
 * around hand-encoded `tensorflow.Event` protobufs. The first record carries
 * file_version "brain.Event:2"; then one Event per (step, scalars) with
 * Summary { value { tag, simple_value } }. `tensorboard --logdir logs` reads them.
 *
 * Files are rewritten whole through writeFileAtomic (temp + rename) at every flush, so a
 * reader never sees a torn record.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { StageContext } from '../jobs/types';
import { removeSafe, writeFileAtomic } from '../util/atomic';

// ---------------------------------------------------------------------------------------
// CRC32C (Castagnoli), table-driven
// ---------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add 0xa282ead8. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---------------------------------------------------------------------------------------
// Minimal protobuf writer for tensorflow.Event / Summary
// ---------------------------------------------------------------------------------------

class ProtoWriter {
  private bytes: number[] = [];

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  int64(field: number, v: number): this {
    this.key(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(BigInt(data.length));
    this.bytes.push(...data);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

// Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5.
// Summary: value = 1 (repeated Value). Value: tag = 1 (string), simple_value = 2 (float).

export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

export function encodeScalarEvent(wallTime: number, step: number, scalars: Record<string, number>): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) {
    summary.bytesField(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytesField(5, summary.finish()).finish();
}

// ---------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------

export const EVENT_FILE_MARK = 'events.out.tfevents.';

/**
 * Collects scalars for one TensorBoard run folder (e.g. `logs/prune`) and (re)writes its
 * event file atomically on `flush()`. The clock is injectable for tests.
 */
export class EventFileWriter {
  private readonly records: Uint8Array[] = [];
  readonly filePath: string;

  constructor(
    readonly dir: string,
    private readonly now: () => number = () => Date.now() / 1000,
    host = os.hostname(),
  ) {
    const start = this.now();
    this.filePath = path.join(dir, `${EVENT_FILE_MARK}${Math.floor(start)}.${host}.${process.pid}.v2`);
    this.records.push(tfRecord(encodeFileVersionEvent(start)));
  }

  addScalars(step: number, scalars: Record<string, number>): void {
    if (Object.keys(scalars).length > 0) {
      this.records.push(tfRecord(encodeScalarEvent(this.now(), step, scalars)));
    }
  }

  bytes(): Uint8Array {
    const total = this.records.reduce((n, r) => n + r.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const r of this.records) {
      out.set(r, o);
      o += r.length;
    }
    return out;
  }

  /** Writes everything so far (temp + rename); returns the bytes on disk. */
  async flush(): Promise<number> {
    return writeFileAtomic(this.filePath, this.bytes());
  }
}

/** Removes earlier runs' event files from one run folder so TensorBoard does not overlay them. */
export async function removeOldEventFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const old = names.filter((n) => n.startsWith(EVENT_FILE_MARK));
  for (const n of old) {
    await removeSafe(path.join(dir, n));
  }
  return old;
}

/** TensorBoard tags used by pruning, named like tfmot's PruningSummaries. */
export function pruningTags(layer: string): { sparsity: string; threshold: string } {
  return { sparsity: `pruning/${layer}/sparsity`, threshold: `pruning/${layer}/threshold` };
}

/** Keras TensorBoard callback's epoch tags. */
export function epochScalars(m: { loss: number; accuracy: number; valLoss: number; valAccuracy: number }): Record<string, number> {
  return { epoch_loss: m.loss, epoch_accuracy: m.accuracy, epoch_val_loss: m.valLoss, epoch_val_accuracy: m.valAccuracy };
}

// ---------------------------------------------------------------------------------------
// Fit logger: turns a stage's events into one TensorBoard run folder
// ---------------------------------------------------------------------------------------

/** Events the fit logger understands (structurally; no protocol import needed beyond these). */
type FitEvent =
  | { type: 'epochEnd'; epoch: number; metrics: { loss: number; accuracy: number; valLoss: number; valAccuracy: number } }
  | { type: 'pruningStep'; step: number; targetSparsity: number; layers: { name: string; sparsity: number; threshold: number }[] }
  | { type: string };

/**
 * Writes `<outDir>/<logsDir>/<run>/events.out.tfevents.*` for a training or pruning fit:
 * epoch_loss / epoch_accuracy / epoch_val_loss / epoch_val_accuracy at step = epoch − 1
 * (Keras' TensorBoard callback counts epochs from 0), and on every mask update
 * pruning/sparsity (schedule target) plus pruning/<layer>/sparsity and …/threshold at the
 * global step (tfmot's PruningSummaries). The file is flushed (temp + rename) after every
 * epoch, so TensorBoard can follow a run live; `close()` waits for the last write.
 */
export class FitLogger {
  readonly writer: EventFileWriter;
  private pending: Promise<unknown> = Promise.resolve();
  private error: Error | null = null;

  constructor(
    readonly outDir: string,
    readonly logsDir: string,
    readonly run: string,
    now?: () => number,
  ) {
    this.writer = new EventFileWriter(path.join(outDir, logsDir, run), now);
  }

  /** Path of the event file relative to outDir (POSIX). */
  get relPath(): string {
    return path.relative(this.outDir, this.writer.filePath).split(path.sep).join('/');
  }

  onEvent(event: FitEvent): void {
    if (event.type === 'pruningStep' && 'layers' in event) {
      const scalars: Record<string, number> = { 'pruning/sparsity': event.targetSparsity };
      for (const l of event.layers) {
        const t = pruningTags(l.name);
        scalars[t.sparsity] = l.sparsity;
        scalars[t.threshold] = l.threshold;
      }
      this.writer.addScalars(event.step, scalars);
    } else if (event.type === 'epochEnd' && 'metrics' in event) {
      const m = epochScalars(event.metrics);
      this.writer.addScalars(event.epoch - 1, Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v))));
      this.pending = this.pending.then(() => this.writer.flush()).catch((err: unknown) => (this.error ??= err instanceof Error ? err : new Error('TensorBoard log write failed', { cause: err })));
    }
  }

  /** Final flush; returns the file's path relative to outDir and its size. */
  async close(): Promise<{ relPath: string; bytes: number }> {
    await this.pending;
    if (this.error) {
      throw this.error;
    }
    const bytes = await this.writer.flush();
    return { relPath: this.relPath, bytes };
  }

  /** Waits for writes in flight, ignoring their errors (after a cancel or failure). */
  async settle(): Promise<void> {
    await this.pending;
  }
}

/**
 * The same StageContext, with every event also fed to `logger` — pass it to `fit` to get
 * TensorBoard logs of a fit, e.g. in a train stage:
 *   const logger = new FitLogger(ctx.outDir, ctx.config.output.logsDir, 'train');
 *   await fit(contextWithLogger(ctx, logger), trainer, data, opts);
 *   const tb = await logger.close(); ctx.addArtifact('tensorboard', name, tb.relPath, tb.bytes);
 */
export function contextWithLogger(ctx: StageContext, logger: FitLogger): StageContext {
  return {
    get runId() {
      return ctx.runId;
    },
    get config() {
      return ctx.config;
    },
    get outDir() {
      return ctx.outDir;
    },
    get backend() {
      return ctx.backend;
    },
    get signal() {
      return ctx.signal;
    },
    emit: (e) => {
      logger.onEvent(e);
      ctx.emit(e);
    },
    throwIfCancelled: () => ctx.throwIfCancelled(),
    data: () => ctx.data(),
    createTrainer: (m, lr) => ctx.createTrainer(m, lr),
    addStageRecord: (r) => ctx.addStageRecord(r),
    addArtifact: (k, m, p, b) => ctx.addArtifact(k, m, p, b),
    warn: (c, m) => ctx.warn(c, m),
    log: (m) => ctx.log(m),
    addTiming: (p, ms) => ctx.addTiming(p, ms),
  };
}
