/**
 * Convolution gradient kernels for the TF.js wasm backend.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.x has no Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter or DepthwiseConv2dNativeBackpropInput kernel, so autodiff
 * of any CNN (tf.variableGrads, tfjs-layers `fit`) throws on it; and its Conv2DBackpropInput is a
 * scalar loop (≈ 2 GFLOP/s here, ten times slower than the XNNPACK forward pass). Registering
 * our SIMD kernels (./wasmConv.ts) under those names for backendName 'wasm' gives every TF.js
 * path CNN training on wasm. Reads inputs straight from the backend's heap and writes the result
 * into a tensor made by the backend (`makeOutput`), the way the backend's own kernels do: the
 * kernels run inside the backend's memory (./wasmConv.ts), so nothing is copied.
 */
import {
  AvgPoolGrad,
  backend_util,
  BatchMatMul,
  broadcast_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedBatchNorm,
  getKernel,
  Identity,
  MaxPoolGrad,
  Mean,
  registerKernel,
  Sum,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convKernelsAvailable, convKernelsFor, convKernelsUnavailableReason, convKernelsVariant, type ConvGeometry, type ConvKernels } from './wasmConv';

/** The part of tfjs-backend-wasm's BackendWasm (and its Emscripten module) these kernels use. */
interface WasmBackendLike {
  wasm: { _malloc(bytes: number): number; _free(ptr: number): void; asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  incRef(dataId: object): void;
}

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Pair = number | [number, number];

function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The kernels instantiated on this backend's memory. */
function kernelsOf(backend: WasmBackendLike): ConvKernels {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error('Convolution gradients on the wasm backend: this tfjs-backend-wasm build does not expose its memory (expected module.asm.memory).');
  }
  return convKernelsFor({ memory, malloc: (n) => backend.wasm._malloc(n), free: (p) => backend.wasm._free(p) });
}

/** Byte offset of a float32 tensor's data in the backend's heap. */
function at(backend: WasmBackendLike, t: TensorInfo, kernel: string): number {
  if (t.dtype !== 'float32') {
    throw new Error(`${kernel} on the wasm backend takes float32 tensors, got ${t.dtype}.`);
  }
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) {
    throw new Error(`${kernel}: a tensor's data is not on the wasm backend.`);
  }
  return d.memoryOffset >>> 0;
}

/** A zero-filled float32 output tensor on the backend's heap, and its byte offset. */
function zeroOutput(backend: WasmBackendLike, shape: number[]): { out: TensorInfo; offset: number } {
  const out = backend.makeOutput(shape, 'float32');
  // Views made after makeOutput: its malloc may have grown (and so replaced) the heap's buffer.
  backend.typedArrayFromHeap(out).fill(0);
  return { out, offset: backend.dataIdMap.get(out.dataId)!.memoryOffset >>> 0 };
}

function requireNhwc(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on the wasm backend supports NHWC (channels-last) only, got ${dataFormat}: use channels-last layers.`);
  }
}

/** What the engine passes a kernel; inputs are indexed by the names the kernel declares. */
type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap };

const conv2dBackpropFilter = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const a = attrs as unknown as { strides: Pair; pad: Pad; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  requireNhwc(Conv2DBackpropFilter, a.dataFormat);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const { out, offset } = zeroOutput(b, [...a.filterShape]);
  kernelsOf(b).conv2dFilterGrad(geometry(info), at(b, x, Conv2DBackpropFilter), at(b, dy, Conv2DBackpropFilter), offset);
  return out;
};

/**
 * Forward Conv2D through im2col + our GEMM (the FMA build): faster than the backend's XNNPACK
 * kernel for most layers of a CNN, see useOurForward(). FusedConv2D (inference with bias and
 * activation fused) stays XNNPACK's.
 */
const conv2dForward = (args: Args): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { x, filter } = args.inputs;
  const a = args.attrs as unknown as { strides: Pair; pad: Pad; dataFormat?: string; dilations: Pair; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  if ((a.dataFormat !== undefined && a.dataFormat !== 'NHWC') || x.dtype !== 'float32' || filter.dtype !== 'float32' || !useOurForward(filter.shape)) {
    return backendKernel(Conv2D, args);
  }
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const out = b.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  kernelsOf(b).conv2dForward(geometry(info), at(b, x, Conv2D), at(b, filter, Conv2D), at(b, out, Conv2D));
  return out;
};

/**
 * Which forward convolutions ours takes: a dot product of at least 32 (kh·kw·inC) per output,
 * where the FMA GEMM beats XNNPACK (convnet conv2, 3×3×32: 42 vs 26 GFLOP/s CPU time). For
 * fewer input values per output (a first layer on 1- or 3-channel images) the im2col copy and
 * the short GEMM loop cost more than they save (conv1, 3×3×1: 4.4 vs 4.6 GFLOP/s), so those
 * stay XNNPACK's. MODEL_OPTIMIZER_CONV_FORWARD=xnnpack (or =ours) overrides, for measuring.
 */
export const OUR_FORWARD_MIN_DOT = 32;
export function useOurForward(filterShape: number[]): boolean {
  const mode = process.env.MODEL_OPTIMIZER_CONV_FORWARD;
  if (mode === 'xnnpack' || filterShape.length !== 4) {
    return false;
  }
  // Without FMA (the plain SIMD build) ours and XNNPACK were even (13.6 vs 13.9 ms on conv2).
  return mode === 'ours' || (convKernelsVariant().startsWith('relaxed') && filterShape[0] * filterShape[1] * filterShape[2] >= OUR_FORWARD_MIN_DOT);
}

const conv2dBackpropInput = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const a = attrs as unknown as { strides: Pair; pad: Pad; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number] };
  requireNhwc(Conv2DBackpropInput, a.dataFormat);
  const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const { out, offset } = zeroOutput(b, [...a.inputShape]);
  kernelsOf(b).conv2dInputGrad(geometry(info), at(b, dy, Conv2DBackpropInput), at(b, filter, Conv2DBackpropInput), offset);
  return out;
};

const depthwiseBackpropFilter = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const a = attrs as unknown as { strides: Pair; dilations: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
  const { out, offset } = zeroOutput(b, [...a.filterShape]);
  kernelsOf(b).depthwiseFilterGrad(geometry(info), at(b, x, DepthwiseConv2dNativeBackpropFilter), at(b, dy, DepthwiseConv2dNativeBackpropFilter), offset);
  return out;
};

const depthwiseBackpropInput = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const a = attrs as unknown as { strides: Pair; dilations: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number] };
  const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
  const { out, offset } = zeroOutput(b, [...a.inputShape]);
  kernelsOf(b).depthwiseInputGrad(geometry(info), at(b, dy, DepthwiseConv2dNativeBackpropInput), at(b, filter, DepthwiseConv2dNativeBackpropInput), offset);
  return out;
};

/** The backend's MaxPoolGrad is a scalar loop (≈ 95 ms per MNIST-convnet batch here, 40 % of a step). */
const maxPoolGrad = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, input } = inputs;
  const a = attrs as unknown as { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { out, offset } = zeroOutput(b, [...input.shape]);
  kernelsOf(b).maxPoolGrad(geometry(info), at(b, input, MaxPoolGrad), at(b, dy, MaxPoolGrad), offset);
  return out;
};

/**
 * AvgPoolGrad with TensorFlow's semantics: dy spread over each window's in-bounds taps,
 * 1/count each, the divisor the forward AvgPool uses with 'same' padding (TF, and TF.js' own
 * forward kernels). TF.js' cpu and wasm AvgPoolGrad multiply by 1/(fh·fw) instead, so at
 * 'same'-padded borders their gradient is not the gradient of their forward pass.
 */
const avgPoolGrad = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, input } = inputs;
  const a = attrs as unknown as { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { out, offset } = zeroOutput(b, [...input.shape]);
  kernelsOf(b).avgPoolGrad(geometry(info), at(b, dy, AvgPoolGrad), offset);
  return out;
};

/**
 * Sum over every axis but the last (the bias gradient of a Conv2D/Dense layer): the backend
 * transposes first and then reduces (≈ 10 ms per convnet batch); a column sum needs one pass.
 * Every other reduction goes to the backend's own kernel.
 */
const sum = (args: Args): TensorInfo => {
  const r = columnReduction(args);
  if (!r) {
    return backendKernel(Sum, args);
  }
  const b = args.backend as WasmBackendLike;
  const { out, offset } = zeroOutput(b, r.outShape);
  kernelsOf(b).sumRows(at(b, r.x, Sum), r.rows, r.n, offset);
  return out;
};

/**
 * A float32 reduction over every axis but the last (what Sum and Mean can do as column sums):
 * its rows, columns and output shape; null for any other reduction.
 */
function columnReduction(args: Args): { x: TensorInfo; rows: number; n: number; outShape: number[] } | null {
  const { x } = args.inputs;
  const a = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q);
  if (rank < 2 || axes.length !== rank - 1 || !axes.every((ax, i) => ax === i) || x.dtype !== 'float32') {
    return null;
  }
  const n = x.shape[rank - 1];
  const rows = util.sizeFromShape(x.shape) / Math.max(n, 1);
  return { x, rows, n, outShape: a.keepDims ? [...x.shape.slice(0, -1).map(() => 1), n] : [n] };
}

/**
 * Identity shares the input's data (one more reference), as the cpu backend's does. The wasm
 * backend's copies it, and autodiff runs an Identity for every tensor a kernel saves for its
 * gradient (engine.saveTensorsForBackwardMode → clone): 37 copies per convnet step, ≈ 3 ms of
 * ≈ 50. Tensors are immutable and every kernel writes a fresh output, so sharing is safe (the
 * backend's own Reshape does the same).
 */
const identity = (args: Args): TensorInfo => {
  const { x } = args.inputs;
  if (x.dtype === 'string') {
    return backendKernel(Identity, args);
  }
  (args.backend as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/**
 * Matrix products with a transposed operand and no batch (a Dense layer's two gradients,
 * dx = dy·Wᵀ and dW = xᵀ·dy): the backend's BatchMatMul runs these ≈ 5× slower than the plain
 * product. Ours goes through the SIMD GEMM (A transposed through strides, B transposed into
 * scratch). Batched or untransposed products go to the backend's XNNPACK kernel.
 */
const batchMatMul = (args: Args): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { a: A, b: B } = args.inputs;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const ra = A.shape.length;
  const rb = B.shape.length;
  const batched = util.sizeFromShape(A.shape.slice(0, -2)) !== 1 || util.sizeFromShape(B.shape.slice(0, -2)) !== 1;
  if ((!transposeA && !transposeB) || batched || A.dtype !== 'float32' || B.dtype !== 'float32' || ra < 2 || rb < 2) {
    return backendKernel(BatchMatMul, args);
  }
  const K = transposeA ? A.shape[ra - 2] : A.shape[ra - 1];
  const kB = transposeB ? B.shape[rb - 1] : B.shape[rb - 2];
  if (K !== kB) {
    throw new Error(`Error in matMul: inner shapes (${K}) and (${kB}) of Tensors with shapes [${A.shape.join(', ')}] and [${B.shape.join(', ')}] and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const M = transposeA ? A.shape[ra - 1] : A.shape[ra - 2];
  const N = transposeB ? B.shape[rb - 2] : B.shape[rb - 1];
  const outer = broadcast_util.assertAndGetBroadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = b.makeOutput([...outer, M, N], 'float32');
  const c = at(b, out, BatchMatMul);
  const ars = transposeA ? 1 : K;
  const acs = transposeA ? M : 1;
  kernelsOf(b).matMul(M, N, K, at(b, A, BatchMatMul), ars, acs, at(b, B, BatchMatMul), transposeB, c);
  return out;
};

/**
 * Mean over every axis but the last (BatchNormalization's batch statistics in training, via
 * tf.moments: two per layer per step): the backend transposes first, like Sum (31 % of a
 * MobileNetV2 head fine-tuning step). Column sums, then one scale. Other reductions: the backend's.
 */
const mean = (args: Args): TensorInfo => {
  const r = columnReduction(args);
  if (!r || r.rows === 0) {
    return backendKernel(Mean, args);
  }
  const b = args.backend as WasmBackendLike;
  const { out, offset } = zeroOutput(b, r.outShape);
  const k = kernelsOf(b);
  k.sumRows(at(b, r.x, Mean), r.rows, r.n, offset);
  k.scale(offset, r.n, 1 / r.rows);
  return out;
};

/**
 * BatchNormalization's normalisation y = (x − mean)·scale/√(var + ε) + offset, per channel (the
 * last axis): the backend's kernel takes a square root and a division per element (44 % of a
 * MobileNetV2 step after the Mean fix). Ours folds scale/√(var + ε) per channel first, then one
 * SIMD pass. Parameters of another size than the channel count (or 1) go to the backend's.
 */
const fusedBatchNorm = (args: Args): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { x, mean: m, variance, offset, scale } = args.inputs;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const C = x.shape[x.shape.length - 1] ?? 0;
  const size = util.sizeFromShape(x.shape);
  const params = [m, variance, offset, scale].filter((t): t is TensorInfo => t !== undefined && t !== null);
  const perChannel = (t: TensorInfo): boolean => t.dtype === 'float32' && (util.sizeFromShape(t.shape) === C || util.sizeFromShape(t.shape) === 1);
  if (x.dtype !== 'float32' || size === 0 || C === 0 || !params.every(perChannel)) {
    return backendKernel(FusedBatchNorm, args);
  }
  const read = (t: TensorInfo | undefined, fallback: number): (c: number) => number => {
    if (t === undefined || t === null) {
      return () => fallback;
    }
    const v = Float32Array.from(b.typedArrayFromHeap(t));
    return v.length === 1 ? () => v[0] : (c) => v[c];
  };
  const [mu, va, off, sc] = [read(m, 0), read(variance, 1), read(offset, 0), read(scale, 1)];
  const out = b.makeOutput([...x.shape], 'float32');
  const k = kernelsOf(b);
  k.withChannelParams(C, (p) => {
    for (let c = 0; c < C; c++) {
      p.mean[c] = mu(c);
      p.mul[c] = sc(c) / Math.sqrt(va(c) + eps);
      p.add[c] = off(c);
    }
  }, (p0) => k.normalizeChannels(at(b, x, FusedBatchNorm), size / C, C, p0, at(b, out, FusedBatchNorm)));
  return out;
};

const OURS: [string, (args: Args) => TensorInfo][] = [
  [Conv2D, conv2dForward],
  [Conv2DBackpropFilter, conv2dBackpropFilter],
  [Conv2DBackpropInput, conv2dBackpropInput],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
  [DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [MaxPoolGrad, maxPoolGrad],
  [AvgPoolGrad, avgPoolGrad],
  [Sum, sum],
  [Mean, mean],
  [FusedBatchNorm, fusedBatchNorm],
  [Identity, identity],
  [BatchMatMul, batchMatMul],
];

/** Kernels of ours that hand some cases to the backend's own kernel. */
const FALLS_BACK = new Set<string>([Sum, Mean, Identity, BatchMatMul, Conv2D, FusedBatchNorm]);

/** The backend's own configs we replaced, to put back in unregisterWasmConvKernels() (and the fallbacks). */
const replaced = new Map<string, KernelConfig>();

/** The backend's own kernel for what ours does not cover (registered before ours replaced it). */
function backendKernel(name: string, args: Args): TensorInfo {
  return (replaced.get(name)!.kernelFunc as unknown as (args: Args) => TensorInfo)(args);
}
/** The kernel names registered by us right now. */
const ours = new Set<string>();

/**
 * Registers the kernels for backendName 'wasm' (idempotent). Returns '' on success or why the
 * kernels are unavailable (then nothing is registered and the wasm backend stays as shipped).
 * The forward Conv2D is ours where our FMA GEMM measured faster (useOurForward()); FusedConv2D
 * and every depthwise forward stay XNNPACK's.
 */
export function registerWasmConvKernels(): string {
  if (ours.size > 0) {
    return '';
  }
  if (!convKernelsAvailable()) {
    return convKernelsUnavailableReason();
  }
  for (const [kernelName, fn] of OURS) {
    const existing = getKernel(kernelName, 'wasm');
    if (FALLS_BACK.has(kernelName) && !existing) {
      continue; // these fall back to the backend's own kernel for the cases they do not take
    }
    if (existing) {
      replaced.set(kernelName, existing);
      unregisterKernel(kernelName, 'wasm');
    }
    registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as KernelFunc });
    ours.add(kernelName);
  }
  return '';
}

/** Restores the wasm backend's kernels as shipped (tests and the bench compare both). */
export function unregisterWasmConvKernels(): void {
  for (const kernelName of ours) {
    unregisterKernel(kernelName, 'wasm');
    const original = replaced.get(kernelName);
    if (original) {
      registerKernel(original);
    }
  }
  ours.clear();
  replaced.clear();
}

/** Names of the kernels registerWasmConvKernels() registers for 'wasm'. */
export const WASM_CONV_KERNEL_NAMES: readonly string[] = OURS.map(([n]) => n);
