/**
 * An independent TensorBoard event-file reader for the pruning tests, written from the
 * formats' specs (TFRecord framing, masked CRC32C, protobuf wire format, tensorflow.Event
 * field numbers). It shares no code with src/engine/export/tensorboard.ts.
 */
import assert from 'node:assert/strict';

// --- independent reference: bit-by-bit CRC32C (Castagnoli, reflected poly 0x82F63B78) ---
export function refCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) {
      const lsb = crc & 1;
      crc >>>= 1;
      if (lsb) {
        crc ^= 0x82f63b78;
      }
    }
  }
  return (~crc >>> 0) >>> 0;
}
export function refMasked(bytes: Uint8Array): number {
  const c = refCrc32c(bytes);
  const rot = ((c >>> 15) | ((c << 17) >>> 0)) >>> 0;
  return Number((BigInt(rot) + 0xa282ead8n) % 0x100000000n);
}

// --- independent protobuf wire-format reader ---
type Field = { no: number; wire: number; varint?: bigint; fixed64?: DataView; fixed32?: DataView; bytes?: Uint8Array };
function parseProto(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const readVarint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        return v;
      }
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      out.push({ no, wire, varint: readVarint() });
    } else if (wire === 1) {
      out.push({ no, wire, fixed64: new DataView(buf.buffer, buf.byteOffset + i, 8) });
      i += 8;
    } else if (wire === 5) {
      out.push({ no, wire, fixed32: new DataView(buf.buffer, buf.byteOffset + i, 4) });
      i += 4;
    } else if (wire === 2) {
      const len = Number(readVarint());
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  assert.equal(i, buf.length, 'protobuf message ends exactly at its length');
  return out;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}

export function decodeEventFile(file: Uint8Array): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  let o = 0;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  while (o < file.length) {
    const lenBytes = file.subarray(o, o + 8);
    const len = Number(dv.getBigUint64(o, true));
    assert.equal(dv.getUint32(o + 8, true), refMasked(lenBytes), `length CRC at offset ${o}`);
    const data = file.subarray(o + 12, o + 12 + len);
    assert.equal(dv.getUint32(o + 12 + len, true), refMasked(data), `data CRC at offset ${o}`);
    o += 12 + len + 4;
    const ev: DecodedEvent = { wallTime: NaN, step: 0, values: [] };
    for (const f of parseProto(data)) {
      if (f.no === 1 && f.wire === 1) {
        ev.wallTime = f.fixed64!.getFloat64(0, true);
      } else if (f.no === 2 && f.wire === 0) {
        ev.step = Number(f.varint);
      } else if (f.no === 3 && f.wire === 2) {
        ev.fileVersion = new TextDecoder().decode(f.bytes);
      } else if (f.no === 5 && f.wire === 2) {
        for (const v of parseProto(f.bytes!)) {
          assert.equal(v.no, 1, 'Summary.value');
          let tag = '';
          let value = NaN;
          for (const g of parseProto(v.bytes!)) {
            if (g.no === 1) {
              tag = new TextDecoder().decode(g.bytes);
            } else if (g.no === 2 && g.wire === 5) {
              value = g.fixed32!.getFloat32(0, true);
            }
          }
          ev.values.push({ tag, value });
        }
      } else {
        assert.fail(`unexpected Event field ${f.no}`);
      }
    }
    events.push(ev);
  }
  assert.equal(o, file.length, 'no trailing bytes');
  return events;
}

