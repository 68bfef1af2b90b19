/**
 * Reads a `.tflite` flatbuffer back into a TfliteGraph (the subset the writer produces plus
 * whatever else a plain Dense model from the converter holds), so reports can measure
 * sparsity from the file itself. Throws BadInputError for anything that is not a TFLite model.
 */
import { ByteBuffer } from 'flatbuffers';
import { BadInputError } from '../../errors';
import type { ConvWindowOptions, FusedActivation, OpOptions, TfliteGraph, TfliteOperator, TfliteTensor } from './graph';
import { FlatbufferInvalid, verifyTfliteFlatbuffer } from './verify';
import {
  BufferField,
  BuiltinOptions,
  Conv2DOptionsField,
  DepthwiseConv2DOptionsField,
  FILE_IDENTIFIER,
  Padding,
  Pool2DOptionsField,
  FullyConnectedOptionsField,
  ModelField,
  OperatorCodeField,
  OperatorField,
  QuantizationField,
  ReshapeOptionsField,
  SoftmaxOptionsField,
  BuiltinOperator,
  operatorName,
  SubGraphField,
  TensorField,
  TensorType,
  type BuiltinOperatorValue,
  type TensorTypeValue,
} from './schema';

class Table {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {}
  private field(id: number): number {
    const vtable = this.pos - this.bb.readInt32(this.pos);
    const vtSize = this.bb.readUint16(vtable);
    const o = 4 + 2 * id;
    return o < vtSize ? this.bb.readUint16(vtable + o) : 0;
  }
  int8(id: number, def = 0): number {
    const o = this.field(id);
    return o ? this.bb.readInt8(this.pos + o) : def;
  }
  int32(id: number, def = 0): number {
    const o = this.field(id);
    return o ? this.bb.readInt32(this.pos + o) : def;
  }
  uint32(id: number, def = 0): number {
    const o = this.field(id);
    return o ? this.bb.readUint32(this.pos + o) : def;
  }
  float32(id: number, def = 0): number {
    const o = this.field(id);
    return o ? this.bb.readFloat32(this.pos + o) : def;
  }
  table(id: number): Table | null {
    const o = this.field(id);
    return o ? new Table(this.bb, this.pos + o + this.bb.readInt32(this.pos + o)) : null;
  }
  /**
   * [start, length] of a vector field of `elem`-byte elements, or null. Bounds-checked here
   * too (the verifier checks the fields it knows; options tables are verified generically).
   */
  vector(id: number, elem: number): [number, number] | null {
    const o = this.field(id);
    if (!o) {
      return null;
    }
    const at = this.pos + o + this.bb.readUint32(this.pos + o);
    const n = at + 4 <= this.bb.capacity() ? this.bb.readUint32(at) : -1;
    if (n < 0 || at + 4 + n * elem > this.bb.capacity()) {
      throw new FlatbufferInvalid(`a vector at byte ${at} runs past the end of the file`);
    }
    return [at + 4, n];
  }
  string(id: number): string {
    const v = this.vector(id, 1);
    return v ? new TextDecoder().decode(this.bb.bytes().subarray(v[0], v[0] + v[1])) : '';
  }
  int32s(id: number): number[] {
    const v = this.vector(id, 4);
    return v ? Array.from({ length: v[1] }, (_, i) => this.bb.readInt32(v[0] + 4 * i)) : [];
  }
  float32s(id: number): number[] {
    const v = this.vector(id, 4);
    return v ? Array.from({ length: v[1] }, (_, i) => this.bb.readFloat32(v[0] + 4 * i)) : [];
  }
  int64s(id: number): number[] {
    const v = this.vector(id, 8);
    return v ? Array.from({ length: v[1] }, (_, i) => Number(this.bb.readInt64(v[0] + 8 * i))) : [];
  }
  bytes(id: number): Uint8Array | null {
    const v = this.vector(id, 1);
    return v ? this.bb.bytes().subarray(v[0], v[0] + v[1]) : null;
  }
  tables(id: number): Table[] {
    const v = this.vector(id, 4);
    if (!v) {
      return [];
    }
    return Array.from({ length: v[1] }, (_, i) => {
      const at = v[0] + 4 * i;
      return new Table(this.bb, at + this.bb.readInt32(at));
    });
  }
}

export interface ReadTflite extends TfliteGraph {
  /** The file's size in bytes. */
  bytes: number;
  /** Model schema version. */
  version: number;
  /** The operator code table as stored (both code fields). */
  operatorCodes: { deprecatedBuiltinCode: number; builtinCode: number; version: number }[];
}

function activation(o: Table | null, field: number): FusedActivation {
  const v = o ? o.int8(field) : 0;
  return v === 1 ? 'RELU' : v === 3 ? 'RELU6' : 'NONE';
}

/** A convolution's window; read for the deploy analysis (output sizes, MACs). */
function window(
  o: Table,
  f: { padding: number; stride_w: number; stride_h: number; dilation_w_factor: number; dilation_h_factor: number },
): ConvWindowOptions {
  return {
    padding: o.int8(f.padding) === Padding.VALID ? 'VALID' : 'SAME',
    strides: [o.int32(f.stride_h, 1), o.int32(f.stride_w, 1)],
    dilation: [o.int32(f.dilation_h_factor, 1), o.int32(f.dilation_w_factor, 1)],
  };
}

function readOptions(t: Table, type: number): OpOptions {
  const o = t.table(OperatorField.builtin_options);
  switch (type) {
    case BuiltinOptions.FullyConnectedOptions:
      return {
        kind: 'fullyConnected',
        fusedActivation: o && o.int8(FullyConnectedOptionsField.fused_activation_function) === 1 ? 'RELU' : 'NONE',
        keepNumDims: !!o && o.int8(FullyConnectedOptionsField.keep_num_dims) !== 0,
        asymmetricQuantizeInputs: !!o && o.int8(FullyConnectedOptionsField.asymmetric_quantize_inputs) !== 0,
      };
    case BuiltinOptions.SoftmaxOptions:
      return { kind: 'softmax', beta: o ? o.float32(SoftmaxOptionsField.beta) : 0 };
    case BuiltinOptions.Conv2DOptions:
      return {
        kind: 'conv2d',
        fusedActivation: activation(o, Conv2DOptionsField.fused_activation_function),
        window: o ? window(o, Conv2DOptionsField) : undefined,
      };
    case BuiltinOptions.DepthwiseConv2DOptions:
      return {
        kind: 'depthwiseConv2d',
        fusedActivation: activation(o, DepthwiseConv2DOptionsField.fused_activation_function),
        window: o ? window(o, DepthwiseConv2DOptionsField) : { padding: 'SAME', strides: [1, 1], dilation: [1, 1] },
        depthMultiplier: o ? o.int32(DepthwiseConv2DOptionsField.depth_multiplier, 1) : 1,
      };
    case BuiltinOptions.Pool2DOptions:
      return {
        kind: 'pool2d',
        fusedActivation: activation(o, Pool2DOptionsField.fused_activation_function),
        padding: o && o.int8(Pool2DOptionsField.padding) === Padding.VALID ? 'VALID' : 'SAME',
        strides: o ? [o.int32(Pool2DOptionsField.stride_h), o.int32(Pool2DOptionsField.stride_w)] : [1, 1],
        filter: o ? [o.int32(Pool2DOptionsField.filter_height), o.int32(Pool2DOptionsField.filter_width)] : [1, 1],
      };
    case BuiltinOptions.ReshapeOptions:
      return { kind: 'reshape', newShape: o ? o.int32s(ReshapeOptionsField.new_shape) : [] };
    case BuiltinOptions.QuantizeOptions:
      return { kind: 'quantize' };
    case BuiltinOptions.DequantizeOptions:
      return { kind: 'dequantize' };
    default:
      return { kind: 'none' };
  }
}

/** Bytes per element of the tensor types whose constant data the reader checks against the shape. */
const ELEMENT_BYTES: Partial<Record<number, number>> = {
  [TensorType.FLOAT32]: 4,
  [TensorType.FLOAT16]: 2,
  [TensorType.INT32]: 4,
  [TensorType.UINT8]: 1,
  [TensorType.INT64]: 8,
  [TensorType.INT8]: 1,
};

export function readTflite(file: Uint8Array, source = 'model'): ReadTflite {
  const fail = (why: string): never => {
    throw new BadInputError(
      `${source} is not a valid TFLite file: ${why}. The file is damaged or is not a TFLite model: export or convert the model again (model-optimizer export, or tf.lite.TFLiteConverter) and copy it without changes (no text-mode transfer).`,
      source,
    );
  };
  if (file.length < 16) {
    fail(`only ${file.length} bytes`);
  }
  const ident = new TextDecoder().decode(file.subarray(4, 8));
  if (ident !== FILE_IDENTIFIER) {
    fail(`file identifier is '${ident.replace(/[^\x20-\x7e]/g, '?')}', expected '${FILE_IDENTIFIER}'`);
  }
  try {
    verifyTfliteFlatbuffer(file);
    const bb = new ByteBuffer(file);
    const root = new Table(bb, bb.readInt32(0));
    const buffers = root.tables(ModelField.buffers).map((t) => t.bytes(BufferField.data));
    const operatorCodes = root.tables(ModelField.operator_codes).map((c) => ({
      deprecatedBuiltinCode: c.int8(OperatorCodeField.deprecated_builtin_code),
      builtinCode: c.int32(OperatorCodeField.builtin_code),
      version: c.int32(OperatorCodeField.version, 1),
    }));
    // Old files only have the byte field; new ones put 127 there for codes above it.
    const codes = operatorCodes.map((c) => ({ op: Math.max(c.builtinCode, c.deprecatedBuiltinCode), version: c.version }));
    const subgraphs = root.tables(ModelField.subgraphs);
    if (subgraphs.length !== 1) {
      fail(`${subgraphs.length} subgraphs (expected 1)`);
    }
    const sg = subgraphs[0];
    const tensors: TfliteTensor[] = sg.tables(SubGraphField.tensors).map((t) => {
      const q = t.table(TensorField.quantization);
      const bufIdx = t.uint32(TensorField.buffer);
      if (bufIdx >= buffers.length) {
        fail(`tensor buffer index ${bufIdx} out of range`);
      }
      const data = buffers[bufIdx];
      const shape = t.int32s(TensorField.shape);
      const type = t.int8(TensorField.type) as TensorTypeValue;
      const elem = ELEMENT_BYTES[type];
      if (data && data.length > 0 && elem !== undefined) {
        const n = shape.reduce((a, b) => a * b, 1);
        if (shape.some((d) => d < 0) || data.length !== n * elem) {
          fail(`tensor '${t.string(TensorField.name)}' has shape [${shape.join(', ')}] but ${data.length} bytes of data`);
        }
      }
      const tensor: TfliteTensor = {
        name: t.string(TensorField.name),
        shape,
        type,
        data: data && data.length > 0 ? data : undefined,
      };
      const sig = t.int32s(TensorField.shape_signature);
      if (sig.length) {
        tensor.shapeSignature = sig;
      }
      if (q) {
        const scale = q.float32s(QuantizationField.scale);
        if (scale.length) {
          tensor.quant = {
            scale,
            zeroPoint: q.int64s(QuantizationField.zero_point),
            quantizedDimension: q.int32(QuantizationField.quantized_dimension),
          };
        }
      }
      return tensor;
    });
    const operators: TfliteOperator[] = sg.tables(SubGraphField.operators).map((o) => {
      const code = codes[o.uint32(OperatorField.opcode_index)];
      if (!code) {
        fail('operator code index out of range');
      }
      return {
        op: code.op as BuiltinOperatorValue,
        version: code.version,
        inputs: o.int32s(OperatorField.inputs),
        outputs: o.int32s(OperatorField.outputs),
        options: readOptions(o, o.int8(OperatorField.builtin_options_type)),
      };
    });
    const checkIndex = (where: string, i: number, optional: boolean): void => {
      if (!(Number.isInteger(i) && i < tensors.length && (i >= 0 || (optional && i === -1)))) {
        fail(`${where} names tensor ${i} but the model has ${tensors.length} tensors`);
      }
    };
    const inputs = sg.int32s(SubGraphField.inputs);
    const outputs = sg.int32s(SubGraphField.outputs);
    if (inputs.length === 0 || outputs.length === 0) {
      fail(`the graph has ${inputs.length} inputs and ${outputs.length} outputs`);
    }
    inputs.forEach((i) => checkIndex('the graph input', i, false));
    outputs.forEach((i) => checkIndex('the graph output', i, false));
    operators.forEach((o, k) => {
      o.inputs.forEach((i) => checkIndex(`operator ${k}'s input`, i, true));
      o.outputs.forEach((i) => checkIndex(`operator ${k}'s output`, i, false));
      // The inputs every reader of these ops takes for granted: data (and weights) present.
      const required = o.op === BuiltinOperator.FULLY_CONNECTED || o.op === BuiltinOperator.CONV_2D ? 2 : 1;
      if (o.inputs.length < required || o.inputs.slice(0, required).some((i) => i < 0) || o.outputs.length < 1) {
        fail(`operator ${k} (${operatorName(o.op)}) has inputs [${o.inputs.join(', ')}] and outputs [${o.outputs.join(', ')}]; it needs ${required === 2 ? 'its data and weights inputs' : 'an input'} and an output`);
      }
    });
    return {
      bytes: file.length,
      version: root.int32(ModelField.version),
      operatorCodes,
      description: root.string(ModelField.description),
      name: sg.string(SubGraphField.name),
      tensors,
      operators,
      inputs,
      outputs,
    };
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    // FlatbufferInvalid from the verifier, or anything the reader tripped on.
    return fail((err as Error).message);
  }
}
