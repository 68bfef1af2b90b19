/**
 * TensorBoard event files read back by an independent decoder (./prune-helpers.ts, written
 * from the formats' specs: TFRecord framing, masked CRC32C, protobuf wire format,
 * tensorflow.Event fields) — it shares no code with the writer. Python's tensorboard/tensorflow are not installed on
 * this machine (checked: `/usr/bin/python3 -c "import tensorboard"` fails), so this decoder
 * is the independent reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventFileWriter, crc32c, maskedCrc32c, pruningTags, removeOldEventFiles } from '../../src/engine/export/tensorboard';
import { decodeEventFile, refCrc32c, refMasked } from './prune-helpers';

void test('CRC32C matches the standard check value and the bitwise reference', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(refCrc32c(check), 0xe3069283, 'reference CRC32C check value (RFC 3720)');
  assert.equal(crc32c(check), 0xe3069283);
  const rnd = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) & 0xff);
  assert.equal(crc32c(rnd), refCrc32c(rnd));
  assert.equal(maskedCrc32c(rnd), refMasked(rnd));
});

void test('event file: brain.Event:2 first, then scalar events with step, tag and float value', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-tb-'));
  try {
    let t = 1_700_000_000.25;
    const w = new EventFileWriter(path.join(dir, 'prune'), () => (t += 1), 'testhost');
    const tags = pruningTags('dense_1');
    w.addScalars(100, { [tags.sparsity]: 0.03125, [tags.threshold]: 0.0123, 'pruning/sparsity': Math.fround(0.03130585) });
    w.addScalars(4200, { [tags.sparsity]: 0.5 });
    w.addScalars(0, { epoch_loss: 0.25, epoch_accuracy: 0.9375, epoch_val_loss: 0.5, epoch_val_accuracy: 0.875 });
    w.addScalars(5, {}); // nothing to write: no record
    const bytes = await w.flush();

    const names = await fs.readdir(path.join(dir, 'prune'));
    assert.deepEqual(names, [path.basename(w.filePath)]);
    assert.match(names[0], /^events\.out\.tfevents\.1700000001\.testhost\.\d+\.v2$/);
    const file = new Uint8Array(await fs.readFile(w.filePath));
    assert.equal(file.length, bytes);

    const ev = decodeEventFile(file);
    assert.equal(ev.length, 4);
    assert.equal(ev[0].fileVersion, 'brain.Event:2');
    assert.equal(ev[0].wallTime, 1_700_000_001.25);
    assert.equal(ev[0].values.length, 0);
    assert.equal(ev[1].step, 100);
    assert.equal(ev[1].wallTime, 1_700_000_002.25);
    assert.deepEqual(ev[1].values, [
      { tag: 'pruning/dense_1/sparsity', value: 0.03125 },
      { tag: 'pruning/dense_1/threshold', value: Math.fround(0.0123) },
      { tag: 'pruning/sparsity', value: Math.fround(0.03130585) },
    ]);
    assert.equal(ev[2].step, 4200);
    assert.deepEqual(ev[2].values, [{ tag: 'pruning/dense_1/sparsity', value: 0.5 }]);
    assert.equal(ev[3].step, 0);
    assert.deepEqual(ev[3].values.map((v) => v.tag), ['epoch_loss', 'epoch_accuracy', 'epoch_val_loss', 'epoch_val_accuracy']);

    // A second flush rewrites the whole file atomically (no temp files left behind).
    w.addScalars(300, { [tags.sparsity]: 0.25 });
    await w.flush();
    assert.deepEqual(await fs.readdir(path.join(dir, 'prune')), names);
    assert.equal(decodeEventFile(new Uint8Array(await fs.readFile(w.filePath))).length, 5);

    // Corrupting one byte is caught by the CRC check.
    const bad = new Uint8Array(await fs.readFile(w.filePath));
    bad[bad.length - 6] ^= 0x01;
    assert.throws(() => decodeEventFile(bad), /CRC/);

    assert.deepEqual(await removeOldEventFiles(path.join(dir, 'prune')), names);
    assert.deepEqual(await fs.readdir(path.join(dir, 'prune')), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

