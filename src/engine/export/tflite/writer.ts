/**
 * Serializes a TfliteGraph into a `.tflite` flatbuffer. Layout rules the runtime relies on:
 * buffer 0 is the empty sentinel, activation tensors point at it, each constant has its own
 * buffer with data aligned to 16 bytes, and operator codes carry both the deprecated byte
 * code and the int32 builtin code.
 */
import { Builder } from 'flatbuffers';
import type { FusedActivation, TfliteGraph, TfliteOperator, TfliteTensor } from './graph';
import {
  ActivationFunctionType,
  AddOptionsField,
  BufferField,
  ConcatenationOptionsField,
  DepthwiseConv2DOptionsField,
  MulOptionsField,
  Pool2DOptionsField,
  ReducerOptionsField,
  BuiltinOptions,
  Conv2DOptionsField,
  FieldCount,
  FILE_IDENTIFIER,
  FullyConnectedOptionsField,
  ModelField,
  OperatorCodeField,
  OperatorField,
  Padding,
  QuantizationField,
  ReshapeOptionsField,
  SCHEMA_VERSION,
  SoftmaxOptionsField,
  SubGraphField,
  TensorField,
} from './schema';

const slot = (id: number): number => id;

const act = (a: FusedActivation): number => ActivationFunctionType[a];
const padding = (p: 'SAME' | 'VALID'): number => (p === 'SAME' ? Padding.SAME : Padding.VALID);

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) {
    b.addInt32(values[i]);
  }
  return b.endVector();
}

function float32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) {
    b.addFloat32(values[i]);
  }
  return b.endVector();
}

function int64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) {
    b.addInt64(BigInt(values[i]));
  }
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) {
    b.addOffset(offsets[i]);
  }
  return b.endVector();
}

/** A byte vector whose first byte lands on a 16-byte boundary of the finished file. */
function alignedByteVector(b: Builder, data: Uint8Array): number {
  b.startVector(1, data.length, 16);
  for (let i = data.length - 1; i >= 0; i--) {
    b.addInt8(data[i]);
  }
  return b.endVector();
}

function writeOptions(b: Builder, op: TfliteOperator): { type: number; offset: number } {
  const o = op.options;
  switch (o.kind) {
    case 'none':
      return { type: BuiltinOptions.NONE, offset: 0 };
    case 'fullyConnected':
      b.startObject(FieldCount.FullyConnectedOptions);
      b.addFieldInt8(slot(FullyConnectedOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      b.addFieldInt8(slot(FullyConnectedOptionsField.keep_num_dims), o.keepNumDims ? 1 : 0, 0);
      b.addFieldInt8(slot(FullyConnectedOptionsField.asymmetric_quantize_inputs), o.asymmetricQuantizeInputs ? 1 : 0, 0);
      return { type: BuiltinOptions.FullyConnectedOptions, offset: b.endObject() };
    case 'softmax':
      b.startObject(FieldCount.SoftmaxOptions);
      b.addFieldFloat32(slot(SoftmaxOptionsField.beta), o.beta, 0);
      return { type: BuiltinOptions.SoftmaxOptions, offset: b.endObject() };
    case 'conv2d': {
      const w = o.window ?? { padding: 'VALID', strides: [1, 1], dilation: [1, 1] };
      b.startObject(FieldCount.Conv2DOptions);
      b.addFieldInt8(slot(Conv2DOptionsField.padding), padding(w.padding), Padding.SAME);
      b.addFieldInt32(slot(Conv2DOptionsField.stride_w), w.strides[1], 0);
      b.addFieldInt32(slot(Conv2DOptionsField.stride_h), w.strides[0], 0);
      b.addFieldInt8(slot(Conv2DOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      b.addFieldInt32(slot(Conv2DOptionsField.dilation_w_factor), w.dilation[1], 0);
      b.addFieldInt32(slot(Conv2DOptionsField.dilation_h_factor), w.dilation[0], 0);
      return { type: BuiltinOptions.Conv2DOptions, offset: b.endObject() };
    }
    case 'depthwiseConv2d': {
      const w = o.window;
      b.startObject(FieldCount.DepthwiseConv2DOptions);
      b.addFieldInt8(slot(DepthwiseConv2DOptionsField.padding), padding(w.padding), Padding.SAME);
      b.addFieldInt32(slot(DepthwiseConv2DOptionsField.stride_w), w.strides[1], 0);
      b.addFieldInt32(slot(DepthwiseConv2DOptionsField.stride_h), w.strides[0], 0);
      b.addFieldInt32(slot(DepthwiseConv2DOptionsField.depth_multiplier), o.depthMultiplier, 0);
      b.addFieldInt8(slot(DepthwiseConv2DOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      b.addFieldInt32(slot(DepthwiseConv2DOptionsField.dilation_w_factor), w.dilation[1], 0);
      b.addFieldInt32(slot(DepthwiseConv2DOptionsField.dilation_h_factor), w.dilation[0], 0);
      return { type: BuiltinOptions.DepthwiseConv2DOptions, offset: b.endObject() };
    }
    case 'pool2d':
      b.startObject(FieldCount.Pool2DOptions);
      b.addFieldInt8(slot(Pool2DOptionsField.padding), padding(o.padding), Padding.SAME);
      b.addFieldInt32(slot(Pool2DOptionsField.stride_w), o.strides[1], 0);
      b.addFieldInt32(slot(Pool2DOptionsField.stride_h), o.strides[0], 0);
      b.addFieldInt32(slot(Pool2DOptionsField.filter_width), o.filter[1], 0);
      b.addFieldInt32(slot(Pool2DOptionsField.filter_height), o.filter[0], 0);
      b.addFieldInt8(slot(Pool2DOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      return { type: BuiltinOptions.Pool2DOptions, offset: b.endObject() };
    case 'concatenation':
      b.startObject(FieldCount.ConcatenationOptions);
      b.addFieldInt32(slot(ConcatenationOptionsField.axis), o.axis, 0);
      b.addFieldInt8(slot(ConcatenationOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      return { type: BuiltinOptions.ConcatenationOptions, offset: b.endObject() };
    case 'add':
      b.startObject(FieldCount.AddOptions);
      b.addFieldInt8(slot(AddOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      return { type: BuiltinOptions.AddOptions, offset: b.endObject() };
    case 'mul':
      b.startObject(FieldCount.MulOptions);
      b.addFieldInt8(slot(MulOptionsField.fused_activation_function), act(o.fusedActivation), 0);
      return { type: BuiltinOptions.MulOptions, offset: b.endObject() };
    case 'reducer':
      b.startObject(FieldCount.ReducerOptions);
      b.addFieldInt8(slot(ReducerOptionsField.keep_dims), o.keepDims ? 1 : 0, 0);
      return { type: BuiltinOptions.ReducerOptions, offset: b.endObject() };
    case 'pad':
      b.startObject(FieldCount.Empty);
      return { type: BuiltinOptions.PadOptions, offset: b.endObject() };
    case 'hardSwish':
      b.startObject(FieldCount.Empty);
      return { type: BuiltinOptions.HardSwishOptions, offset: b.endObject() };
    case 'reshape': {
      const shape = int32Vector(b, o.newShape);
      b.startObject(FieldCount.ReshapeOptions);
      b.addFieldOffset(slot(ReshapeOptionsField.new_shape), shape, 0);
      return { type: BuiltinOptions.ReshapeOptions, offset: b.endObject() };
    }
    case 'quantize':
      b.startObject(FieldCount.Empty);
      return { type: BuiltinOptions.QuantizeOptions, offset: b.endObject() };
    case 'dequantize':
      b.startObject(FieldCount.Empty);
      return { type: BuiltinOptions.DequantizeOptions, offset: b.endObject() };
  }
}

function writeTensor(b: Builder, t: TfliteTensor, bufferIndex: number): number {
  const name = b.createString(t.name);
  const shape = int32Vector(b, t.shape);
  const shapeSig = t.shapeSignature ? int32Vector(b, t.shapeSignature) : 0;
  let quant = 0;
  if (t.quant) {
    const q = t.quant;
    const scale = float32Vector(b, q.scale);
    const zp = int64Vector(b, q.zeroPoint);
    const min = q.min ? float32Vector(b, q.min) : 0;
    const max = q.max ? float32Vector(b, q.max) : 0;
    b.startObject(FieldCount.Quantization);
    if (min) {
      b.addFieldOffset(slot(QuantizationField.min), min, 0);
    }
    if (max) {
      b.addFieldOffset(slot(QuantizationField.max), max, 0);
    }
    b.addFieldOffset(slot(QuantizationField.scale), scale, 0);
    b.addFieldOffset(slot(QuantizationField.zero_point), zp, 0);
    b.addFieldInt32(slot(QuantizationField.quantized_dimension), q.quantizedDimension, 0);
    quant = b.endObject();
  }
  b.startObject(FieldCount.Tensor);
  b.addFieldOffset(slot(TensorField.shape), shape, 0);
  b.addFieldInt8(slot(TensorField.type), t.type, 0);
  b.addFieldInt32(slot(TensorField.buffer), bufferIndex, 0);
  b.addFieldOffset(slot(TensorField.name), name, 0);
  if (quant) {
    b.addFieldOffset(slot(TensorField.quantization), quant, 0);
  }
  if (shapeSig) {
    b.addFieldOffset(slot(TensorField.shape_signature), shapeSig, 0);
  }
  return b.endObject();
}

export function writeTflite(graph: TfliteGraph): Uint8Array {
  const b = new Builder(1024 + graph.tensors.reduce((n, t) => n + (t.data?.length ?? 0) + 64, 0));

  // Buffers: 0 = empty sentinel, then one per constant tensor (written first: the big ones).
  const bufferOfTensor: number[] = [];
  const bufferOffsets: number[] = [];
  b.startObject(FieldCount.Buffer);
  bufferOffsets.push(b.endObject());
  for (const t of graph.tensors) {
    if (t.data) {
      const vec = alignedByteVector(b, t.data);
      b.startObject(FieldCount.Buffer);
      b.addFieldOffset(slot(BufferField.data), vec, 0);
      bufferOfTensor.push(bufferOffsets.length);
      bufferOffsets.push(b.endObject());
    } else {
      bufferOfTensor.push(0);
    }
  }
  const buffers = offsetVector(b, bufferOffsets);

  // Operator codes: one per distinct (op, version).
  const codes: { op: number; version: number }[] = [];
  const opcodeIndex = graph.operators.map((o) => {
    let i = codes.findIndex((c) => c.op === o.op && c.version === o.version);
    if (i < 0) {
      i = codes.push({ op: o.op, version: o.version }) - 1;
    }
    return i;
  });
  const codeOffsets = codes.map((c) => {
    b.startObject(FieldCount.OperatorCode);
    b.addFieldInt8(slot(OperatorCodeField.deprecated_builtin_code), Math.min(c.op, 127), 0);
    b.addFieldInt32(slot(OperatorCodeField.version), c.version, 1);
    b.addFieldInt32(slot(OperatorCodeField.builtin_code), c.op, 0);
    return b.endObject();
  });
  const operatorCodes = offsetVector(b, codeOffsets);

  const tensorOffsets = graph.tensors.map((t, i) => writeTensor(b, t, bufferOfTensor[i]));
  const tensors = offsetVector(b, tensorOffsets);

  const opOffsets = graph.operators.map((o, i) => {
    const inputs = int32Vector(b, o.inputs);
    const outputs = int32Vector(b, o.outputs);
    const opts = writeOptions(b, o);
    b.startObject(FieldCount.Operator);
    b.addFieldInt32(slot(OperatorField.opcode_index), opcodeIndex[i], 0);
    b.addFieldOffset(slot(OperatorField.inputs), inputs, 0);
    b.addFieldOffset(slot(OperatorField.outputs), outputs, 0);
    if (opts.type !== BuiltinOptions.NONE) {
      b.addFieldInt8(slot(OperatorField.builtin_options_type), opts.type, 0);
      b.addFieldOffset(slot(OperatorField.builtin_options), opts.offset, 0);
    }
    return b.endObject();
  });
  const operators = offsetVector(b, opOffsets);
  const inputs = int32Vector(b, graph.inputs);
  const outputs = int32Vector(b, graph.outputs);
  const sgName = b.createString(graph.name);
  b.startObject(FieldCount.SubGraph);
  b.addFieldOffset(slot(SubGraphField.tensors), tensors, 0);
  b.addFieldOffset(slot(SubGraphField.inputs), inputs, 0);
  b.addFieldOffset(slot(SubGraphField.outputs), outputs, 0);
  b.addFieldOffset(slot(SubGraphField.operators), operators, 0);
  b.addFieldOffset(slot(SubGraphField.name), sgName, 0);
  const subgraph = b.endObject();
  const subgraphs = offsetVector(b, [subgraph]);
  const description = b.createString(graph.description);

  b.startObject(FieldCount.Model);
  b.addFieldInt32(slot(ModelField.version), SCHEMA_VERSION, 0);
  b.addFieldOffset(slot(ModelField.operator_codes), operatorCodes, 0);
  b.addFieldOffset(slot(ModelField.subgraphs), subgraphs, 0);
  b.addFieldOffset(slot(ModelField.description), description, 0);
  b.addFieldOffset(slot(ModelField.buffers), buffers, 0);
  const model = b.endObject();
  b.finish(model, FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
