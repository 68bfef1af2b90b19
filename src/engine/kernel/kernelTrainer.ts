/**
 * Trainer on the purpose-built WASM SIMD kernel (src/engine/kernel/assembly/, compiled to
 * dist/kernel.wasm by scripts/build-kernel.mjs). Covers Dense MLPs with relu hidden layers and
 * a softmax output trained with sparse categorical cross-entropy and Adam; everything else
 * goes to the TF.js trainer (see createTrainer).
 *
 * Weights, Adam state, gradients, masks and batch buffers live in one shared wasm memory laid
 * out here once (grown only when a batch is larger than any before); a training step allocates
 * nothing. Kernels are stored row-major [in, outP] with outP = units rounded up to 4.
 *
 * With 2 threads (opt-in, see kernelThreads), a worker instance of the same module on the
 * same memory runs the second half of each batch into its own gradient block; the main
 * thread sums both in the Adam step. Hand-off is Atomics.wait/notify on a control
 * block in that memory: no messages and no copies per step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DenseLayer, MlpModel } from '../model/mlp';
import type { BatchResult, EvalResult, MlpTrainer } from '../train/trainer';
import type { Features } from '../data/dataset';
import {
  L_ACT, L_BIAS, L_COL_B, L_COL_POS, L_COL_START, L_COL_V, L_DZ, L_IN_DIM, L_NZ_CNT, L_NZ_IDX, L_NZ_VAL, L_OUT_P, L_UNITS, L_WEIGHTS,
  T_CLASSES, T_CORRECT, T_COUNT, T_DENOM, T_GRAD_DELTA, T_INPUT, T_INPUT_DIM, T_LABELS, T_LAYERS, T_LOSS_F64, T_NUM_LAYERS, T_STRIDE,
} from './assembly/layout';

/** Keras Adam defaults (the reference workflow compiles with `optimizer='adam'`). */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-7;

/** Rows per kernel call when predicting / evaluating. */
const EVAL_CHUNK = 1024;

/** Must equal MAX_PAGES in scripts/build-kernel.mjs (the module declares this maximum). */
const MAX_PAGES = 16384;
/** Batches smaller than this run on one thread (the hand-off would cost more than it saves). */
const MIN_SPLIT = 16;

interface KernelExports {
  heapBase(): number;
  /** Forward pass of a table's rows; returns the summed loss (with labels). */
  forwardPass(table: number, withLabels: number, withGrad: number): number;
  /** Forward + backward of a table's rows, gradients added to its gradient block. */
  trainPass(table: number): number;
  adam(w: number, m: number, v: number, g: number, g2: number, n: number, lrT: number, b1: number, b2: number, eps: number): void;
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

/**
 * Threads the kernel uses: MODEL_OPTIMIZER_KERNEL_THREADS=2 (and ≥ 2 cores) for the worker
 * split, else 1. One is the default: on the 2-core reference machine the split measured at
 * best ~5 % faster (each step moves the worker's 400 kB gradient block and the updated
 * weights between the cores' caches) and slower whenever anything else runs; one thread also
 * leaves a core to VS Code and gives bit-identical results run to run.
 */
export function kernelThreads(): number {
  return Number(process.env.MODEL_OPTIMIZER_KERNEL_THREADS) === 2 && availableParallelism() >= 2 ? 2 : 1;
}

interface LayerShape {
  inDim: number;
  units: number;
  outP: number;
  /** Float offsets inside the parameter block. */
  wOff: number;
  bOff: number;
  /** Byte offset of this layer's mask (kernel-sized, [in, outP]). */
  mask: number;
}

/** One thread's batch buffers (byte offsets), per layer. */
interface Region {
  nzIdx: number[];
  nzVal: number[];
  nzCnt: number[];
  act: number[];
  dz: number[];
  /** The non-zeros regrouped by input index, for the weight gradient. */
  colStart: number[];
  colPos: number[];
  colB: number[];
  colV: number[];
}

// Control block (i32 slots): sequence of the last job posted, sequence done, command, error.
const C_SEQ = 0;
const C_DONE = 1;
const C_CMD = 2;
const C_ERR = 3;
const CMD_TRAIN = 1;
const CMD_EXIT = 2;

/** The worker: a second instance on the same memory, running trainPass on its table when woken. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrl, table } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(memory.buffer, ctrl, 16);
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(c, ${C_SEQ}, seen);
  const seq = Atomics.load(c, ${C_SEQ});
  if (seq === seen) continue;
  seen = seq;
  if (Atomics.load(c, ${C_CMD}) === ${CMD_EXIT}) break;
  try {
    k.trainPass(table);
  } catch (err) {
    Atomics.store(c, ${C_ERR}, 1);
  }
  Atomics.store(c, ${C_DONE}, seq);
  Atomics.notify(c, ${C_DONE});
}
`;

const workerCleanup = new FinalizationRegistry<Worker>((w) => void w.terminate());

export class KernelTrainer implements MlpTrainer {
  readonly name = 'simd-kernel';
  private readonly k: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly layers: LayerShape[];
  private readonly meta: Pick<DenseLayer, 'name' | 'activation'>[];
  private readonly inputDim: number;
  private readonly classes: number;
  /** Floats in the parameter block (all kernels and biases, padded). */
  private readonly paramFloats: number;
  private readonly ctrl: number;
  private readonly tableA: number;
  private readonly tableB: number;
  private readonly params: number;
  private readonly mAdam: number;
  private readonly vAdam: number;
  private readonly grads: number;
  private readonly grads2: number;
  private readonly batchBase: number;
  private readonly regionA: Region;
  private readonly regionB: Region;
  private worker: Worker | null = null;
  private seq = 0;
  private input = 0;
  private labels = 0;
  private capacity = 0;
  private masked: boolean[];
  private lr: number;
  private step = 0;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private i32!: Int32Array;
  private u8!: Uint8Array;

  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory, model: MlpModel, lr: number) {
    this.k = instance.exports as unknown as KernelExports;
    this.memory = memory;
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
    this.ctrl = align16(this.k.heapBase());
    const tableBytes = align16((T_LAYERS + T_STRIDE * shapes.length) * 4);
    this.tableA = this.ctrl + 64;
    this.tableB = this.tableA + tableBytes;
    this.params = this.tableB + tableBytes;
    this.mAdam = this.params + floats * 4;
    this.vAdam = this.mAdam + floats * 4;
    this.grads = this.vAdam + floats * 4;
    this.grads2 = this.grads + floats * 4;
    let at = this.grads2 + floats * 4;
    this.layers = shapes.map((s) => {
      const mask = at;
      at += s.inDim * s.outP * 4;
      return { ...s, mask };
    });
    this.batchBase = align16(at);
    const region = (): Region => ({ nzIdx: [], nzVal: [], nzCnt: [], act: [], dz: [], colStart: [], colPos: [], colB: [], colV: [] });
    this.regionA = region();
    this.regionB = region();
    this.masked = this.layers.map(() => false);
    this.ensureCapacity(EVAL_CHUNK);
    this.setModel(model, false);
  }

  /** Threads used per training batch. */
  get threads(): number {
    return this.worker ? 2 : 1;
  }

  /** Starts the worker thread (its own instance of the module on this memory). */
  async startWorker(module: WebAssembly.Module): Promise<void> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory: this.memory, ctrl: this.ctrl, table: this.tableB },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`kernel worker exited with code ${code}`)));
    });
    worker.removeAllListeners();
    worker.on('error', () => undefined);
    worker.unref();
    this.worker = worker;
    workerCleanup.register(this, worker, this);
  }

  /** Lays out batch buffers for `count` rows per thread, growing memory if needed (never per step). */
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
    for (const r of [this.regionA, this.regionB]) {
      this.layers.forEach((s, l) => {
        r.nzIdx[l] = at;
        at += cap * s.inDim * 4;
        r.nzVal[l] = at;
        at += cap * s.inDim * 4;
        r.nzCnt[l] = at;
        at = align16(at + cap * 4);
        r.act[l] = at;
        at += cap * s.outP * 4;
        r.dz[l] = at;
        at += cap * s.outP * 4;
        r.colStart[l] = at;
        at = align16(at + (s.inDim + 1) * 4);
        r.colPos[l] = at;
        at = align16(at + s.inDim * 4);
        r.colB[l] = at;
        at += cap * s.inDim * 4;
        r.colV[l] = at;
        at += cap * s.inDim * 4;
      });
    }
    const needPages = Math.ceil(at / 65536);
    const havePages = this.memory.buffer.byteLength / 65536;
    if (needPages > MAX_PAGES) {
      throw new Error(`batch of ${count} rows needs more than ${MAX_PAGES / 16} MiB of kernel memory`);
    }
    if (needPages > havePages) {
      this.memory.grow(needPages - havePages);
    }
    const buf = this.memory.buffer;
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.capacity = cap;
  }

  setMasks(masks: (Float32Array | null)[]): void {
    if (masks.length !== this.layers.length) {
      throw new Error(`setMasks: expected ${this.layers.length} masks, got ${masks.length}`);
    }
    this.layers.forEach((s, l) => {
      const mask = masks[l];
      if (mask && mask.length !== s.inDim * s.units) {
        throw new Error(`setMasks: mask ${l} has ${mask.length} values, expected ${s.inDim * s.units}`);
      }
    });
    this.layers.forEach((s, l) => {
      const mask = masks[l];
      this.masked[l] = mask !== null;
      if (mask) {
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

  trainBatch(images: Features, labels: ArrayLike<number>, count: number): BatchResult {
    if (count <= 0) {
      return { loss: 0, correct: 0 };
    }
    this.applyMasks();
    this.load(images, labels, 0, count);
    let loss: number;
    let correct: number;
    if (this.worker && count >= MIN_SPLIT) {
      const half = Math.ceil(count / 2);
      this.writeTable(this.tableA, this.regionA, 0, half, count, this.grads);
      this.writeTable(this.tableB, this.regionB, half, count - half, count, this.grads2);
      const seq = ++this.seq;
      Atomics.store(this.i32, this.ctrl / 4 + C_CMD, CMD_TRAIN);
      Atomics.store(this.i32, this.ctrl / 4 + C_SEQ, seq);
      Atomics.notify(this.i32, this.ctrl / 4 + C_SEQ);
      loss = this.k.trainPass(this.tableA);
      correct = this.i32[this.tableA / 4 + T_CORRECT];
      this.waitForWorker(seq);
      loss += this.f64[(this.tableB + T_LOSS_F64 * 4) / 8];
      correct += this.i32[this.tableB / 4 + T_CORRECT];
    } else {
      this.writeTable(this.tableA, this.regionA, 0, count, count, this.grads);
      loss = this.k.trainPass(this.tableA);
      correct = this.i32[this.tableA / 4 + T_CORRECT];
    }
    this.step++;
    const t = this.step;
    const lrT = (this.lr * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
    this.k.adam(this.params, this.mAdam, this.vAdam, this.grads, this.worker ? this.grads2 : 0, this.paramFloats, lrT, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON);
    return { loss: loss / count, correct };
  }

  private waitForWorker(seq: number): void {
    const done = this.ctrl / 4 + C_DONE;
    const deadline = performance.now() + 120_000;
    for (;;) {
      const d = Atomics.load(this.i32, done);
      if (d === seq) {
        break;
      }
      if (performance.now() > deadline) {
        throw new Error('the kernel worker thread did not finish its half of the batch within 120 s');
      }
      Atomics.wait(this.i32, done, d, 1000);
    }
    if (Atomics.load(this.i32, this.ctrl / 4 + C_ERR) !== 0) {
      throw new Error('the kernel worker thread failed on its half of the batch');
    }
  }

  /**
   * Loss and gradients of the mean loss for one batch, without an optimizer step (masks are
   * applied first, as in trainBatch). One thread. For tests and diagnostics.
   */
  gradients(images: Features, labels: ArrayLike<number>, count: number): { loss: number; kernels: Float32Array[]; biases: Float32Array[] } {
    this.applyMasks();
    this.load(images, labels, 0, count);
    this.writeTable(this.tableA, this.regionA, 0, count, count, this.grads);
    const loss = this.k.trainPass(this.tableA);
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

  predict(images: Features, count: number): Float32Array {
    const out = new Float32Array(count * this.classes);
    const last = this.layers[this.layers.length - 1];
    const act = this.regionA.act[this.layers.length - 1] / 4;
    for (let start = 0; start < count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, count - start);
      this.load(images, null, start, n);
      this.writeTable(this.tableA, this.regionA, 0, n, n, this.grads);
      this.k.forwardPass(this.tableA, 0, 0);
      if (last.outP === this.classes) {
        out.set(this.f32.subarray(act, act + n * this.classes), start * this.classes);
      } else {
        for (let b = 0; b < n; b++) {
          const row = act + b * last.outP;
          out.set(this.f32.subarray(row, row + this.classes), (start + b) * this.classes);
        }
      }
    }
    return out;
  }

  evaluate(images: Features, labels: ArrayLike<number>, count: number): EvalResult {
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, count - start);
      this.load(images, labels, start, n);
      this.writeTable(this.tableA, this.regionA, 0, n, n, this.grads);
      lossSum += this.k.forwardPass(this.tableA, 1, 0);
      correct += this.i32[this.tableA / 4 + T_CORRECT];
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
    model.layers.forEach((layer, l) => {
      const s = this.layers[l];
      if (layer.inputDim !== s.inDim || layer.units !== s.units || layer.kernel.length !== s.inDim * s.units || layer.bias.length !== s.units) {
        throw new Error(`setModel: layer ${layer.name} shape differs from the trainer’s`);
      }
    });
    this.layers.forEach((s, l) => {
      const layer = model.layers[l];
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
    // m, v and both gradient blocks.
    this.f32.fill(0, this.mAdam / 4, this.grads2 / 4 + this.paramFloats);
  }

  dispose(): void {
    const w = this.worker;
    if (w) {
      this.worker = null;
      workerCleanup.unregister(this);
      Atomics.store(this.i32, this.ctrl / 4 + C_CMD, CMD_EXIT);
      Atomics.store(this.i32, this.ctrl / 4 + C_SEQ, ++this.seq);
      Atomics.notify(this.i32, this.ctrl / 4 + C_SEQ);
      void w.terminate();
    }
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

  /** Copies rows [start, start+count) of images (and labels) into wasm memory. */
  private load(images: Features, labels: ArrayLike<number> | null, start: number, count: number): void {
    if (!(images instanceof Uint8Array)) {
      // createTrainer picks the TF.js loop for float data; reaching here is a programming error.
      throw new Error('the SIMD kernel takes uint8 samples (scaled by 1/255) only; float32 data trains with the TF.js loop');
    }
    this.ensureCapacity(count);
    const d = this.inputDim;
    if (images.length < (start + count) * d) {
      throw new Error(`expected ${count} images of ${d} bytes, got ${images.length - start * d} bytes`);
    }
    this.u8.set(images.subarray(start * d, (start + count) * d), this.input);
    if (labels) {
      if (labels.length < start + count) {
        throw new Error(`expected ${count} labels, got ${labels.length - start}`);
      }
      for (let b = 0; b < count; b++) {
        const y = labels[start + b];
        if (!(y >= 0 && y < this.classes)) {
          throw new Error(`label ${y} out of range for ${this.classes} classes`);
        }
        // One byte per label in wasm memory: kernelSupports keeps the class count ≤ 256.
        this.u8[this.labels + b] = y;
      }
    }
  }

  /** Fills a layout table for rows [first, first+count) of the loaded batch. */
  private writeTable(table: number, r: Region, first: number, count: number, denom: number, gradBlock: number): void {
    const t = table / 4;
    const i32 = this.i32;
    i32[t + T_NUM_LAYERS] = this.layers.length;
    i32[t + T_INPUT_DIM] = this.inputDim;
    i32[t + T_CLASSES] = this.classes;
    i32[t + T_INPUT] = this.input + first * this.inputDim;
    i32[t + T_LABELS] = this.labels + first;
    i32[t + T_COUNT] = count;
    i32[t + T_DENOM] = denom;
    i32[t + T_GRAD_DELTA] = gradBlock - this.params;
    this.layers.forEach((s, l) => {
      const o = t + T_LAYERS + l * T_STRIDE;
      i32[o + L_IN_DIM] = s.inDim;
      i32[o + L_UNITS] = s.units;
      i32[o + L_OUT_P] = s.outP;
      i32[o + L_WEIGHTS] = this.params + s.wOff * 4;
      i32[o + L_BIAS] = this.params + s.bOff * 4;
      i32[o + L_NZ_IDX] = r.nzIdx[l];
      i32[o + L_NZ_VAL] = r.nzVal[l];
      i32[o + L_NZ_CNT] = r.nzCnt[l];
      i32[o + L_ACT] = r.act[l];
      i32[o + L_DZ] = r.dz[l];
      i32[o + L_COL_START] = r.colStart[l];
      i32[o + L_COL_POS] = r.colPos[l];
      i32[o + L_COL_B] = r.colB[l];
      i32[o + L_COL_V] = r.colV[l];
    });
  }
}

/**
 * A kernel trainer initialised with `model`'s weights and a fresh Adam (learning rate `lr`),
 * on kernelThreads() threads. `seed` is accepted for the shared createTrainer signature: the
 * kernel itself is deterministic.
 */
export async function createKernelTrainer(model: MlpModel, lr: number, seed: number, threads = kernelThreads()): Promise<KernelTrainer> {
  void seed;
  if (!kernelSupports(model)) {
    throw new Error(`The SIMD kernel cannot train this model${kernelUnavailableReason() ? `: ${kernelUnavailableReason()}` : ''}`);
  }
  const mod = kernelModule();
  if (!mod) {
    throw new Error(kernelUnavailableReason());
  }
  const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(mod, { env: { memory } });
  const trainer = new KernelTrainer(instance, memory, model, lr);
  if (threads > 1) {
    try {
      await trainer.startWorker(mod);
    } catch {
      // No worker threads here (or it failed to start): one thread is still correct.
    }
  }
  return trainer;
}
