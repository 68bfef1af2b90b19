/**
 * Lowered → TfliteGraph in each variant, the way the TFLite converter writes it:
 * - float32: float constants;
 * - float16: every float constant (filters, weights, biases, BatchNormalization's MUL/ADD
 *   vectors) stored as float16 and DEQUANTIZE'd to float32 at load;
 * - dynamic-int8: CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weights with at least 1024
 *   elements stored as symmetric int8 (per-channel along the output channels for convolutions,
 *   per-tensor for FULLY_CONNECTED) and DEQUANTIZE'd (the weight-only form XNNPACK folds at load,
 *   see build.ts for why it is preferred over hybrid kernels);
 * - full-int8: int8 activations with the calibrated parameters (quantizeLowered), int8 weights,
 *   int32 biases, float or int8 I/O; per-channel Dense layers as 1×1 CONV_2D on a [1, 1, 1, n]
 *   view (the MLP writer's fast form, see fcAsConv), unless `perChannelAs: 'fully-connected'`.
 * Operator versions are the lowest the features used need (the converter's op_version rules:
 * int8 raises most builtin ops to 2, CONV_2D / DEPTHWISE_CONV_2D to 3, FULLY_CONNECTED to 4;
 * dilated depthwise needs 2).
 */
import type { TfliteMode } from '../../../protocol/config';
import { toFloat16 } from '../../quantize/float16';
import { DYNAMIC_RANGE_MIN_ELEMENTS } from './build';
import type { FusedActivation, TensorQuant, TfliteGraph, TfliteOperator, TfliteTensor } from './graph';
import type { LOp, Lowered } from './lowered';
import type { QuantizedLowered } from './quantizeLowered';
import { BuiltinOperator, TensorType } from './schema';

const bytesOf = (a: Float32Array | Int8Array | Int32Array | Uint16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
const perTensor = (scale: number, zeroPoint: number): TensorQuant => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

/** Symmetric int8 per channel along `axis` of `shape` (or per tensor): scale = max|w| / 127, all-zero channels scale 1. */
export function quantizeWeights(w: Float32Array, shape: number[], axis: number | null): { q: Int8Array; scales: Float32Array } {
  const channels = axis === null ? 1 : shape[axis];
  const inner = axis === null ? 1 : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chan = (i: number): number => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    maxAbs[chan(i)] = Math.max(maxAbs[chan(i)], Math.abs(w[i]));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const v = w[i] / scales[chan(i)];
    q[i] = Math.max(-127, Math.min(127, v < 0 ? -Math.round(-v) : Math.round(v)));
  }
  return { q, scales };
}

/** The axis weights are quantized along per channel: OHWI axis 0, 1HWC axis 3, FC [out, in] axis 0. */
export function weightAxis(op: LOp): number {
  return op.type === 'depthwise' ? 3 : 0;
}

class Builder {
  readonly tensors: TfliteTensor[] = [];
  readonly operators: TfliteOperator[] = [];
  add(t: TfliteTensor): number {
    return this.tensors.push(t) - 1;
  }
  op(op: number, version: number, inputs: number[], outputs: number[], options: TfliteOperator['options'] = { kind: 'none' }): void {
    this.operators.push({ op: op as TfliteOperator['op'], version, inputs, outputs, options });
  }
  int32(name: string, values: number[], shape = [values.length]): number {
    return this.add({ name, shape, type: TensorType.INT32, data: bytesOf(Int32Array.from(values)) });
  }
}

const batched = (shape: number[]): number[] => [1, ...shape];
const window = (op: LOp & { padding: 'same' | 'valid'; strides: [number, number] }, dilation: [number, number] = [1, 1]) => ({
  padding: op.padding === 'same' ? ('SAME' as const) : ('VALID' as const),
  strides: op.strides,
  dilation,
});

interface EmitContext {
  b: Builder;
  /** Tensor index of each lowered tensor. */
  t: number[];
  mode: TfliteMode;
  q?: QuantizedLowered;
  /** full-int8: per-channel FULLY_CONNECTEDs are written as 1×1 CONV_2D (see fcAsConv). */
  fcAsConv?: boolean;
  /** full-int8 with fcAsConv: the [1, 1, 1, n] view made of each 2-D TFLite tensor, so a tensor is reshaped once. */
  nhwc?: Map<number, number>;
  /** dynamic-int8: big Dense weights feed a hybrid FULLY_CONNECTED v9 directly instead of a DEQUANTIZE (EmitOptions.dynamicForm). */
  hybridFc?: boolean;
}

/** A float constant in the variant's storage: float32, or float16 + DEQUANTIZE. */
function floatConst(c: EmitContext, name: string, data: Float32Array, shape: number[]): number {
  if (c.mode === 'float16') {
    const h = c.b.add({ name: `${name}_fp16`, shape, type: TensorType.FLOAT16, data: bytesOf(toFloat16(data)) });
    const f = c.b.add({ name, shape, type: TensorType.FLOAT32 });
    c.b.op(BuiltinOperator.DEQUANTIZE, 3, [h], [f], { kind: 'dequantize' });
    return f;
  }
  return c.b.add({ name, shape, type: TensorType.FLOAT32, data: bytesOf(data) });
}

/**
 * A float op's weights: dynamic-int8 stores big ones as int8 + DEQUANTIZE, or (a hybrid Dense)
 * as the int8 tensor the op reads itself.
 */
function weightConst(c: EmitContext, op: LOp, name: string, data: Float32Array, shape: number[]): number {
  if (c.mode === 'dynamic-int8' && data.length >= DYNAMIC_RANGE_MIN_ELEMENTS) {
    const axis = op.type === 'fc' ? null : weightAxis(op);
    const { q, scales } = quantizeWeights(data, shape, axis);
    const quant: TensorQuant = { scale: Array.from(scales), zeroPoint: new Array<number>(scales.length).fill(0), quantizedDimension: axis ?? 0 };
    const qi = c.b.add({ name: `${name}_int8`, shape, type: TensorType.INT8, data: bytesOf(q), quant });
    if (op.type === 'fc' && c.hybridFc) {
      return qi;
    }
    const f = c.b.add({ name, shape, type: TensorType.FLOAT32 });
    c.b.op(BuiltinOperator.DEQUANTIZE, 2, [qi], [f], { kind: 'dequantize' });
    return f;
  }
  return floatConst(c, name, data, shape);
}

/** int8 MUL's version: 3 supports a rescale sa·sb/sy ≥ 1, 2 below (op_version.cc). */
const mulVersion = (sa: number, sb: number, sy: number): number => ((sa * sb) / sy >= 1 ? 3 : 2);

const ACT_OPS: Partial<Record<LOp['type'], number>> = {
  softmax: BuiltinOperator.SOFTMAX,
  logistic: BuiltinOperator.LOGISTIC,
  tanh: BuiltinOperator.TANH,
  hardSwish: BuiltinOperator.HARD_SWISH,
  relu: BuiltinOperator.RELU,
  relu6: BuiltinOperator.RELU6,
};

function emitFloatOp(c: EmitContext, op: LOp, l: Lowered): void {
  const { b, t } = c;
  const x = t[op.inputs[0]];
  const y = t[op.output];
  const name = l.tensors[op.output].name;
  const act = (a: FusedActivation): FusedActivation => a;
  switch (op.type) {
    case 'conv2d':
    case 'depthwise': {
      const f = weightConst(c, op, `${op.layer}/${op.type === 'conv2d' ? 'Conv2D' : 'depthwise'}`, op.filter, op.filterShape);
      const bias = floatConst(c, `${op.layer}/BiasAdd/ReadVariableOp`, op.bias, [op.bias.length]);
      if (op.type === 'conv2d') {
        b.op(BuiltinOperator.CONV_2D, 1, [x, f, bias], [y], { kind: 'conv2d', fusedActivation: act(op.act), window: window(op, op.dilation) });
      } else {
        const dilated = op.dilation[0] > 1 || op.dilation[1] > 1;
        b.op(BuiltinOperator.DEPTHWISE_CONV_2D, dilated ? 2 : 1, [x, f, bias], [y], {
          kind: 'depthwiseConv2d',
          fusedActivation: op.act,
          window: window(op, op.dilation),
          depthMultiplier: op.depthMultiplier,
        });
      }
      return;
    }
    case 'fc': {
      const inN = op.weights.length / op.units;
      const w = weightConst(c, op, `${op.layer}/MatMul`, op.weights, [op.units, inN]);
      const bias = floatConst(c, `${op.layer}/BiasAdd/ReadVariableOp`, op.bias, [op.units]);
      // Hybrid: float input, int8 weights, inputs quantized at run time (v9 for asymmetric input quantization).
      const hybrid = b.tensors[w].type === TensorType.INT8;
      b.op(BuiltinOperator.FULLY_CONNECTED, hybrid ? 9 : 1, [x, w, bias], [y], { kind: 'fullyConnected', fusedActivation: op.act, keepNumDims: false, asymmetricQuantizeInputs: hybrid });
      return;
    }
    case 'affine': {
      const c0 = op.scale.length;
      const s = floatConst(c, `${op.layer}/mul`, op.scale, [c0]);
      const hasShift = op.shift.some((v) => v !== 0);
      const mid = hasShift ? b.add({ name: `${name}_mul`, shape: batched(l.tensors[op.output].shape), type: TensorType.FLOAT32 }) : y;
      b.op(BuiltinOperator.MUL, 1, [x, s], [mid], { kind: 'mul', fusedActivation: 'NONE' });
      if (hasShift) {
        const sh = floatConst(c, `${op.layer}/add`, op.shift, [op.shift.length]);
        b.op(BuiltinOperator.ADD, 1, [mid, sh], [y], { kind: 'add', fusedActivation: 'NONE' });
      }
      return;
    }
    default:
      emitStructuralOp(c, op, 1);
  }
}

/** Ops whose form is the same in every variant (only the version differs for int8). */
function emitStructuralOp(c: EmitContext, op: LOp, version: number): void {
  const { b, t } = c;
  const x = t[op.inputs[0]];
  const y = t[op.output];
  switch (op.type) {
    case 'maxPool':
    case 'avgPool':
      b.op(op.type === 'maxPool' ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D, version, [x], [y], {
        kind: 'pool2d',
        fusedActivation: 'NONE',
        padding: op.padding === 'same' ? 'SAME' : 'VALID',
        strides: op.strides,
        filter: op.pool,
      });
      return;
    case 'mean':
    case 'reduceMax': {
      const axes = b.int32(`${op.layer}/${op.type === 'mean' ? 'Mean' : 'Max'}/reduction_indices`, [1, 2]);
      b.op(op.type === 'mean' ? BuiltinOperator.MEAN : BuiltinOperator.REDUCE_MAX, version, [x, axes], [y], { kind: 'reducer', keepDims: op.keepDims });
      return;
    }
    case 'reshape': {
      // The emitted tensor's shape: batched(outShape), or [1, 1, 1, n] when only conv-form Dense layers read it.
      const shape = b.tensors[y].shape;
      const s = b.int32(`${op.layer}/Const`, shape);
      b.op(BuiltinOperator.RESHAPE, 1, [x, s], [y], { kind: 'reshape', newShape: shape });
      return;
    }
    case 'add':
      b.op(BuiltinOperator.ADD, version, [x, t[op.inputs[1]]], [y], { kind: 'add', fusedActivation: op.act });
      return;
    case 'mul': {
      const q = c.q?.params;
      // int8 MUL: version 3 when the rescale sa·sb/sy is ≥ 1 (the converter's op_version rule), else 2.
      const v = q && version > 1 ? mulVersion(q[op.inputs[0]].scale, q[op.inputs[1]].scale, q[op.output].scale) : version;
      b.op(BuiltinOperator.MUL, v, [x, t[op.inputs[1]]], [y], { kind: 'mul', fusedActivation: 'NONE' });
      return;
    }
    case 'concat':
      b.op(
        BuiltinOperator.CONCATENATION,
        version,
        op.inputs.map((i) => t[i]),
        [y],
        { kind: 'concatenation', axis: op.axis + 1, fusedActivation: op.act },
      );
      return;
    case 'pad': {
      const p = b.int32(`${op.layer}/Pad/paddings`, [0, 0, op.paddings[0][0], op.paddings[0][1], op.paddings[1][0], op.paddings[1][1], 0, 0], [4, 2]);
      b.op(BuiltinOperator.PAD, version, [x, p], [y], { kind: 'pad' });
      return;
    }
    case 'softmax':
      b.op(BuiltinOperator.SOFTMAX, version, [x], [y], { kind: 'softmax', beta: 1 });
      return;
    case 'hardSwish':
      b.op(BuiltinOperator.HARD_SWISH, 1, [x], [y], { kind: 'hardSwish' });
      return;
    case 'logistic':
    case 'tanh':
    case 'relu':
    case 'relu6':
      b.op(ACT_OPS[op.type] as number, version, [x], [y]);
      return;
    default:
      throw new Error(`emitStructuralOp: ${op.type} is not structural`);
  }
}

function emitFloat(l: Lowered, mode: 'float32' | 'float16' | 'dynamic-int8', hybridFc = false): TfliteGraph {
  const b = new Builder();
  const t = l.tensors.map((x, i) =>
    b.add({
      name: i === l.output ? 'StatefulPartitionedCall:0' : x.name,
      shape: batched(x.shape),
      shapeSignature: [-1, ...x.shape],
      type: TensorType.FLOAT32,
    }),
  );
  const c: EmitContext = { b, t, mode, hybridFc };
  for (const op of l.ops) {
    emitFloatOp(c, op, l);
  }
  return { description: `model-optimizer ${mode}`, name: 'main', tensors: b.tensors, operators: b.operators, inputs: [t[l.input]], outputs: [t[l.output]] };
}

/** Ops whose int8 form is exact (shared parameters, no arithmetic): in a mixed model they follow their input's domain. */
const EXACT_OPS: ReadonlySet<LOp['type']> = new Set(['maxPool', 'reshape', 'pad', 'reduceMax', 'concat']);

/**
 * Which ops of a full-int8 model run in float (float fallback, issue 16): the ops of
 * `floatLayers`, and the exact structural ops (pooling, reshape, pad, concat) whose inputs are
 * all float, so a float layer's pooling does not bounce through QUANTIZE/DEQUANTIZE.
 */
export function floatOpsOf(l: Lowered, floatLayers: ReadonlySet<string>): boolean[] {
  const floatTensors = new Set<number>();
  return l.ops.map((op) => {
    const isFloat = floatLayers.has(op.layer) || (EXACT_OPS.has(op.type) && op.inputs.every((t) => floatTensors.has(t)));
    if (isFloat) {
      floatTensors.add(op.output);
    }
    return isFloat;
  });
}

/**
 * Whether an int8 Dense layer is written as a 1×1 CONV_2D rather than FULLY_CONNECTED v4: with
 * per-channel weights, unless asked for the converter's form. Why (build.ts has the measurements):
 * the XNNPACK in tfjs-tflite's wasm runtime has no per-channel (QC8) fully-connected operator, so
 * a per-channel FULLY_CONNECTED runs in TFLite's builtin kernel, ~50× slower for a 784-128-10
 * MLP; a Dense layer on one sample is exactly a 1×1 VALID CONV_2D over a [1, 1, 1, in] view with
 * the same int8 weights ([out, 1, 1, in], scales along axis 0) and int32 bias, which XNNPACK runs
 * as a QC8 convolution with the same integer arithmetic (int8Ref.ts). Per-tensor weights keep
 * FULLY_CONNECTED v4 (XNNPACK's QS8 fully-connected).
 */
function fcAsConv(c: EmitContext, qw: { scales: Float32Array }): boolean {
  return !!c.fcAsConv && qw.scales.length > 1;
}

/** RESHAPE `x` into the existing tensor `y` (the shape given both as an input and in the options, like the converter). */
function reshapeTo(b: Builder, x: number, y: number): void {
  const shape = b.tensors[y].shape;
  const s = b.int32(`${b.tensors[y].name}/shape`, shape);
  b.op(BuiltinOperator.RESHAPE, 1, [x, s], [y], { kind: 'reshape', newShape: shape });
}

/** `x` as an NHWC [1, 1, 1, n] tensor: itself when it already is one, else a RESHAPE of it (made once per tensor). */
function nhwcView(c: EmitContext, x: number): number {
  const t = c.b.tensors[x];
  if (t.shape.length === 4) {
    return x;
  }
  const cache = (c.nhwc ??= new Map<number, number>());
  let v = cache.get(x);
  if (v === undefined) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    v = c.b.add({ name: `${t.name}_nhwc`, shape: [1, 1, 1, n], shapeSignature: [-1, 1, 1, n], type: t.type, quant: t.quant });
    reshapeTo(c.b, x, v);
    cache.set(x, v);
  }
  return v;
}

/** One int8 op (c.t maps lowered tensors to int8 TFLite tensors). */
function emitInt8Op(c: EmitContext, op: LOp, k: number, l: Lowered, q: QuantizedLowered): void {
  const { b, t } = c;
  const x = t[op.inputs[0]];
  const y = t[op.output];
  switch (op.type) {
    case 'conv2d':
    case 'depthwise':
    case 'fc': {
      const qw = q.weights[k];
      if (!qw) {
        throw new Error(`full-int8: no quantized weights for op ${k}`);
      }
      const zeros = new Array<number>(qw.scales.length).fill(0);
      const axis = qw.scales.length > 1 ? weightAxis(op) : 0;
      const asConv = op.type === 'fc' && fcAsConv(c, qw);
      const shape = op.type === 'fc' ? (asConv ? [op.units, 1, 1, op.weights.length / op.units] : [op.units, op.weights.length / op.units]) : op.filterShape;
      const w = b.add({
        name: `${op.layer}/${op.type === 'fc' ? 'MatMul' : op.type === 'conv2d' ? 'Conv2D' : 'depthwise'}`,
        shape,
        type: TensorType.INT8,
        data: bytesOf(qw.q),
        quant: { scale: Array.from(qw.scales), zeroPoint: zeros, quantizedDimension: axis },
      });
      const bias = b.add({
        name: `${op.layer}/BiasAdd/ReadVariableOp`,
        shape: [qw.bias.length],
        type: TensorType.INT32,
        data: bytesOf(qw.bias),
        quant: { scale: Array.from(qw.biasScales), zeroPoint: zeros, quantizedDimension: 0 },
      });
      if (op.type === 'conv2d') {
        b.op(BuiltinOperator.CONV_2D, 3, [x, w, bias], [y], { kind: 'conv2d', fusedActivation: op.act, window: window(op, op.dilation) });
      } else if (op.type === 'depthwise') {
        b.op(BuiltinOperator.DEPTHWISE_CONV_2D, 3, [x, w, bias], [y], {
          kind: 'depthwiseConv2d',
          fusedActivation: op.act,
          window: window(op, op.dilation),
          depthMultiplier: op.depthMultiplier,
        });
      } else if (asConv) {
        // No window: 1×1, stride 1, VALID (writer.ts), on the [1, 1, 1, in] view of the input.
        const y4 = b.tensors[y].shape.length === 4 ? y : b.add({ ...b.tensors[y], name: `${b.tensors[y].name}_nhwc`, shape: [1, 1, 1, op.units], shapeSignature: [-1, 1, 1, op.units] });
        b.op(BuiltinOperator.CONV_2D, 3, [nhwcView(c, x), w, bias], [y4], { kind: 'conv2d', fusedActivation: op.act });
        if (y4 !== y) {
          reshapeTo(b, y4, y);
        }
      } else {
        b.op(BuiltinOperator.FULLY_CONNECTED, 4, [x, w, bias], [y], { kind: 'fullyConnected', fusedActivation: op.act, keepNumDims: false, asymmetricQuantizeInputs: false });
      }
      return;
    }
    case 'affine': {
      const aq = q.affine[k];
      if (!aq) {
        throw new Error(`full-int8: no quantized constants for op ${k}`);
      }
      const c0 = aq.scaleQ.length;
      const s = b.add({ name: `${op.layer}/mul`, shape: [c0], type: TensorType.INT8, data: bytesOf(aq.scaleQ), quant: perTensor(aq.scaleParams.scale, aq.scaleParams.zeroPoint) });
      const hasShift = !!aq.shiftQ;
      const mid = hasShift
        ? b.add({ name: `${l.tensors[op.output].name}_mul`, shape: batched(l.tensors[op.output].shape), type: TensorType.INT8, quant: perTensor(aq.mid.scale, aq.mid.zeroPoint) })
        : y;
      b.op(BuiltinOperator.MUL, mulVersion(q.params[op.inputs[0]].scale, aq.scaleParams.scale, aq.mid.scale), [x, s], [mid], { kind: 'mul', fusedActivation: 'NONE' });
      if (aq.shiftQ && aq.shiftParams) {
        const sh = b.add({ name: `${op.layer}/add`, shape: [aq.shiftQ.length], type: TensorType.INT8, data: bytesOf(aq.shiftQ), quant: perTensor(aq.shiftParams.scale, aq.shiftParams.zeroPoint) });
        b.op(BuiltinOperator.ADD, 2, [mid, sh], [y], { kind: 'add', fusedActivation: 'NONE' });
      }
      return;
    }
    default:
      emitStructuralOp(c, op, op.type === 'hardSwish' ? 1 : 2);
  }
}

/**
 * Full-int8, optionally with float fallback: ops marked in `isFloat` run in float32 with the
 * float kernels (float weights), a DEQUANTIZE before them when their input is int8 and a
 * QUANTIZE (with the calibrated parameters) after them when an int8 op reads their output.
 * Without float ops the file is exactly the full-int8 one.
 */
function emitFullInt8(l: Lowered, q: QuantizedLowered, int8Io: boolean, isFloat: readonly boolean[] = l.ops.map(() => false), fcConv = true): TfliteGraph {
  const b = new Builder();
  const floatMade = new Set<number>(l.ops.filter((_op, k) => isFloat[k]).map((op) => op.output));
  const int8Reads = (i: number): boolean => l.ops.some((op, k) => !isFloat[k] && op.inputs.includes(i));
  const sig = (i: number): { shape: number[]; shapeSignature: number[] } => ({ shape: batched(l.tensors[i].shape), shapeSignature: [-1, ...l.tensors[i].shape] });
  // Tensors between conv-form Dense layers (or from a Flatten into them) are written [1, 1, 1, n]
  // directly, so a Dense stack has one RESHAPE in and one out, not one around every layer.
  const convFc = (k: number): boolean => fcConv && !isFloat[k] && l.ops[k].type === 'fc' && (q.weights[k]?.scales.length ?? 0) > 1;
  const nhwcOnly = (i: number): boolean => {
    const readers = l.ops.flatMap((op, k) => (op.inputs.includes(i) ? [k] : []));
    const producer = l.ops.findIndex((op) => op.output === i);
    return (
      i !== l.input &&
      i !== l.output &&
      producer >= 0 &&
      (convFc(producer) || (l.ops[producer].type === 'reshape' && !isFloat[producer])) &&
      readers.length > 0 &&
      readers.every(convFc)
    );
  };
  // Each lowered tensor in the domain its producer runs in (the input: int8 when an int8 op reads it).
  const t = l.tensors.map((x, i) => {
    if (floatMade.has(i)) {
      return b.add({ name: i === l.output && !int8Io ? 'StatefulPartitionedCall:0' : x.name, ...sig(i), type: TensorType.FLOAT32 });
    }
    if (i === l.input && !int8Io && !int8Reads(i)) {
      return -1;
    }
    const n = x.shape.reduce((a, d) => a * d, 1);
    const shape = nhwcOnly(i) ? { shape: [1, 1, 1, n], shapeSignature: [-1, 1, 1, n] } : sig(i);
    return b.add({ name: i === l.output && int8Io ? 'StatefulPartitionedCall:0' : x.name, ...shape, type: TensorType.INT8, quant: perTensor(q.params[i].scale, q.params[i].zeroPoint) });
  });
  const c: EmitContext = { b, t, mode: 'full-int8', q, fcAsConv: fcConv, nhwc: new Map() };
  let input = t[l.input];
  let floatInput: number | undefined;
  if (!int8Io) {
    input = floatInput = b.add({ name: 'serving_default_input:0', ...sig(l.input), type: TensorType.FLOAT32 });
    if (t[l.input] >= 0) {
      b.op(BuiltinOperator.QUANTIZE, 1, [input], [t[l.input]], { kind: 'quantize' });
    }
  }
  const asFloat = new Map<number, number>();
  const asInt8 = new Map<number, number>();
  const floatOf = (i: number): number => {
    if (floatMade.has(i)) {
      return t[i];
    }
    if (i === l.input && floatInput !== undefined) {
      return floatInput;
    }
    let f = asFloat.get(i);
    if (f === undefined) {
      f = b.add({ name: `${l.tensors[i].name}_dequantized`, ...sig(i), type: TensorType.FLOAT32 });
      b.op(BuiltinOperator.DEQUANTIZE, 2, [t[i]], [f], { kind: 'dequantize' });
      asFloat.set(i, f);
    }
    return f;
  };
  const int8Of = (i: number): number => {
    if (!floatMade.has(i)) {
      return t[i];
    }
    let v = asInt8.get(i);
    if (v === undefined) {
      v = b.add({ name: `${l.tensors[i].name}_quantized`, ...sig(i), type: TensorType.INT8, quant: perTensor(q.params[i].scale, q.params[i].zeroPoint) });
      b.op(BuiltinOperator.QUANTIZE, 1, [t[i]], [v], { kind: 'quantize' });
      asInt8.set(i, v);
    }
    return v;
  };
  for (const [k, op] of l.ops.entries()) {
    const view: number[] = [];
    for (const i of op.inputs) {
      view[i] = isFloat[k] ? floatOf(i) : int8Of(i);
    }
    view[op.output] = t[op.output];
    if (isFloat[k]) {
      emitFloatOp({ b, t: view, mode: 'float32' }, op, l);
    } else {
      emitInt8Op({ ...c, t: view }, op, k, l, q);
    }
  }
  let output = t[l.output];
  const outFloat = floatMade.has(l.output);
  if (!int8Io && !outFloat) {
    const os = l.tensors[l.output].shape;
    output = b.add({ name: 'StatefulPartitionedCall:0', shape: batched(os), shapeSignature: [-1, ...os], type: TensorType.FLOAT32 });
    b.op(BuiltinOperator.DEQUANTIZE, 2, [t[l.output]], [output], { kind: 'dequantize' });
  } else if (int8Io && outFloat) {
    const p = q.params[l.output];
    output = b.add({ name: 'StatefulPartitionedCall:0', ...sig(l.output), type: TensorType.INT8, quant: perTensor(p.scale, p.zeroPoint) });
    b.op(BuiltinOperator.QUANTIZE, 1, [t[l.output]], [output], { kind: 'quantize' });
  }
  const floatLayers = [...new Set(l.ops.filter((_op, k) => isFloat[k]).map((op) => op.layer))];
  return {
    description:
      `model-optimizer ${floatLayers.length ? 'mixed int8/float' : 'full-int8'} (${q.perChannel ? 'per-channel' : 'per-tensor'} weights, ${int8Io ? 'int8' : 'float'} I/O, ${q.calibration}` +
      `${q.foldedInput ? `, ${q.foldedInput} folded into the input quantization` : ''}` +
      `${floatLayers.length ? `; float layers: ${floatLayers.join(', ')}` : ''})`,
    name: 'main',
    tensors: b.tensors,
    operators: b.operators,
    inputs: [input],
    outputs: [output],
  };
}

/**
 * `floatLayers` (full-int8 only): layers kept in float inside the int8 model (float fallback /
 * mixed precision, see floatOpsOf).
 */
export interface EmitOptions {
  /** Required for full-int8: the calibrated model (quantizeLowered). */
  quantized?: QuantizedLowered;
  int8Io?: boolean;
  /** full-int8: layers kept in float inside the int8 model (float fallback / mixed precision, see floatOpsOf). */
  floatLayers?: readonly string[];
  /**
   * full-int8 with per-channel weights: each Dense layer as a 1×1 CONV_2D on an NHWC [1, 1, 1, in]
   * view ('conv2d', default: XNNPACK's QC8 convolution, see fcAsConv) or as the converter's
   * FULLY_CONNECTED v4 ('fully-connected', TFLite's slow builtin kernel in tfjs-tflite).
   */
  perChannelAs?: 'conv2d' | 'fully-connected';
  /**
   * dynamic-int8 Dense layers: int8 weights + DEQUANTIZE before a float FULLY_CONNECTED
   * ('dequantize', default: XNNPACK folds the DEQUANTIZE at load) or a hybrid FULLY_CONNECTED v9
   * on the int8 weights ('hybrid', TFLite's builtin hybrid kernel; build.ts has the figures).
   */
  dynamicForm?: 'dequantize' | 'hybrid';
}

export function emitLowered(l: Lowered, mode: TfliteMode, opts: EmitOptions = {}): TfliteGraph {
  if (mode === 'full-int8') {
    if (!opts.quantized) {
      throw new Error('full-int8 export needs the calibrated model (quantizeLowered)');
    }
    return emitFullInt8(l, opts.quantized, !!opts.int8Io, floatOpsOf(l, new Set(opts.floatLayers ?? [])), opts.perChannelAs !== 'fully-connected');
  }
  return emitFloat(l, mode, mode === 'dynamic-int8' && opts.dynamicForm === 'hybrid');
}
