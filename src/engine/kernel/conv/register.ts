/**
 * Convolution gradient kernels for the TF.js wasm backend.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.x has no Conv2DBackpropFilter,
 * DepthwiseConv2dNativeBackpropFilter or DepthwiseConv2dNativeBackpropInput kernel, so autodiff
 * of any CNN (tf.variableGrads, tfjs-layers `fit`) throws on it; and its Conv2DBackpropInput is a
 * scalar loop (≈ 2 GFLOP/s here, ten times slower than the XNNPACK forward pass). Registering
 * our SIMD kernels (./wasmConv.ts) under those names for backendName 'wasm' gives every TF.js
 * path CNN training on wasm. Reads inputs straight from the backend's heap and writes the result
 * into a tensor made by the backend (`makeOutput`), the way the backend's own kernels do.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  MaxPoolGrad,
  registerKernel,
  Sum,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convKernels, convKernelsUnavailableReason, type ConvGeometry, type ConvKernels } from './wasmConv';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
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

function floats(backend: WasmBackendLike, t: TensorInfo): Float32Array {
  const a = backend.typedArrayFromHeap(t);
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/** A float32 tensor of `shape` on the wasm heap holding `values` (copied: the kernels' memory is reused). */
function output(backend: WasmBackendLike, shape: number[], values: Float32Array): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  // After makeOutput: its malloc may have grown (and so replaced) the heap's ArrayBuffer.
  (backend.typedArrayFromHeap(out) as Float32Array).set(values);
  return out;
}

function requireNhwc(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on the wasm backend supports NHWC (channels-last) only, got ${dataFormat}: use channels-last layers.`);
  }
}

function kernels(): ConvKernels {
  const k = convKernels();
  if (!k) {
    throw new Error(`Convolution gradients on the wasm backend need the conv kernel: ${convKernelsUnavailableReason()}`);
  }
  return k;
}

/** What the engine passes a kernel; inputs are indexed by the names the kernel declares. */
type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap };

const conv2dBackpropFilter = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const a = attrs as unknown as { strides: Pair; pad: Pad; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  requireNhwc(Conv2DBackpropFilter, a.dataFormat);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const dw = kernels().conv2dFilterGrad(geometry(info), floats(b, x), floats(b, dy));
  return output(b, [...a.filterShape], dw);
};

const conv2dBackpropInput = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const a = attrs as unknown as { strides: Pair; pad: Pad; dataFormat?: string; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number] };
  requireNhwc(Conv2DBackpropInput, a.dataFormat);
  const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const dx = kernels().conv2dInputGrad(geometry(info), floats(b, dy), floats(b, filter));
  return output(b, [...a.inputShape], dx);
};

const depthwiseBackpropFilter = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { x, dy } = inputs;
  const a = attrs as unknown as { strides: Pair; dilations: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
  const dw = kernels().depthwiseFilterGrad(geometry(info), floats(b, x), floats(b, dy));
  return output(b, [...a.filterShape], dw);
};

const depthwiseBackpropInput = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, filter } = inputs;
  const a = attrs as unknown as { strides: Pair; dilations: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; inputShape: [number, number, number, number] };
  const info = backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
  const dx = kernels().depthwiseInputGrad(geometry(info), floats(b, dy), floats(b, filter));
  return output(b, [...a.inputShape], dx);
};

/** The backend's MaxPoolGrad is a scalar loop (≈ 95 ms per MNIST-convnet batch here, 40 % of a step). */
const maxPoolGrad = ({ inputs, backend, attrs }: Args): TensorInfo => {
  const b = backend as WasmBackendLike;
  const { dy, input } = inputs;
  const a = attrs as unknown as { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const dx = kernels().maxPoolGrad(geometry(info), floats(b, input), floats(b, dy));
  return output(b, [...input.shape], dx);
};

/**
 * Sum over every axis but the last (the bias gradient of a Conv2D/Dense layer): the backend
 * transposes first and then reduces (≈ 10 ms per convnet batch); a column sum needs one pass.
 * Every other reduction goes to the backend's own kernel.
 */
const sum = (args: Args): TensorInfo => {
  const b = args.backend as WasmBackendLike;
  const { x } = args.inputs;
  const a = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q);
  const allButLast = rank >= 2 && axes.length === rank - 1 && axes.every((ax, i) => ax === i);
  if (!allButLast || x.dtype !== 'float32') {
    return (replaced.get(Sum)!.kernelFunc as unknown as (args: Args) => TensorInfo)(args);
  }
  const n = x.shape[rank - 1];
  const out = kernels().sumRows(floats(b, x), util.sizeFromShape(x.shape) / Math.max(n, 1), n);
  return output(b, a.keepDims ? [...x.shape.slice(0, -1).map(() => 1), n] : [n], out);
};

const OURS: [string, (args: Args) => TensorInfo][] = [
  [Conv2DBackpropFilter, conv2dBackpropFilter],
  [Conv2DBackpropInput, conv2dBackpropInput],
  [DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
  [DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [MaxPoolGrad, maxPoolGrad],
  [Sum, sum],
];

/** The backend's own configs we replaced, to put back in unregisterWasmConvKernels() (and the fallbacks). */
const replaced = new Map<string, KernelConfig>();
/** The kernel names registered by us right now. */
const ours = new Set<string>();

/**
 * Registers the kernels for backendName 'wasm' (idempotent). Returns '' on success or why the
 * kernels are unavailable (then nothing is registered and the wasm backend stays as shipped).
 * The forward Conv2D/FusedConv2D stay XNNPACK's: measured side by side, our im2col GEMM was
 * no faster (slower for 1- and 3-channel inputs).
 */
export function registerWasmConvKernels(): string {
  if (ours.size > 0) {
    return '';
  }
  if (!convKernels()) {
    return convKernelsUnavailableReason();
  }
  for (const [kernelName, fn] of OURS) {
    const existing = getKernel(kernelName, 'wasm');
    if (kernelName === Sum && !existing) {
      continue; // our Sum falls back to the backend's own for every other reduction
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
