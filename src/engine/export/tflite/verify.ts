/**
 * A flatbuffer verifier for `.tflite` files, run before the reader touches a byte: the same
 * checks flatc's generated `VerifyModelBuffer` makes (every table's vtable, every offset,
 * every vector and string length inside the buffer; nesting depth and table count bounded),
 * for the TFLite schema fields this project reads plus a generic check of every other table.
 * A flipped byte then gives "not a valid TFLite file: <where>" in microseconds, instead of
 * a reader that follows a wild length into gigabytes of allocations.
 *
 * Offsets are unsigned 32-bit (uoffset_t), vtable offsets signed (soffset_t), as in
 * flatbuffers/verifier.h. Alignment is not required: reads go through a DataView.
 */
import { BufferField, ModelField, OperatorCodeField, OperatorField, QuantizationField, SubGraphField, TensorField } from './schema';

/** flatc's defaults (FLATBUFFERS_MAX_DEPTH … max_tables). */
const MAX_DEPTH = 64;
const MAX_TABLES = 1_000_000;

export class FlatbufferInvalid extends Error {}

type Scalar = 1 | 2 | 4 | 8;

/** A table whose vtable was verified; each field is checked where its type is known. */
interface VTable {
  pos: number;
  /** Byte offset of field `id` inside the table (0 = absent). */
  field(id: number): number;
}

class Verifier {
  private readonly view: DataView;
  private tableCount = 0;
  private depth = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private fail(where: string, why: string): never {
    throw new FlatbufferInvalid(`${where}: ${why}`);
  }

  private inRange(pos: number, size: number, where: string): void {
    if (!(pos >= 0 && size >= 0 && pos + size <= this.buf.length)) {
      this.fail(where, `reaches byte ${pos + size} of a ${this.buf.length}-byte file`);
    }
  }

  private u16(pos: number): number {
    return this.view.getUint16(pos, true);
  }

  u32(pos: number): number {
    return this.view.getUint32(pos, true);
  }

  /** Follows the uoffset stored at `pos`; the target is checked to hold at least `size` bytes. */
  private deref(pos: number, size: number, where: string): number {
    this.inRange(pos, 4, where);
    const target = pos + this.u32(pos);
    this.inRange(target, size, where);
    return target;
  }

  /** VerifyTableStart: the soffset to the vtable, the vtable, the table's inline size. */
  table(pos: number, where: string): VTable {
    if (++this.tableCount > MAX_TABLES) {
      this.fail(where, `more than ${MAX_TABLES} tables`);
    }
    this.inRange(pos, 4, where);
    const vt = pos - this.view.getInt32(pos, true);
    this.inRange(vt, 4, `${where} vtable`);
    const vtSize = this.u16(vt);
    const tableSize = this.u16(vt + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) {
      this.fail(`${where} vtable`, `size ${vtSize}`);
    }
    this.inRange(vt, vtSize, `${where} vtable`);
    this.inRange(pos, Math.max(tableSize, 4), where);
    const u16 = (p: number): number => this.u16(p);
    return {
      pos,
      field(id: number): number {
        return 4 + 2 * id < vtSize ? u16(vt + 4 + 2 * id) : 0;
      },
    };
  }

  /** A scalar field: its bytes must lie inside the buffer. */
  scalar(t: VTable, id: number, size: Scalar, where: string): void {
    const o = t.field(id);
    if (o) {
      this.inRange(t.pos + o, size, `${where}`);
    }
  }

  /** A vector field of `elem`-byte scalars: returns [start, length] or null when absent. */
  vector(t: VTable, id: number, elem: number, where: string): [number, number] | null {
    const o = t.field(id);
    if (!o) {
      return null;
    }
    const at = this.deref(t.pos + o, 4, where);
    const n = this.u32(at);
    if (n * elem > this.buf.length) {
      this.fail(where, `declares ${n} elements, more than the file can hold`);
    }
    this.inRange(at + 4, n * elem, where);
    return [at + 4, n];
  }

  /** A string field: a byte vector followed by its NUL terminator (flatc checks it). */
  string(t: VTable, id: number, where: string): void {
    const v = this.vector(t, id, 1, where);
    if (v) {
      this.inRange(v[0] + v[1], 1, `${where} terminator`);
      if (this.buf[v[0] + v[1]] !== 0) {
        this.fail(where, 'string is not NUL-terminated');
      }
    }
  }

  /** A table field, verified by `each` (or generically) one nesting level deeper. */
  subtable(t: VTable, id: number, where: string, each?: (t: VTable, where: string) => void): void {
    const o = t.field(id);
    if (o) {
      this.nested(this.deref(t.pos + o, 4, where), where, each);
    }
  }

  /** A vector of tables: every element offset and every element table. */
  tables(t: VTable, id: number, where: string, each?: (t: VTable, where: string) => void): number {
    const v = this.vector(t, id, 4, where);
    if (!v) {
      return 0;
    }
    for (let i = 0; i < v[1]; i++) {
      const at = v[0] + 4 * i;
      this.nested(this.deref(at, 4, `${where}[${i}]`), `${where}[${i}]`, each);
    }
    return v[1];
  }

  private nested(pos: number, where: string, each?: (t: VTable, where: string) => void): void {
    if (++this.depth > MAX_DEPTH) {
      this.fail(where, `nested deeper than ${MAX_DEPTH} tables`);
    }
    const t = this.table(pos, where);
    each?.(t, where);
    this.depth--;
  }
}

function verifyQuantization(v: Verifier, t: VTable, where: string): void {
  v.vector(t, QuantizationField.min, 4, `${where}.min`);
  v.vector(t, QuantizationField.max, 4, `${where}.max`);
  v.vector(t, QuantizationField.scale, 4, `${where}.scale`);
  v.vector(t, QuantizationField.zero_point, 8, `${where}.zero_point`);
  v.scalar(t, QuantizationField.details_type, 1, `${where}.details_type`);
  v.subtable(t, QuantizationField.details, `${where}.details`);
  v.scalar(t, QuantizationField.quantized_dimension, 4, `${where}.quantized_dimension`);
}

function verifyTensor(v: Verifier, t: VTable, where: string): void {
  v.vector(t, TensorField.shape, 4, `${where}.shape`);
  v.scalar(t, TensorField.type, 1, `${where}.type`);
  v.scalar(t, TensorField.buffer, 4, `${where}.buffer`);
  v.string(t, TensorField.name, `${where}.name`);
  v.subtable(t, TensorField.quantization, `${where}.quantization`, (q, w) => verifyQuantization(v, q, w));
  v.scalar(t, TensorField.is_variable, 1, `${where}.is_variable`);
  v.subtable(t, TensorField.sparsity, `${where}.sparsity`);
  v.vector(t, TensorField.shape_signature, 4, `${where}.shape_signature`);
  v.scalar(t, 8 /* has_rank */, 1, `${where}.has_rank`);
  v.tables(t, 9 /* variant_tensors */, `${where}.variant_tensors`);
}

function verifyOperator(v: Verifier, t: VTable, where: string): void {
  v.scalar(t, OperatorField.opcode_index, 4, `${where}.opcode_index`);
  v.vector(t, OperatorField.inputs, 4, `${where}.inputs`);
  v.vector(t, OperatorField.outputs, 4, `${where}.outputs`);
  v.scalar(t, OperatorField.builtin_options_type, 1, `${where}.builtin_options_type`);
  // Every builtin options table holds scalars and int vectors; verified generically, and
  // the int vector the reader uses (ReshapeOptions.new_shape, field 0) is checked in readOptions.
  v.subtable(t, OperatorField.builtin_options, `${where}.builtin_options`);
  v.vector(t, 5 /* custom_options */, 1, `${where}.custom_options`);
  v.scalar(t, 6 /* custom_options_format */, 1, `${where}.custom_options_format`);
  v.vector(t, 7 /* mutating_variable_inputs */, 1, `${where}.mutating_variable_inputs`);
  v.vector(t, 8 /* intermediates */, 4, `${where}.intermediates`);
  v.scalar(t, 9 /* large_custom_options_offset */, 8, `${where}.large_custom_options_offset`);
  v.scalar(t, 10 /* large_custom_options_size */, 8, `${where}.large_custom_options_size`);
  v.scalar(t, 11 /* builtin_options_2_type */, 1, `${where}.builtin_options_2_type`);
  v.subtable(t, 12 /* builtin_options_2 */, `${where}.builtin_options_2`);
}

function verifySubGraph(v: Verifier, t: VTable, where: string): void {
  v.tables(t, SubGraphField.tensors, `${where}.tensors`, (x, w) => verifyTensor(v, x, w));
  v.vector(t, SubGraphField.inputs, 4, `${where}.inputs`);
  v.vector(t, SubGraphField.outputs, 4, `${where}.outputs`);
  v.tables(t, SubGraphField.operators, `${where}.operators`, (x, w) => verifyOperator(v, x, w));
  v.string(t, SubGraphField.name, `${where}.name`);
}

/**
 * Verifies `buf` as a TFLite Model flatbuffer. Throws FlatbufferInvalid naming the first
 * bad place (e.g. 'subgraphs[0].tensors[3].shape: declares 1073741824 elements, …').
 */
export function verifyTfliteFlatbuffer(buf: Uint8Array): void {
  const v = new Verifier(buf);
  if (buf.length < 8) {
    throw new FlatbufferInvalid(`only ${buf.length} bytes`);
  }
  const root = v.table(v.u32(0), 'root table');
  v.scalar(root, ModelField.version, 4, 'version');
  v.tables(root, ModelField.operator_codes, 'operator_codes', (t, w) => {
    v.scalar(t, OperatorCodeField.deprecated_builtin_code, 1, `${w}.deprecated_builtin_code`);
    v.string(t, OperatorCodeField.custom_code, `${w}.custom_code`);
    v.scalar(t, OperatorCodeField.version, 4, `${w}.version`);
    v.scalar(t, OperatorCodeField.builtin_code, 4, `${w}.builtin_code`);
  });
  v.tables(root, ModelField.subgraphs, 'subgraphs', (t, w) => verifySubGraph(v, t, w));
  v.string(root, ModelField.description, 'description');
  v.tables(root, ModelField.buffers, 'buffers', (t, w) => {
    v.vector(t, BufferField.data, 1, `${w}.data`);
    v.scalar(t, BufferField.offset, 8, `${w}.offset`);
    v.scalar(t, BufferField.size, 8, `${w}.size`);
  });
  v.vector(root, 5 /* metadata_buffer */, 4, 'metadata_buffer');
  v.tables(root, 6 /* metadata */, 'metadata', (t, w) => {
    v.string(t, 0, `${w}.name`);
    v.scalar(t, 1, 4, `${w}.buffer`);
  });
  v.tables(root, 7 /* signature_defs */, 'signature_defs', (t, w) => {
    v.tables(t, 0, `${w}.inputs`);
    v.tables(t, 1, `${w}.outputs`);
    v.string(t, 2, `${w}.signature_key`);
  });
}
