/**
 * What a `.tflite` file costs on a device: MACs, flash per weight tensor in its stored type,
 * activation bytes per operator, and TensorFlow Lite Micro's tensor arena (planner simulation
 * plus the runtime's own bookkeeping), with the ideal lower bound.
 */
import type { TfliteGraph } from '../export/tflite/graph';
import type { ReadTflite } from '../export/tflite/reader';
import { BuiltinOperator, operatorName, tensorTypeName } from '../export/tflite/schema';
import { alignUp, lifetimes, planArena, type ArenaPlan } from './arena';
import { opClassOf } from './latency';
import { operatorMacs } from './macs';
import { scratchRequests } from './scratch';
import type { NumberType, OpClass } from './targets';

/** Bytes per element by TFLite tensor type (BOOL and INT16 included: TFLM plans them too). */
const TYPE_BYTES: Record<number, number> = { 0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 9: 1 };

/** INT8, UINT8, INT16: the operator computes in integers. */
const QUANTIZED_TYPES = new Set<number>([9, 3, 7]);

export function tensorBytes(g: TfliteGraph, i: number): number {
  const t = g.tensors[i];
  return t.shape.reduce((a, b) => a * Math.max(b, 0), 1) * (TYPE_BYTES[t.type] ?? 4);
}

export interface WeightInfo {
  tensor: number;
  name: string;
  type: string;
  shape: number[];
  bytes: number;
}

export interface LayerCost {
  index: number;
  op: string;
  version: number;
  macs: number;
  /** Constant inputs (weights, biases) as stored: bytes of flash. */
  weights: WeightInfo[];
  weightBytes: number;
  /** The output tensors' bytes (RAM while they live). */
  activationBytes: number;
  outputShape: number[];
  /** The cycles-per-MAC row it uses: conv, depthwise or fc (pooling and element-wise ops count as fc). */
  opClass: OpClass;
  /** int8 when the operator's input is quantized (int8, uint8, int16), float32 otherwise (hybrid kernels included). */
  numberType: NumberType;
}

/**
 * TFLM's bookkeeping beside the planned activations (the arena's "tail"), as measured on the
 * host build of TFLM (64-bit pointers; a 32-bit Cortex-M needs somewhat less). Each figure
 * is a measured allocation size from TFLM's RecordingMicroAllocator (see docs/deploy.md).
 */
export const TFLM_OVERHEAD = {
  /**
   * Allocator, planner and interpreter objects plus the kernels' shared data, independent of
   * the model; with FULLY_CONNECTED and SOFTMAX below, fitted so the MLP files match exactly.
   */
  fixed: 384,
  /** TfLiteEvalTensor per tensor (24 B measured). */
  perTensor: 24,
  /** NodeAndRegistration per operator (64 B measured). */
  perOperator: 64,
  /** Kernel OpData per operator kind (measured: QUANTIZE and DEQUANTIZE 32 B, RESHAPE none). */
  perKind: { DEQUANTIZE: 32, QUANTIZE: 32, RESHAPE: 0, FULLY_CONNECTED: 48, SOFTMAX: 48, CONV_2D: 112, DEPTHWISE_CONV_2D: 112 } as Partial<Record<string, number>>,
  /** Kernels not measured: assumed as large as CONV_2D's. */
  defaultKind: 112,
  /** Per output channel of a quantized conv (or per-channel FC): int32 multiplier + int32 shift, each array 16-byte aligned. */
  perChannel: 4,
  /** TfLiteTensor the interpreter keeps for each graph input and output (64 B measured). */
  perGraphIo: 64,
  /** Its quantization parameters when that tensor is quantized (32 B measured). */
  perQuantizedGraphIo: 32,
  /** Safety margin for allocations the model above does not separate. */
  margin: 128,
};

export interface ArenaEstimate {
  /** The planner's activation area (TFLM's head). */
  plannedBytes: number;
  /** TFLM's bookkeeping (tail): see TFLM_OVERHEAD. */
  overheadBytes: number;
  /** plannedBytes + overheadBytes: the arena to allocate. */
  estimateBytes: number;
  /** Largest set of aligned activations alive at once, plus the same overhead: no plan needs less. */
  lowerBoundBytes: number;
  plan: ArenaPlan;
  assumptions: string[];
}

function overheadBytes(g: TfliteGraph): number {
  const o = TFLM_OVERHEAD;
  let bytes = o.fixed + o.margin + alignUp(o.perTensor * g.tensors.length) + alignUp(o.perOperator * g.operators.length);
  for (const t of [...g.inputs, ...g.outputs]) {
    bytes += o.perGraphIo + (g.tensors[t].quant ? o.perQuantizedGraphIo : 0);
  }
  for (const op of g.operators) {
    bytes += alignUp(o.perKind[operatorName(op.op)] ?? o.defaultKind);
    const w = op.inputs[1] !== undefined && op.inputs[1] >= 0 ? g.tensors[op.inputs[1]] : undefined;
    const conv = op.op === BuiltinOperator.CONV_2D || op.op === BuiltinOperator.DEPTHWISE_CONV_2D;
    const perChannelFc = op.op === BuiltinOperator.FULLY_CONNECTED && !!w?.quant && w.quant.scale.length > 1;
    if (w?.quant && (conv || perChannelFc)) {
      const out = g.tensors[op.outputs[0]].shape;
      bytes += 2 * alignUp(o.perChannel * (out[out.length - 1] ?? 1));
    }
  }
  return bytes;
}

export function estimateArena(g: TfliteGraph): ArenaEstimate {
  const constant = g.tensors.map((t) => t.data !== undefined);
  const scratch = scratchRequests(g);
  const plan = planArena(lifetimes({ tensorBytes: g.tensors.map((_, i) => tensorBytes(g, i)), constant, operators: g.operators, inputs: g.inputs, outputs: g.outputs, scratch }));
  const overhead = overheadBytes(g);
  return {
    plannedBytes: plan.plannedBytes,
    overheadBytes: overhead,
    estimateBytes: plan.plannedBytes + overhead,
    lowerBoundBytes: plan.lowerBoundBytes + overhead,
    plan,
    assumptions: [
      "TFLM's default GreedyMemoryPlanner (no offline plan in the file's metadata), 16-byte buffer alignment",
      "reference kernels' scratch buffers (MEAN/SUM/REDUCE_MAX accumulators and index arrays, int4 filter unpacking) planned with the tensors; optimized kernels such as CMSIS-NN may ask for more scratch space (im2col buffers)",
      'bookkeeping measured on a 64-bit host build of TFLM (2026-08 commit) for MLP files, plus a 128-byte margin: a 32-bit microcontroller needs a few hundred bytes less',
    ],
  };
}

export interface ModelCost {
  layers: LayerCost[];
  macs: number;
  weightBytes: number;
  /** Largest single activation tensor. */
  largestActivationBytes: number;
}

export function modelCost(g: ReadTflite): ModelCost {
  const layers = g.operators.map((op, index): LayerCost => {
    const weights = op.inputs
      .filter((i) => i >= 0 && g.tensors[i].data !== undefined)
      .map((i) => ({ tensor: i, name: g.tensors[i].name, type: tensorTypeName(g.tensors[i].type), shape: g.tensors[i].shape, bytes: g.tensors[i].data!.length }));
    return {
      index,
      op: operatorName(op.op),
      version: op.version,
      macs: operatorMacs(g, op),
      weights,
      weightBytes: weights.reduce((a, w) => a + w.bytes, 0),
      activationBytes: op.outputs.reduce((a, t) => a + tensorBytes(g, t), 0),
      outputShape: g.tensors[op.outputs[0]].shape,
      opClass: opClassOf(operatorName(op.op)),
      numberType: op.inputs[0] !== undefined && op.inputs[0] >= 0 && QUANTIZED_TYPES.has(g.tensors[op.inputs[0]].type) ? 'int8' : 'float32',
    };
  });
  const activations = g.tensors.map((t, i) => (t.data ? 0 : tensorBytes(g, i)));
  return {
    layers,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    weightBytes: layers.reduce((a, l) => a + l.weightBytes, 0),
    largestActivationBytes: Math.max(0, ...activations),
  };
}
