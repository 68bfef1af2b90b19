// Convolution gradient kernels for training CNNs on the TF.js wasm backend: NHWC float32, any strides,
// explicit paddings and dilations. AssemblyScript compiled to WASM with 128-bit SIMD
// (scripts/build-kernel.mjs → dist/conv-kernel.wasm). It runs inside the TF.js wasm backend's
// memory (imported): the host (../wasmConv.ts) passes byte offsets of the backend's tensors and
// of scratch space from the backend's malloc. Nothing here allocates, and there is no static
// data (a data segment would overwrite the backend's memory when instantiated).
//
// Regular convolutions go through one GEMM (C = A·B, a 4×8 register tile: 8 accumulators, 2 B
// vectors, 4 splatted A values and a product fit the 16 SIMD registers of x64 with V8's scratch) on im2col rows:
//   filter grad    dW[k, co]  += Σ_m col[m, k] · dy[m, co]      (A = colᵀ through strides)
//   input grad     dcol[m, k]  = Σ_co dy[m, co] · Wᵀ[co, k]     then col2im adds dcol into dx
// with m = (b, oh, ow) and k = (kh, kw, ci): the layouts TF.js uses (filter [KH, KW, CI, CO]).
// Depthwise convolutions are direct loops, vectorised over channels.

// ---------------------------------------------------------------------------------------
// Geometry, set once per call by the host (globals keep the signatures short)
// ---------------------------------------------------------------------------------------

let gH: i32 = 0; // input height
let gW: i32 = 0; // input width
let gC: i32 = 0; // input channels
let gOH: i32 = 0;
let gOW: i32 = 0;
let gKH: i32 = 0;
let gKW: i32 = 0;
let gSH: i32 = 1; // strides
let gSW: i32 = 1;
let gDH: i32 = 1; // dilations
let gDW: i32 = 1;
let gPT: i32 = 0; // top / left padding
let gPL: i32 = 0;

export function setGeometry(
  h: i32, w: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  gH = h; gW = w; gC = c; gOH = oh; gOW = ow; gKH = kh; gKW = kw;
  gSH = sh; gSW = sw; gDH = dh; gDW = dw; gPT = pt; gPL = pl;
}

// ---------------------------------------------------------------------------------------
// GEMM
// ---------------------------------------------------------------------------------------

/**
 * C[M, N] (+)= A[M, K] · B[K, N]. A's element (i, p) is at a + 4·(i·ars + p·acs), so A may be
 * a transposed view; B and C are row-major with leading dimensions ldb, ldc (in floats).
 * `accumulate` != 0 adds to C, otherwise C is overwritten.
 */
export function gemm(
  M: i32, N: i32, K: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  accumulate: i32,
): void {
  let j = 0;
  for (; j + 8 <= N; j += 8) {
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      tile4x8(K, a + <usize>(i * ars) * 4, ars, acs, b + <usize>j * 4, ldb, c + <usize>(i * ldc + j) * 4, ldc, accumulate);
    }
    for (; i < M; i++) {
      tile1x8(K, a + <usize>(i * ars) * 4, acs, b + <usize>j * 4, ldb, c + <usize>(i * ldc + j) * 4, accumulate);
    }
  }
  for (; j + 4 <= N; j += 4) {
    for (let i = 0; i < M; i++) {
      tile1x4(K, a + <usize>(i * ars) * 4, acs, b + <usize>j * 4, ldb, c + <usize>(i * ldc + j) * 4, accumulate);
    }
  }
  for (; j < N; j++) {
    for (let i = 0; i < M; i++) {
      const ai = a + <usize>(i * ars) * 4;
      let s: f32 = 0;
      for (let p = 0; p < K; p++) {
        s += load<f32>(ai + <usize>(p * acs) * 4) * load<f32>(b + <usize>(p * ldb + j) * 4);
      }
      const ci = c + <usize>(i * ldc + j) * 4;
      store<f32>(ci, accumulate != 0 ? load<f32>(ci) + s : s);
    }
  }
}

/**
 * acc + x·y per lane. With relaxed SIMD (the conv-kernel-relaxed.wasm build) one fused
 * multiply-add where the CPU has FMA, else (the same source, the plain SIMD build) a multiply
 * and an add. ASC_FEATURE_RELAXED_SIMD is a compile-time constant: no branch remains.
 */
// @ts-ignore: decorator
@inline
function fmadd(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(x, y, acc);
  }
  return f32x4.add(acc, f32x4.mul(x, y));
}

// @ts-ignore: decorator
@inline
function tile4x8(K: i32, a: usize, ars: i32, acs: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32): void {
  const rs = <usize>ars * 4;
  const cs = <usize>ldc * 4;
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (accumulate != 0) {
    c00 = v128.load(c, 0); c01 = v128.load(c, 16);
    c10 = v128.load(c + cs, 0); c11 = v128.load(c + cs, 16);
    c20 = v128.load(c + 2 * cs, 0); c21 = v128.load(c + 2 * cs, 16);
    c30 = v128.load(c + 3 * cs, 0); c31 = v128.load(c + 3 * cs, 16);
  } else {
    c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00;
    c20 = c00; c21 = c00; c30 = c00; c31 = c00;
  }
  const aStep = <usize>acs * 4;
  const bStep = <usize>ldb * 4;
  // One pointer per row: no address arithmetic with the runtime row stride in the loop.
  let a0 = a;
  let a1 = a + rs;
  let a2 = a + 2 * rs;
  let a3 = a + 3 * rs;
  let bp = b;
  for (let p = 0; p < K; p++) {
    const b0 = v128.load(bp, 0);
    const b1 = v128.load(bp, 16);
    const x0 = v128.load32_splat(a0);
    const x1 = v128.load32_splat(a1);
    const x2 = v128.load32_splat(a2);
    const x3 = v128.load32_splat(a3);
    c00 = fmadd(c00, x0, b0);
    c01 = fmadd(c01, x0, b1);
    c10 = fmadd(c10, x1, b0);
    c11 = fmadd(c11, x1, b1);
    c20 = fmadd(c20, x2, b0);
    c21 = fmadd(c21, x2, b1);
    c30 = fmadd(c30, x3, b0);
    c31 = fmadd(c31, x3, b1);
    a0 += aStep;
    a1 += aStep;
    a2 += aStep;
    a3 += aStep;
    bp += bStep;
  }
  v128.store(c, c00, 0); v128.store(c, c01, 16);
  v128.store(c + cs, c10, 0); v128.store(c + cs, c11, 16);
  v128.store(c + 2 * cs, c20, 0); v128.store(c + 2 * cs, c21, 16);
  v128.store(c + 3 * cs, c30, 0); v128.store(c + 3 * cs, c31, 16);
}

// @ts-ignore: decorator
@inline
function tile1x8(K: i32, a: usize, acs: i32, b: usize, ldb: i32, c: usize, accumulate: i32): void {
  let c0 = accumulate != 0 ? v128.load(c, 0) : f32x4.splat(0);
  let c1 = accumulate != 0 ? v128.load(c, 16) : f32x4.splat(0);
  const aStep = <usize>acs * 4;
  const bStep = <usize>ldb * 4;
  let ap = a;
  let bp = b;
  for (let p = 0; p < K; p++) {
    const x = v128.load32_splat(ap);
    c0 = fmadd(c0, x, v128.load(bp, 0));
    c1 = fmadd(c1, x, v128.load(bp, 16));
    ap += aStep;
    bp += bStep;
  }
  v128.store(c, c0, 0);
  v128.store(c, c1, 16);
}

// @ts-ignore: decorator
@inline
function tile1x4(K: i32, a: usize, acs: i32, b: usize, ldb: i32, c: usize, accumulate: i32): void {
  let c0 = accumulate != 0 ? v128.load(c, 0) : f32x4.splat(0);
  const aStep = <usize>acs * 4;
  const bStep = <usize>ldb * 4;
  let ap = a;
  let bp = b;
  for (let p = 0; p < K; p++) {
    c0 = fmadd(c0, v128.load32_splat(ap), v128.load(bp, 0));
    ap += aStep;
    bp += bStep;
  }
  v128.store(c, c0, 0);
}

// ---------------------------------------------------------------------------------------
// im2col / col2im over a range of output rows m = (b, oh, ow) ∈ [m0, m1)
// ---------------------------------------------------------------------------------------

/** col[(m - m0), (kh, kw, ci)] = x[b, ih, iw, ci] (0 outside the input). */
export function im2col(x: usize, m0: i32, m1: i32, col: usize): void {
  const C = gC;
  const K = gKH * gKW * C;
  const plane = gOH * gOW;
  const rowBytes = <usize>C * 4;
  for (let m = m0; m < m1; m++) {
    const bIdx = m / plane;
    const r = m - bIdx * plane;
    const oh = r / gOW;
    const ow = r - oh * gOW;
    let dst = col + <usize>((m - m0) * K) * 4;
    const xb = x + <usize>(bIdx * gH) * <usize>gW * rowBytes;
    const iw0 = ow * gSW - gPL;
    // The window's taps along a row are one contiguous run of KW·C floats when they are all
    // in bounds and undilated: one copy per kernel row (3 floats instead of 3 single ones
    // for a 1-channel input).
    const wideOk = gDW == 1 && iw0 >= 0 && iw0 + gKW <= gW;
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      const rowOk = ih >= 0 && ih < gH;
      if (rowOk && wideOk) {
        copyRow(xb + <usize>(ih * gW + iw0) * rowBytes, dst, gKW * C);
        dst += <usize>gKW * rowBytes;
        continue;
      }
      for (let kw = 0; kw < gKW; kw++) {
        const iw = iw0 + kw * gDW;
        if (rowOk && iw >= 0 && iw < gW) {
          copyRow(xb + <usize>(ih * gW + iw) * rowBytes, dst, C);
        } else {
          zeroRow(dst, C);
        }
        dst += rowBytes;
      }
    }
  }
}

/** dx[b, ih, iw, ci] += dcol[(m - m0), (kh, kw, ci)] for every in-bounds tap (dx zeroed by the host). */
export function col2imAdd(dcol: usize, m0: i32, m1: i32, dx: usize): void {
  const C = gC;
  const K = gKH * gKW * C;
  const plane = gOH * gOW;
  const rowBytes = <usize>C * 4;
  for (let m = m0; m < m1; m++) {
    const bIdx = m / plane;
    const r = m - bIdx * plane;
    const oh = r / gOW;
    const ow = r - oh * gOW;
    let src = dcol + <usize>((m - m0) * K) * 4;
    const xb = dx + <usize>(bIdx * gH) * <usize>gW * rowBytes;
    const iw0 = ow * gSW - gPL;
    const wideOk = gDW == 1 && iw0 >= 0 && iw0 + gKW <= gW;
    for (let kh = 0; kh < gKH; kh++) {
      const ih = oh * gSH - gPT + kh * gDH;
      const rowOk = ih >= 0 && ih < gH;
      if (rowOk && wideOk) {
        addRow(src, xb + <usize>(ih * gW + iw0) * rowBytes, gKW * C);
        src += <usize>gKW * rowBytes;
        continue;
      }
      for (let kw = 0; kw < gKW; kw++) {
        const iw = iw0 + kw * gDW;
        if (rowOk && iw >= 0 && iw < gW) {
          addRow(src, xb + <usize>(ih * gW + iw) * rowBytes, C);
        }
        src += rowBytes;
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function copyRow(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst + <usize>i * 4, v128.load(src + <usize>i * 4));
  }
  for (; i < n; i++) {
    store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
  }
}

// @ts-ignore: decorator
@inline
function zeroRow(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst + <usize>i * 4, z);
  }
  for (; i < n; i++) {
    store<f32>(dst + <usize>i * 4, 0);
  }
}

// @ts-ignore: decorator
@inline
function addRow(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = dst + <usize>i * 4;
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + <usize>i * 4)));
  }
  for (; i < n; i++) {
    const d = dst + <usize>i * 4;
    store<f32>(d, load<f32>(d) + load<f32>(src + <usize>i * 4));
  }
}

/** dst[c, r] = src[r, c] for a rows×cols matrix (packs Wᵀ for the input gradient). */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>(c * rows + r) * 4, load<f32>(src + <usize>(r * cols + c) * 4));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Depthwise convolution gradients (filter [KH, KW, C, CM], output channel j = c·CM + q)
// ---------------------------------------------------------------------------------------

/** dW[kh, kw, c, q] = Σ_{b, oh, ow} x[b, ih, iw, c] · dy[b, oh, ow, c·CM + q]. dW zeroed by the host. */
export function depthwiseFilterGrad(x: usize, dy: usize, dw: usize, batch: i32, cm: i32): void {
  const C = gC;
  const CO = C * cm;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < gOH; oh++) {
      for (let ow = 0; ow < gOW; ow++) {
        const dyRow = dy + <usize>(((b * gOH + oh) * gOW + ow) * CO) * 4;
        for (let kh = 0; kh < gKH; kh++) {
          const ih = oh * gSH - gPT + kh * gDH;
          if (ih < 0 || ih >= gH) continue;
          for (let kw = 0; kw < gKW; kw++) {
            const iw = ow * gSW - gPL + kw * gDW;
            if (iw < 0 || iw >= gW) continue;
            const xRow = x + <usize>(((b * gH + ih) * gW + iw) * C) * 4;
            const wRow = dw + <usize>((kh * gKW + kw) * CO) * 4;
            if (cm == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                const o = <usize>c * 4;
                v128.store(wRow + o, f32x4.add(v128.load(wRow + o), f32x4.mul(v128.load(xRow + o), v128.load(dyRow + o))));
              }
              for (; c < C; c++) {
                const o = <usize>c * 4;
                store<f32>(wRow + o, load<f32>(wRow + o) + load<f32>(xRow + o) * load<f32>(dyRow + o));
              }
            } else {
              for (let c = 0; c < C; c++) {
                const xv = load<f32>(xRow + <usize>c * 4);
                const base = <usize>(c * cm) * 4;
                for (let q = 0; q < cm; q++) {
                  const o = base + <usize>q * 4;
                  store<f32>(wRow + o, load<f32>(wRow + o) + xv * load<f32>(dyRow + o));
                }
              }
            }
          }
        }
      }
    }
  }
}

/** dx[b, ih, iw, c] = Σ W[kh, kw, c, q] · dy[b, oh, ow, c·CM + q] over the taps that read it. dx zeroed by the host. */
export function depthwiseInputGrad(dy: usize, w: usize, dx: usize, batch: i32, cm: i32): void {
  const C = gC;
  const CO = C * cm;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < gOH; oh++) {
      for (let ow = 0; ow < gOW; ow++) {
        const dyRow = dy + <usize>(((b * gOH + oh) * gOW + ow) * CO) * 4;
        for (let kh = 0; kh < gKH; kh++) {
          const ih = oh * gSH - gPT + kh * gDH;
          if (ih < 0 || ih >= gH) continue;
          for (let kw = 0; kw < gKW; kw++) {
            const iw = ow * gSW - gPL + kw * gDW;
            if (iw < 0 || iw >= gW) continue;
            const xRow = dx + <usize>(((b * gH + ih) * gW + iw) * C) * 4;
            const wRow = w + <usize>((kh * gKW + kw) * CO) * 4;
            if (cm == 1) {
              let c = 0;
              for (; c + 4 <= C; c += 4) {
                const o = <usize>c * 4;
                v128.store(xRow + o, f32x4.add(v128.load(xRow + o), f32x4.mul(v128.load(wRow + o), v128.load(dyRow + o))));
              }
              for (; c < C; c++) {
                const o = <usize>c * 4;
                store<f32>(xRow + o, load<f32>(xRow + o) + load<f32>(wRow + o) * load<f32>(dyRow + o));
              }
            } else {
              for (let c = 0; c < C; c++) {
                const base = <usize>(c * cm) * 4;
                let s: f32 = 0;
                for (let q = 0; q < cm; q++) {
                  const o = base + <usize>q * 4;
                  s += load<f32>(wRow + o) * load<f32>(dyRow + o);
                }
                const xo = xRow + <usize>c * 4;
                store<f32>(xo, load<f32>(xo) + s);
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Pooling and reduction
// ---------------------------------------------------------------------------------------

/**
 * Max-pool gradient: each window's dy goes to the FIRST maximum of its in-bounds taps (row-major
 * window order, strict >), as TF.js' cpu backend does. Geometry from setGeometry (kernel =
 * pool window). dx zeroed by the host. Four channels at a time: the running maximum and the
 * tap it came from are kept per lane.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, batch: i32): void {
  const C = gC;
  const plane = <usize>(gH * gW * C) * 4;
  const negInf = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * plane;
    const dxb = dx + <usize>b * plane;
    for (let oh = 0; oh < gOH; oh++) {
      for (let ow = 0; ow < gOW; ow++) {
        const dyRow = dy + <usize>(((b * gOH + oh) * gOW + ow) * C) * 4;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = negInf;
          let at = none;
          for (let kh = 0; kh < gKH; kh++) {
            const ih = oh * gSH - gPT + kh * gDH;
            if (ih < 0 || ih >= gH) continue;
            for (let kw = 0; kw < gKW; kw++) {
              const iw = ow * gSW - gPL + kw * gDW;
              if (iw < 0 || iw >= gW) continue;
              const off = (ih * gW + iw) * C + c;
              const v = v128.load(xb + <usize>off * 4);
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              at = v128.bitselect(i32x4.splat(off), at, gt);
            }
          }
          const g = v128.load(dyRow + <usize>c * 4);
          scatterLane(dxb, i32x4.extract_lane(at, 0), 0, f32x4.extract_lane(g, 0));
          scatterLane(dxb, i32x4.extract_lane(at, 1), 1, f32x4.extract_lane(g, 1));
          scatterLane(dxb, i32x4.extract_lane(at, 2), 2, f32x4.extract_lane(g, 2));
          scatterLane(dxb, i32x4.extract_lane(at, 3), 3, f32x4.extract_lane(g, 3));
        }
        for (; c < C; c++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let kh = 0; kh < gKH; kh++) {
            const ih = oh * gSH - gPT + kh * gDH;
            if (ih < 0 || ih >= gH) continue;
            for (let kw = 0; kw < gKW; kw++) {
              const iw = ow * gSW - gPL + kw * gDW;
              if (iw < 0 || iw >= gW) continue;
              const off = (ih * gW + iw) * C + c;
              const v = load<f32>(xb + <usize>off * 4);
              if (v > best) {
                best = v;
                at = off;
              }
            }
          }
          scatterLane(dxb, at, 0, load<f32>(dyRow + <usize>c * 4));
        }
      }
    }
  }
}

/**
 * Average-pool gradient with TensorFlow's semantics: each window's dy is spread evenly over its
 * IN-BOUNDS taps (1/count, the divisor TF's forward uses with 'same' padding). Geometry from
 * setGeometry (kernel = pool window). dx zeroed by the host.
 */
export function avgPoolGrad(dy: usize, dx: usize, batch: i32): void {
  const C = gC;
  const plane = <usize>(gH * gW * C) * 4;
  for (let b = 0; b < batch; b++) {
    const dxb = dx + <usize>b * plane;
    for (let oh = 0; oh < gOH; oh++) {
      const h0 = oh * gSH - gPT;
      let rows = 0;
      for (let kh = 0; kh < gKH; kh++) {
        const ih = h0 + kh * gDH;
        if (ih >= 0 && ih < gH) rows++;
      }
      for (let ow = 0; ow < gOW; ow++) {
        const w0 = ow * gSW - gPL;
        let cols = 0;
        for (let kw = 0; kw < gKW; kw++) {
          const iw = w0 + kw * gDW;
          if (iw >= 0 && iw < gW) cols++;
        }
        const count = rows * cols;
        if (count == 0) continue;
        const scale = f32x4.splat(<f32>1 / <f32>count);
        const scale1: f32 = <f32>1 / <f32>count;
        const dyRow = dy + <usize>(((b * gOH + oh) * gOW + ow) * C) * 4;
        for (let kh = 0; kh < gKH; kh++) {
          const ih = h0 + kh * gDH;
          if (ih < 0 || ih >= gH) continue;
          for (let kw = 0; kw < gKW; kw++) {
            const iw = w0 + kw * gDW;
            if (iw < 0 || iw >= gW) continue;
            const dst = dxb + <usize>((ih * gW + iw) * C) * 4;
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const o = <usize>c * 4;
              v128.store(dst + o, fmadd(v128.load(dst + o), v128.load(dyRow + o), scale));
            }
            for (; c < C; c++) {
              const o = <usize>c * 4;
              store<f32>(dst + o, load<f32>(dst + o) + load<f32>(dyRow + o) * scale1);
            }
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function scatterLane(dxb: usize, at: i32, lane: i32, g: f32): void {
  // `at` is the offset of lane 0's channel; -1: no finite maximum, no gradient.
  if (at >= 0) {
    const p = dxb + <usize>(at + lane) * 4;
    store<f32>(p, load<f32>(p) + g);
  }
}

/**
 * out[j] = Σ_r x[r, j] for a rows×n matrix (bias gradients: dy summed over batch and space).
 * Row by row (one streaming pass), in blocks of 256 rows summed into `tmp` first so the float32
 * rounding error grows with the block count, not the row count. out and tmp zeroed by the host.
 */
export function sumRows(x: usize, rows: i32, n: i32, out: usize, tmp: usize): void {
  for (let r0 = 0; r0 < rows; r0 += 256) {
    const r1 = min(rows, r0 + 256);
    for (let r = r0; r < r1; r++) {
      addRow(x + <usize>(r * n) * 4, tmp, n);
    }
    addRow(tmp, out, n);
    zeroRow(tmp, n);
  }
}

/** x[i] *= s for i < n (Mean = column sums × 1/rows). */
export function scale(x: usize, n: i32, s: f32): void {
  const v = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + <usize>i * 4;
    v128.store(p, f32x4.mul(v128.load(p), v));
  }
  for (; i < n; i++) {
    const p = x + <usize>i * 4;
    store<f32>(p, load<f32>(p) * s);
  }
}

/** out[r, c] = (x[r, c] − mean[c])·mul[c] + add[c] for a rows×C matrix (BatchNormalization). */
export function normalizeChannels(x: usize, rows: i32, C: i32, mean: usize, mul: usize, add: usize, out: usize): void {
  const rowBytes = <usize>C * 4;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c * 4;
      v128.store(yr + o, fmadd(v128.load(add + o), f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(mul + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c * 4;
      store<f32>(yr + o, (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(mul + o) + load<f32>(add + o));
    }
  }
}
