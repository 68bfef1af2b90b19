/**
 * Loads dist/conv-kernel.wasm (the AssemblyScript SIMD convolution kernels, see
 * assembly/index.ts) INTO the TF.js wasm backend's own memory: the module imports that memory
 * (it has no data segment, so instantiating it writes nothing there), reads tensors where the
 * backend keeps them and writes into tensors the backend made, with scratch space from the
 * backend's malloc. No copies in or out. Used by the kernels in ./register.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/** NHWC geometry of one 2-D convolution or pooling (TF.js' Conv2DInfo, reduced to what the kernels read). */
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

/** What the kernels need of tfjs-backend-wasm's Emscripten module. */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

interface ConvExports {
  setGeometry(h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, pt: number, pl: number): void;
  gemm(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, ldb: number, c: number, ldc: number, accumulate: number): void;
  im2col(x: number, m0: number, m1: number, col: number): void;
  col2imAdd(dcol: number, m0: number, m1: number, dx: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, batch: number, cm: number): void;
  depthwiseInputGrad(dy: number, w: number, dx: number, batch: number, cm: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, batch: number): void;
  avgPoolGrad(dy: number, dx: number, batch: number): void;
  sumRows(x: number, rows: number, n: number, out: number, tmp: number): void;
  scale(x: number, n: number, s: number): void;
  normalizeChannels(x: number, rows: number, c: number, mean: number, mul: number, add: number, out: number): void;
}

/** Bytes of im2col rows (plus their dy rows) per GEMM chunk: small enough to stay in L2. */
const CHUNK_BYTES = 256 * 1024;

/** Where dist/<file> may be: next to the bundle (dist/*.js, the .vsix), or from src/ under tsx. */
function candidates(file: string): string[] {
  const out: string[] = [];
  if (typeof __dirname === 'string') {
    out.push(join(__dirname, file));
    out.push(join(__dirname, '..', '..', '..', '..', 'dist', file));
  }
  out.push(join(process.cwd(), 'dist', file));
  return out;
}

let compiled: WebAssembly.Module | null | undefined;
let unavailable = '';
let variant = '';

/**
 * Whether this runtime validates relaxed-SIMD wasm. Node ≥ 21 and VS Code's Electron do by
 * default; Node 20 (V8 11.3) has it behind --experimental-wasm-relaxed-simd, which only changes
 * what the wasm validator accepts, so it is switched on here for this process.
 */
function relaxedSimdValid(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) {
    return true;
  }
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

/**
 * The compiled module, or null (reason in convKernelsUnavailableReason()). Prefers the relaxed-
 * SIMD build (fused multiply-add in the GEMM tiles) where the runtime takes it;
 * MODEL_OPTIMIZER_RELAXED_SIMD=0 keeps the plain SIMD build; MODEL_OPTIMIZER_CONV_WASM names a file.
 */
function convModule(): WebAssembly.Module | null {
  if (compiled !== undefined) {
    return compiled;
  }
  const pick = (file: string): string | undefined => candidates(file).find((p) => existsSync(p));
  const explicit = process.env.MODEL_OPTIMIZER_CONV_WASM;
  const relaxedFile = explicit || process.env.MODEL_OPTIMIZER_RELAXED_SIMD === '0' ? undefined : pick('conv-kernel-relaxed.wasm');
  if (relaxedFile) {
    const bytes = new Uint8Array(readFileSync(relaxedFile));
    if (relaxedSimdValid(bytes)) {
      try {
        compiled = new WebAssembly.Module(bytes);
        variant = 'relaxed SIMD (FMA)';
        return compiled;
      } catch {
        // fall through to the plain SIMD build
      }
    }
  }
  const file = explicit && existsSync(explicit) ? explicit : pick('conv-kernel.wasm');
  if (!file) {
    unavailable = 'dist/conv-kernel.wasm not found (run `npm run build`)';
    compiled = null;
    return null;
  }
  try {
    compiled = new WebAssembly.Module(readFileSync(file));
    variant = 'SIMD';
  } catch (err) {
    // E.g. a runtime without WebAssembly SIMD.
    unavailable = `conv-kernel.wasm did not compile: ${(err as Error).message}`;
    compiled = null;
  }
  return compiled;
}

/** 'relaxed SIMD (FMA)' or 'SIMD': which build of the kernels runs ('' when unavailable). */
export function convKernelsVariant(): string {
  convModule();
  return variant;
}

/** True when dist/conv-kernel.wasm is present and compiles here; else see convKernelsUnavailableReason(). */
export function convKernelsAvailable(): boolean {
  return convModule() !== null;
}

export function convKernelsUnavailableReason(): string {
  convModule();
  return unavailable;
}

/** One instance per backend memory (a re-created backend gets a new memory). */
const instances = new WeakMap<WebAssembly.Memory, ConvKernels>();

/** The kernels running in `heap`'s memory; throws with the reason when they cannot. */
export function convKernelsFor(heap: WasmHeap): ConvKernels {
  const cached = instances.get(heap.memory);
  if (cached) {
    return cached;
  }
  const mod = convModule();
  if (!mod) {
    throw new Error(`the convolution kernels are unavailable: ${unavailable}`);
  }
  const exports = new WebAssembly.Instance(mod, { env: { memory: heap.memory } }).exports as unknown as ConvExports;
  const k = new ConvKernels(exports, heap);
  instances.set(heap.memory, k);
  return k;
}

/**
 * The kernels on byte offsets into the backend's heap. Outputs must be zeroed by the caller
 * where a method says so (the kernels accumulate into them).
 */
export class ConvKernels {
  constructor(
    private readonly k: ConvExports,
    private readonly heap: WasmHeap,
  ) {}

  /** Runs `fn` with `bytes` of scratch memory from the backend's malloc. */
  private withScratch<T>(bytes: number, fn: (at: number) => T): T {
    const at = this.heap.malloc(bytes) >>> 0;
    if (at === 0) {
      throw new Error(`out of wasm memory (${bytes} bytes of convolution scratch space)`);
    }
    try {
      return fn(at);
    } finally {
      this.heap.free(at);
    }
  }

  private setGeometry(g: ConvGeometry): void {
    this.k.setGeometry(g.inH, g.inW, g.inC, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft);
  }

  /** Rows per chunk when each row holds `floats` floats of im2col and operand data. */
  private static chunkRows(floats: number, rows: number): number {
    return Math.max(4, Math.min(rows, Math.floor(CHUNK_BYTES / (4 * floats))));
  }

  /** Runs `body` on im2col(x) in chunks of rows m0…m1 (each row K = kh·kw·inC values, at `col`). */
  private im2colChunks(g: ConvGeometry, x: number, body: (col: number, m0: number, m1: number, K: number) => void): void {
    this.setGeometry(g);
    const K = g.kH * g.kW * g.inC;
    const M = g.batch * g.outH * g.outW;
    const rows = ConvKernels.chunkRows(K + g.outC, M);
    this.withScratch(rows * K * 4, (col) => {
      for (let m0 = 0; m0 < M; m0 += rows) {
        const m1 = Math.min(M, m0 + rows);
        this.k.im2col(x, m0, m1, col);
        body(col, m0, m1, K);
      }
    });
  }

  /** dW[KH, KW, CI, CO] += Σ colᵀ · dy (x [B, H, W, CI], dy [B, OH, OW, CO]); dW zeroed by the caller. */
  conv2dFilterGrad(g: ConvGeometry, x: number, dy: number, dw: number): void {
    // A = colᵀ: element (k, m) at col[m·K + k].
    this.im2colChunks(g, x, (col, m0, m1, K) => this.k.gemm(K, g.outC, m1 - m0, col, 1, K, dy + m0 * g.outC * 4, g.outC, dw, g.outC, 1));
  }

  /** y[B, OH, OW, CO] = im2col(x) · W (w [KH, KW, CI, CO]); y overwritten. */
  conv2dForward(g: ConvGeometry, x: number, w: number, y: number): void {
    this.im2colChunks(g, x, (col, m0, m1, K) => this.k.gemm(m1 - m0, g.outC, K, col, K, 1, w, g.outC, y + m0 * g.outC * 4, g.outC, 0));
  }

  /** dx[B, H, W, CI] += col2im(dy · Wᵀ) (w [KH, KW, CI, CO]); dx zeroed by the caller. */
  conv2dInputGrad(g: ConvGeometry, dy: number, w: number, dx: number): void {
    this.setGeometry(g);
    const K = g.kH * g.kW * g.inC;
    const M = g.batch * g.outH * g.outW;
    const rows = ConvKernels.chunkRows(K + g.outC, M);
    this.withScratch((K * g.outC + rows * K) * 4, (wt) => {
      const dcol = wt + K * g.outC * 4;
      this.k.transpose(w, K, g.outC, wt);
      for (let m0 = 0; m0 < M; m0 += rows) {
        const m1 = Math.min(M, m0 + rows);
        this.k.gemm(m1 - m0, K, g.outC, dy + m0 * g.outC * 4, g.outC, 1, wt, K, dcol, K, 0);
        this.k.col2imAdd(dcol, m0, m1, dx);
      }
    });
  }

  /** Depthwise (filter [KH, KW, C, CM], outC = C·CM) filter gradient; dW zeroed by the caller. */
  depthwiseFilterGrad(g: ConvGeometry, x: number, dy: number, dw: number): void {
    this.setGeometry(g);
    this.k.depthwiseFilterGrad(x, dy, dw, g.batch, g.outC / g.inC);
  }

  /** Depthwise input gradient; dx zeroed by the caller. */
  depthwiseInputGrad(g: ConvGeometry, dy: number, w: number, dx: number): void {
    this.setGeometry(g);
    this.k.depthwiseInputGrad(dy, w, dx, g.batch, g.outC / g.inC);
  }

  /**
   * C[M, N] = A · B with A's element (i, p) at a + 4·(i·ars + p·acs); B row-major [K, N], or
   * stored [N, K] when `bTransposed` (then packed to [K, N] in scratch first). C overwritten.
   */
  matMul(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, bTransposed: boolean, c: number): void {
    if (!bTransposed) {
      this.k.gemm(M, N, K, a, ars, acs, b, N, c, N, 0);
      return;
    }
    this.withScratch(K * N * 4, (bt) => {
      this.k.transpose(b, N, K, bt);
      this.k.gemm(M, N, K, a, ars, acs, bt, N, c, N, 0);
    });
  }

  /** Max-pool gradient (kH×kW window in the geometry; the first maximum of each window gets its dy); dx zeroed by the caller. */
  maxPoolGrad(g: ConvGeometry, x: number, dy: number, dx: number): void {
    this.setGeometry(g);
    this.k.maxPoolGrad(x, dy, dx, g.batch);
  }

  /** Average-pool gradient, TF semantics (1/in-bounds-count per window); dx zeroed by the caller. */
  avgPoolGrad(g: ConvGeometry, dy: number, dx: number): void {
    this.setGeometry(g);
    this.k.avgPoolGrad(dy, dx, g.batch);
  }

  /**
   * Fills three per-channel float arrays (mean, mul, add) in backend scratch memory with `fill`,
   * then runs `use` with their byte offset (mean at +0, mul at +4C, add at +8C).
   */
  withChannelParams<T>(C: number, fill: (p: { mean: Float32Array; mul: Float32Array; add: Float32Array }) => void, use: (params: number) => T): T {
    return this.withScratch(12 * C, (at) => {
      const buf = this.heap.memory.buffer;
      fill({ mean: new Float32Array(buf, at, C), mul: new Float32Array(buf, at + 4 * C, C), add: new Float32Array(buf, at + 8 * C, C) });
      return use(at);
    });
  }

  /** out[r, c] = (x[r, c] − mean[c])·mul[c] + add[c] for a rows×C matrix (params from withChannelParams). */
  normalizeChannels(x: number, rows: number, C: number, params: number, out: number): void {
    this.k.normalizeChannels(x, rows, C, params, params + 4 * C, params + 8 * C, out);
  }

  /** x[0..n) *= s, in place. */
  scale(x: number, n: number, s: number): void {
    this.k.scale(x, n, s);
  }

  /** out[n] = column sums of a rows×n matrix; out zeroed by the caller. */
  sumRows(x: number, rows: number, n: number, out: number): void {
    this.withScratch(n * 4, (tmp) => {
      new Float32Array(this.heap.memory.buffer, tmp, n).fill(0);
      this.k.sumRows(x, rows, n, out, tmp);
    });
  }
}
