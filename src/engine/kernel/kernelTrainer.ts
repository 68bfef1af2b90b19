/**
 * Trainer on the purpose-built WASM SIMD kernel (src/engine/kernel/assembly/, compiled to
 * dist/kernel.wasm by scripts/build-kernel.mjs). Covers Dense MLPs with relu hidden layers and
 * a softmax output trained with sparse categorical cross-entropy and Adam; everything else
 * goes to the TF.js trainer (see createTrainer).
 *
 * Weights, Adam state, gradients, masks and batch buffers live in one wasm memory laid out
 * here once (grown only when a batch is larger than any before); a training step allocates
 * nothing. Kernels are stored row-major [in, outP] with outP = units rounded up to 4.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DenseLayer, MlpModel } from '../model/mlp';
import type { BatchResult, EvalResult, Trainer } from '../train/trainer';

/** Keras Adam defaults (the reference workflow compiles with `optimizer='adam'`). */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-7;

/** Rows per kernel call when predicting / evaluating. */
const EVAL_CHUNK = 1024;

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  sparsifyU8(src: number, count: number, dim: number, idx: number, val: number, cnt: number): void;
  sparsifyF32(src: number, stride: number, count: number, dim: number, idx: number, val: number, cnt: number): void;
  forwardSparse(
    idx: number, val: number, cnt: number, dim: number, count: number,
    w: number, bias: number, out: number, outP: number, relu: number,
  ): void;
  softmaxLoss(z: number, outP: number, classes: number, count: number, labels: number, dz: number): number;
  getLastCorrect(): number;
  weightGrad(
    idx: number, val: number, cnt: number, dim: number, count: number,
    dz: number, outP: number, gw: number, gb: number,
  ): void;
  backwardSparse(
    idx: number, cnt: number, dim: number, count: number,
    dz: number, outP: number, w: number, dzPrev: number, prevOutP: number,
  ): void;
  adam(w: number, m: number, v: number, g: number, n: number, lrT: number, b1: number, b2: number, eps: number): void;
  applyMask(w: number, mask: number, n: number): void;
}

// ---------------------------------------------------------------------------------------
// Locating and compiling the wasm
// ---------------------------------------------------------------------------------------

/** Where dist/kernel.wasm may be: next to the bundle (dist/*.js, the .vsix), or from src/ under tsx. */
export function kernelWasmCandidates(): string[] {
  const out: string[] = [];
  const env = process.env.MODEL_OPTIMIZER_KERNEL_WASM;
  if (env) {
    out.push(env);
  }
  if (typeof __dirname === 'string') {
    out.push(join(__dirname, 'kernel.wasm'));
    out.push(join(__dirname, '..', '..', '..', 'dist', 'kernel.wasm'));
  }
  out.push(join(process.cwd(), 'dist', 'kernel.wasm'));
  return out;
}

let cachedModule: WebAssembly.Module | null | undefined;
let cachedReason = '';

/** The compiled kernel, or null (with the reason in kernelUnavailableReason()) when missing or unsupported. */
function kernelModule(): WebAssembly.Module | null {
  if (cachedModule !== undefined) {
    return cachedModule;
  }
  const file = kernelWasmCandidates().find((p) => existsSync(p));
  if (!file) {
    cachedReason = 'dist/kernel.wasm not found (run `npm run build`)';
    cachedModule = null;
    return null;
  }
  try {
    cachedModule = new WebAssembly.Module(readFileSync(file));
  } catch (err) {
    // E.g. a runtime without WebAssembly SIMD.
    cachedReason = `kernel.wasm did not compile: ${(err as Error).message}`;
    cachedModule = null;
  }
  return cachedModule;
}

/** Why the kernel is not available ('' when it is). */
export function kernelUnavailableReason(): string {
  kernelModule();
  return cachedReason;
}

/** True when this model can train on the kernel: Dense relu… → softmax, and the wasm loads. */
export function kernelSupports(model: MlpModel): boolean {
  const n = model.layers.length;
  if (n === 0) {
    return false;
  }
  let inDim = model.inputDim;
  for (let l = 0; l < n; l++) {
    const layer = model.layers[l];
    const wanted = l === n - 1 ? 'softmax' : 'relu';
    if (
      layer.activation !== wanted ||
      layer.inputDim !== inDim ||
      layer.units < 1 ||
      layer.kernel.length !== layer.inputDim * layer.units ||
      layer.bias.length !== layer.units
    ) {
      return false;
    }
    inDim = layer.units;
  }
  // Labels are bytes.
  if (model.layers[n - 1].units > 256) {
    return false;
  }
  return kernelModule() !== null;
}

// ---------------------------------------------------------------------------------------
// Memory layout
// ---------------------------------------------------------------------------------------

const align16 = (n: number): number => (n + 15) & ~15;
const pad4 = (n: number): number => (n + 3) & ~3;

interface LayerSlots {
  inDim: number;
  units: number;
  outP: number;
  /** Float offsets inside the parameter block. */
  wOff: number;
  bOff: number;
  /** Byte offset of this layer's mask (kernel-sized, [in, outP]). */
  mask: number;
  // Batch buffers (byte offsets), valid for the current capacity.
  nzIdx: number;
  nzVal: number;
  nzCnt: number;
  act: number;
  dz: number;
}

export class KernelTrainer implements Trainer {
  readonly name = 'simd-kernel';
  private readonly k: KernelExports;
  private readonly layers: LayerSlots[];
  private readonly meta: Pick<DenseLayer, 'name' | 'activation'>[];
  private readonly inputDim: number;
  private readonly classes: number;
  /** Floats in the parameter block (all kernels and biases, padded). */
  private readonly paramFloats: number;
  private readonly params: number;
  private readonly mAdam: number;
  private readonly vAdam: number;
  private readonly grads: number;
  private readonly batchBase: number;
  private input = 0;
  private labels = 0;
  private capacity = 0;
  private masked: boolean[];
  private lr: number;
  private step = 0;
  private f32!: Float32Array;
  private u8!: Uint8Array;

  constructor(instance: WebAssembly.Instance, model: MlpModel, lr: number) {
    this.k = instance.exports as unknown as KernelExports;
    this.lr = lr;
    this.inputDim = model.inputDim;
    this.meta = model.layers.map((l) => ({ name: l.name, activation: l.activation }));
    this.classes = model.layers[model.layers.length - 1].units;
    let floats = 0;
    const shapes = model.layers.map((l) => {
      const outP = pad4(l.units);
      const wOff = floats;
      floats += l.inputDim * outP;
      const bOff = floats;
      floats += outP;
      return { inDim: l.inputDim, units: l.units, outP, wOff, bOff };
    });
    this.paramFloats = floats;
    this.params = align16(this.k.heapBase());
    this.mAdam = this.params + floats * 4;
    this.vAdam = this.mAdam + floats * 4;
    this.grads = this.vAdam + floats * 4;
    let at = this.grads + floats * 4;
    this.layers = shapes.map((s) => {
      const mask = at;
      at += s.inDim * s.outP * 4;
      return { ...s, mask, nzIdx: 0, nzVal: 0, nzCnt: 0, act: 0, dz: 0 };
    });
    this.batchBase = align16(at);
    this.masked = this.layers.map(() => false);
    this.ensureCapacity(EVAL_CHUNK);
    this.setModel(model, false);
  }

  /** Lays out batch buffers for `count` rows, growing memory if needed (never per step). */
  private ensureCapacity(count: number): void {
    if (count <= this.capacity) {
      return;
    }
    const cap = Math.max(count, this.capacity);
    let at = this.batchBase;
    this.input = at;
    at = align16(at + cap * this.inputDim);
    this.labels = at;
    at = align16(at + cap);
    for (const s of this.layers) {
      s.nzIdx = at;
      at += cap * s.inDim * 4;
      s.nzVal = at;
      at += cap * s.inDim * 4;
      s.nzCnt = at;
      at = align16(at + cap * 4);
      s.act = at;
      at += cap * s.outP * 4;
      s.dz = at;
      at += cap * s.outP * 4;
    }
    const mem = this.k.memory;
    const needPages = Math.ceil(at / 65536);
    const havePages = mem.buffer.byteLength / 65536;
    if (needPages > havePages) {
      mem.grow(needPages - havePages);
    }
    this.f32 = new Float32Array(mem.buffer);
    this.u8 = new Uint8Array(mem.buffer);
    this.capacity = cap;
  }

  setMasks(masks: (Float32Array | null)[]): void {
    if (masks.length !== this.layers.length) {
      throw new Error(`setMasks: expected ${this.layers.length} masks, got ${masks.length}`);
    }
    this.layers.forEach((s, l) => {
      const mask = masks[l];
      this.masked[l] = mask !== null;
      if (mask) {
        if (mask.length !== s.inDim * s.units) {
          throw new Error(`setMasks: mask ${l} has ${mask.length} values, expected ${s.inDim * s.units}`);
        }
        this.writePadded(s.mask / 4, mask, s.inDim, s.units, s.outP);
      }
    });
    this.applyMasks();
  }

  applyMasks(): void {
    this.layers.forEach((s, l) => {
      if (this.masked[l]) {
        this.k.applyMask(this.params + s.wOff * 4, s.mask, s.inDim * s.outP);
      }
    });
  }

  trainBatch(images: Uint8Array, labels: Uint8Array, count: number): BatchResult {
    if (count <= 0) {
      return { loss: 0, correct: 0 };
    }
    this.ensureCapacity(count);
    this.applyMasks();
    this.load(images, labels, 0, count);
    const loss = this.forward(count, this.labels, this.layers[this.layers.length - 1].dz);
    const correct = this.k.getLastCorrect();
    this.backward(count);
    this.step++;
    const t = this.step;
    const lrT = (this.lr * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
    this.k.adam(this.params, this.mAdam, this.vAdam, this.grads, this.paramFloats, lrT, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON);
    return { loss: loss / count, correct };
  }

  /**
   * Loss and gradients of the mean loss for one batch, without an optimizer step (masks are
   * applied first, as in trainBatch). For tests and diagnostics.
   */
  gradients(images: Uint8Array, labels: Uint8Array, count: number): { loss: number; kernels: Float32Array[]; biases: Float32Array[] } {
    this.ensureCapacity(count);
    this.applyMasks();
    this.load(images, labels, 0, count);
    const loss = this.forward(count, this.labels, this.layers[this.layers.length - 1].dz);
    this.backward(count);
    const g = this.grads / 4;
    const kernels: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (const s of this.layers) {
      const kernel = new Float32Array(s.inDim * s.units);
      for (let i = 0; i < s.inDim; i++) {
        const row = g + s.wOff + i * s.outP;
        kernel.set(this.f32.subarray(row, row + s.units), i * s.units);
      }
      kernels.push(kernel);
      biases.push(this.f32.slice(g + s.bOff, g + s.bOff + s.units));
    }
    this.f32.fill(0, g, g + this.paramFloats);
    return { loss: loss / count, kernels, biases };
  }

  predict(images: Uint8Array, count: number): Float32Array {
    const out = new Float32Array(count * this.classes);
    const last = this.layers[this.layers.length - 1];
    for (let start = 0; start < count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, count - start);
      this.load(images, null, start, n);
      this.forward(n, 0, 0);
      const base = last.act / 4;
      for (let b = 0; b < n; b++) {
        const row = base + b * last.outP;
        out.set(this.f32.subarray(row, row + this.classes), (start + b) * this.classes);
      }
    }
    return out;
  }

  evaluate(images: Uint8Array, labels: Uint8Array, count: number): EvalResult {
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, count - start);
      this.load(images, labels, start, n);
      lossSum += this.forward(n, this.labels, 0);
      correct += this.k.getLastCorrect();
    }
    return count > 0 ? { loss: lossSum / count, accuracy: correct / count } : { loss: 0, accuracy: 0 };
  }

  getModel(name: string): MlpModel {
    return {
      name,
      inputDim: this.inputDim,
      layers: this.layers.map((s, l) => {
        const kernel = new Float32Array(s.inDim * s.units);
        const base = this.params / 4 + s.wOff;
        for (let i = 0; i < s.inDim; i++) {
          kernel.set(this.f32.subarray(base + i * s.outP, base + i * s.outP + s.units), i * s.units);
        }
        const b = this.params / 4 + s.bOff;
        return {
          name: this.meta[l].name,
          inputDim: s.inDim,
          units: s.units,
          activation: this.meta[l].activation,
          kernel,
          bias: this.f32.slice(b, b + s.units),
        };
      }),
    };
  }

  setModel(model: MlpModel, keepOptimizer = false): void {
    if (model.inputDim !== this.inputDim || model.layers.length !== this.layers.length) {
      throw new Error('setModel: the model shape differs from the trainer’s');
    }
    this.layers.forEach((s, l) => {
      const layer = model.layers[l];
      if (layer.inputDim !== s.inDim || layer.units !== s.units) {
        throw new Error(`setModel: layer ${layer.name} shape differs from the trainer’s`);
      }
      this.writePadded(this.params / 4 + s.wOff, layer.kernel, s.inDim, s.units, s.outP);
      this.f32.fill(0, this.params / 4 + s.bOff, this.params / 4 + s.bOff + s.outP);
      this.f32.set(layer.bias, this.params / 4 + s.bOff);
    });
    if (!keepOptimizer) {
      this.resetOptimizer(this.lr);
    }
  }

  resetOptimizer(learningRate: number): void {
    this.lr = learningRate;
    this.step = 0;
    this.f32.fill(0, this.mAdam / 4, this.grads / 4 + this.paramFloats);
  }

  dispose(): void {
    // The instance and its memory are garbage-collected with this object.
  }

  /** Writes [rows, cols] into [rows, colsP] at float offset `at`, padding with zeros. */
  private writePadded(at: number, src: Float32Array, rows: number, cols: number, colsP: number): void {
    if (cols === colsP) {
      this.f32.set(src, at);
      return;
    }
    this.f32.fill(0, at, at + rows * colsP);
    for (let i = 0; i < rows; i++) {
      this.f32.set(src.subarray(i * cols, (i + 1) * cols), at + i * colsP);
    }
  }

  /** Copies rows [start, start+count) of images (and labels) into wasm memory, builds the input non-zero lists. */
  private load(images: Uint8Array, labels: Uint8Array | null, start: number, count: number): void {
    this.ensureCapacity(count);
    const d = this.inputDim;
    if (images.length < (start + count) * d) {
      throw new Error(`expected ${count} images of ${d} bytes, got ${images.length - start * d} bytes`);
    }
    this.u8.set(images.subarray(start * d, (start + count) * d), this.input);
    if (labels) {
      const ls = labels.subarray(start, start + count);
      for (let b = 0; b < count; b++) {
        if (ls[b] >= this.classes) {
          throw new Error(`label ${ls[b]} out of range for ${this.classes} classes`);
        }
      }
      this.u8.set(ls, this.labels);
    }
    const s0 = this.layers[0];
    this.k.sparsifyU8(this.input, count, d, s0.nzIdx, s0.nzVal, s0.nzCnt);
  }

  /** Forward pass of loaded rows; returns the summed loss (labels != 0). Softmax left in the last act. */
  private forward(count: number, labels: number, dz: number): number {
    const n = this.layers.length;
    for (let l = 0; l < n; l++) {
      const s = this.layers[l];
      const relu = l < n - 1;
      this.k.forwardSparse(s.nzIdx, s.nzVal, s.nzCnt, s.inDim, count, this.params + s.wOff * 4, this.params + s.bOff * 4, s.act, s.outP, relu ? 1 : 0);
      if (relu) {
        const next = this.layers[l + 1];
        this.k.sparsifyF32(s.act, s.outP, count, s.units, next.nzIdx, next.nzVal, next.nzCnt);
      }
    }
    const last = this.layers[n - 1];
    return this.k.softmaxLoss(last.act, last.outP, this.classes, count, labels, dz);
  }

  /** Gradients of the mean loss into the gradient block (zeroed by the previous Adam step). */
  private backward(count: number): void {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const s = this.layers[l];
      this.k.weightGrad(s.nzIdx, s.nzVal, s.nzCnt, s.inDim, count, s.dz, s.outP, this.grads + s.wOff * 4, this.grads + s.bOff * 4);
      if (l > 0) {
        const prev = this.layers[l - 1];
        this.k.backwardSparse(s.nzIdx, s.nzCnt, s.inDim, count, s.dz, s.outP, this.params + s.wOff * 4, prev.dz, prev.outP);
      }
    }
  }
}

/**
 * A kernel trainer initialised with `model`'s weights and a fresh Adam (learning rate `lr`).
 * `seed` is accepted for the shared createTrainer signature: the kernel itself is deterministic.
 */
export async function createKernelTrainer(model: MlpModel, lr: number, seed: number): Promise<KernelTrainer> {
  void seed;
  if (!kernelSupports(model)) {
    throw new Error(`The SIMD kernel cannot train this model${kernelUnavailableReason() ? `: ${kernelUnavailableReason()}` : ''}`);
  }
  const mod = kernelModule();
  if (!mod) {
    throw new Error(kernelUnavailableReason());
  }
  const instance = await WebAssembly.instantiate(mod, {});
  return new KernelTrainer(instance, model, lr);
}
