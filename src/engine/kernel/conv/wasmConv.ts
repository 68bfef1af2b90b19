/**
 * Loads dist/conv-kernel.wasm (the AssemblyScript SIMD convolution kernels, see
 * assembly/index.ts) and runs its convolutions on plain Float32Arrays: the module owns a
 * growable memory; each call copies its operands in, runs, and hands back a view of the result
 * (valid until the next call). Used by the TF.js wasm-backend kernels in ./register.ts and by
 * the bench for per-kernel GFLOP/s.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** NHWC geometry of one 2-D convolution (TF.js' Conv2DInfo, reduced to what the kernels read). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

interface ConvExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  setGeometry(h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number): void;
  gemm(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  im2col(x: number, m0: number, m1: number, col: number): void;
  col2imAdd(dcol: number, m0: number, m1: number, dx: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, batch: number, cm: number): void;
  depthwiseInputGrad(dy: number, w: number, dx: number, batch: number, cm: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, batch: number): void;
  sumRows(x: number, rows: number, n: number, out: number, tmp: number): void;
}

/** Bytes of im2col rows per GEMM chunk: small enough to stay in L2 next to the operands. */
const CHUNK_BYTES = 256 * 1024;

/** Where dist/conv-kernel.wasm may be: next to the bundle (dist/*.js, the .vsix), or from src/ under tsx. */
function candidates(): string[] {
  const out: string[] = [];
  if (process.env.MODEL_OPTIMIZER_CONV_WASM) {
    out.push(process.env.MODEL_OPTIMIZER_CONV_WASM);
  }
  if (typeof __dirname === 'string') {
    out.push(join(__dirname, 'conv-kernel.wasm'));
    out.push(join(__dirname, '..', '..', '..', '..', 'dist', 'conv-kernel.wasm'));
  }
  out.push(join(process.cwd(), 'dist', 'conv-kernel.wasm'));
  return out;
}

let instance: ConvKernels | null | undefined;
let unavailable = '';

/** The loaded kernels, or null (reason in convKernelsUnavailableReason()) when the wasm is missing or does not compile. */
export function convKernels(): ConvKernels | null {
  if (instance !== undefined) {
    return instance;
  }
  const file = candidates().find((p) => existsSync(p));
  if (!file) {
    unavailable = 'dist/conv-kernel.wasm not found (run `npm run build`)';
    instance = null;
    return null;
  }
  try {
    const mod = new WebAssembly.Module(readFileSync(file));
    const exports = new WebAssembly.Instance(mod, {}).exports as unknown as ConvExports;
    instance = new ConvKernels(exports);
  } catch (err) {
    // E.g. a runtime without WebAssembly SIMD.
    unavailable = `conv-kernel.wasm did not load: ${(err as Error).message}`;
    instance = null;
  }
  return instance;
}

export function convKernelsUnavailableReason(): string {
  convKernels();
  return unavailable;
}

export class ConvKernels {
  private top = 0;
  private readonly base: number;

  constructor(private readonly k: ConvExports) {
    this.base = (k.heapBase() + 15) & ~15;
  }

  // ---- scratch memory: a bump allocator reset at the start of every call ----------------

  private reset(): void {
    this.top = this.base;
  }

  /** Reserves `floats` floats (16-byte aligned), growing the memory when needed; returns the byte offset. */
  private alloc(floats: number): number {
    const at = this.top;
    this.top = (at + floats * 4 + 15) & ~15;
    const need = this.top - this.k.memory.buffer.byteLength;
    if (need > 0) {
      this.k.memory.grow(Math.ceil(need / 65536));
    }
    return at;
  }

  private f32(at: number, floats: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, at, floats);
  }

  private put(src: Float32Array): number {
    const at = this.alloc(src.length);
    this.f32(at, src.length).set(src);
    return at;
  }

  private zeros(floats: number): number {
    const at = this.alloc(floats);
    this.f32(at, floats).fill(0);
    return at;
  }

  private setGeometry(g: ConvGeometry): void {
    this.k.setGeometry(g.inH, g.inW, g.inC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft);
  }

  /** Rows per chunk when each row holds `floats` floats of im2col and operand data. */
  private static chunkRows(floats: number, rows: number): number {
    return Math.max(4, Math.min(rows, Math.floor(CHUNK_BYTES / (4 * floats))));
  }

  // ---- regular convolution --------------------------------------------------------------

  /** dW = Σ colᵀ · dy: x [B, H, W, CI], dy [B, OH, OW, CO] → [KH, KW, CI, CO]. */
  conv2dFilterGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
    this.reset();
    this.setGeometry(g);
    const K = g.kH * g.kW * g.inC;
    const M = g.batch * g.outH * g.outW;
    const xp = this.put(x);
    const dyp = this.put(dy);
    const dw = this.zeros(K * g.outC);
    const rows = ConvKernels.chunkRows(K + g.outC, M);
    const col = this.alloc(rows * K);
    for (let m0 = 0; m0 < M; m0 += rows) {
      const m1 = Math.min(M, m0 + rows);
      this.k.im2col(xp, m0, m1, col);
      // A = colᵀ: element (k, m) at col[m·K + k].
      this.k.gemm(K, g.outC, m1 - m0, col, 1, K, dyp + m0 * g.outC * 4, g.outC, dw, g.outC, 1);
    }
    return this.f32(dw, K * g.outC);
  }

  /** dx = col2im(dy · Wᵀ): dy [B, OH, OW, CO], w [KH, KW, CI, CO] → [B, H, W, CI]. */
  conv2dInputGrad(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
    this.reset();
    this.setGeometry(g);
    const K = g.kH * g.kW * g.inC;
    const M = g.batch * g.outH * g.outW;
    const dyp = this.put(dy);
    const wp = this.put(w);
    const wt = this.alloc(K * g.outC);
    this.k.transpose(wp, K, g.outC, wt);
    const dxN = g.batch * g.inH * g.inW * g.inC;
    const dx = this.zeros(dxN);
    const rows = ConvKernels.chunkRows(K + g.outC, M);
    const dcol = this.alloc(rows * K);
    for (let m0 = 0; m0 < M; m0 += rows) {
      const m1 = Math.min(M, m0 + rows);
      this.k.gemm(m1 - m0, K, g.outC, dyp + m0 * g.outC * 4, g.outC, 1, wt, K, dcol, K, 0);
      this.k.col2imAdd(dcol, m0, m1, dx);
    }
    return this.f32(dx, dxN);
  }

  // ---- depthwise convolution (filter [KH, KW, C, CM], outC = C·CM) -------------------------

  depthwiseFilterGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
    this.reset();
    this.setGeometry(g);
    const cm = g.outC / g.inC;
    const xp = this.put(x);
    const dyp = this.put(dy);
    const n = g.kH * g.kW * g.outC;
    const dw = this.zeros(n);
    this.k.depthwiseFilterGrad(xp, dyp, dw, g.batch, cm);
    return this.f32(dw, n);
  }

  depthwiseInputGrad(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
    this.reset();
    this.setGeometry(g);
    const cm = g.outC / g.inC;
    const dyp = this.put(dy);
    const wp = this.put(w);
    const n = g.batch * g.inH * g.inW * g.inC;
    const dx = this.zeros(n);
    this.k.depthwiseInputGrad(dyp, wp, dx, g.batch, cm);
    return this.f32(dx, n);
  }

  // ---- pooling and reduction ---------------------------------------------------------------

  /** Max-pool gradient (kH×kW window in the geometry; first maximum of each window gets its dy). */
  maxPoolGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
    this.reset();
    this.setGeometry(g);
    const xp = this.put(x);
    const dyp = this.put(dy);
    const dx = this.zeros(x.length);
    this.k.maxPoolGrad(xp, dyp, dx, g.batch);
    return this.f32(dx, x.length);
  }

  /** Column sums of a rows×n matrix. */
  sumRows(x: Float32Array, rows: number, n: number): Float32Array {
    this.reset();
    const xp = this.put(x);
    const out = this.zeros(n);
    const tmp = this.zeros(n);
    this.k.sumRows(xp, rows, n, out, tmp);
    return this.f32(out, n);
  }
}
