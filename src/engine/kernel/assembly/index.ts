// Dense MLP training kernel: relu hidden layers, softmax output, sparse categorical
// cross-entropy (Keras clipping), Adam. AssemblyScript compiled to WASM with 128-bit SIMD.
//
// The host (kernelTrainer.ts) owns the memory layout and passes byte offsets. Nothing here
// allocates. Conventions:
// - a layer's kernel is row-major [in, outP] with outP = units rounded up to a multiple of 4;
//   padded columns are zero and stay zero (their gradient is zero);
// - activations and output gradients are row-major [count, outP];
// - a layer's input is kept as per-sample lists of its NON-ZERO entries (index i32, value f32,
//   stride `dim` entries per sample, counts in `cnt`): MNIST pixels are ~80 % zeros and relu
//   outputs ~50 %, so forward and weight-gradient work only on the non-zeros.

import {
  T_NUM_LAYERS, T_INPUT_DIM, T_CLASSES, T_INPUT, T_LABELS, T_COUNT, T_DENOM, T_GRAD_DELTA, T_CORRECT, T_LOSS_F64, T_LAYERS, T_STRIDE,
  L_IN_DIM, L_UNITS, L_OUT_P, L_WEIGHTS, L_BIAS, L_NZ_IDX, L_NZ_VAL, L_NZ_CNT, L_ACT, L_DZ, L_COL_START, L_COL_POS, L_COL_B, L_COL_V,
} from './layout';

// ---------------------------------------------------------------------------------------
// Non-zero lists
// ---------------------------------------------------------------------------------------

/** Non-zero pixels of `count` uint8 rows of `dim` bytes, scaled by 1/255. */
export function sparsifyU8(src: usize, count: i32, dim: i32, idx: usize, val: usize, cnt: usize): void {
  for (let b = 0; b < count; b++) {
    const row = src + <usize>(b * dim);
    const ib = idx + <usize>(b * dim) * 4;
    const vb = val + <usize>(b * dim) * 4;
    let n = 0;
    let i = 0;
    // 16 bytes at a time: a bitmask of the non-zero bytes, visited lowest bit first.
    const zero8 = i8x16.splat(0);
    for (; i + 16 <= dim; i += 16) {
      let mask = i8x16.bitmask(i8x16.ne(v128.load(row + <usize>i), zero8));
      while (mask != 0) {
        const k = ctz(mask);
        const p = load<u8>(row + <usize>(i + k));
        store<i32>(ib + <usize>n * 4, i + k);
        store<f32>(vb + <usize>n * 4, <f32>p / <f32>255.0);
        n++;
        mask &= mask - 1;
      }
    }
    for (; i < dim; i++) {
      const p = load<u8>(row + <usize>i);
      if (p != 0) {
        store<i32>(ib + <usize>n * 4, i);
        store<f32>(vb + <usize>n * 4, <f32>p / <f32>255.0);
        n++;
      }
    }
    store<i32>(cnt + <usize>b * 4, n);
  }
}

/** Non-zero entries of `count` f32 rows (first `dim` of `stride` columns). */
export function sparsifyF32(src: usize, stride: i32, count: i32, dim: i32, idx: usize, val: usize, cnt: usize): void {
  for (let b = 0; b < count; b++) {
    const row = src + <usize>(b * stride) * 4;
    const ib = idx + <usize>(b * dim) * 4;
    const vb = val + <usize>(b * dim) * 4;
    let n = 0;
    // Branch-free (relu outputs are ~50 % zeros, an unpredictable branch): always write at
    // slot n, advance n only for a non-zero. n ≤ i, so writes stay inside the row.
    for (let i = 0; i < dim; i++) {
      const a = load<f32>(row + <usize>i * 4);
      store<i32>(ib + <usize>n * 4, i);
      store<f32>(vb + <usize>n * 4, a);
      n += <i32>(a != 0);
    }
    store<i32>(cnt + <usize>b * 4, n);
  }
}

// ---------------------------------------------------------------------------------------
// Forward
// ---------------------------------------------------------------------------------------

/**
 * out[b, :] = act(bias + Σ_k val[b,k] · W[idx[b,k], :]) for the non-zero inputs of each sample.
 * `relu` != 0 applies relu; otherwise the pre-activation (logits) is stored.
 */
export function forwardSparse(
  idx: usize, val: usize, cnt: usize, dim: i32, count: i32,
  w: usize, bias: usize, out: usize, outP: i32, relu: i32,
): void {
  const rowBytes = <usize>outP * 4;
  const zero = f32x4.splat(0);
  for (let b = 0; b < count; b++) {
    const ib = idx + <usize>(b * dim) * 4;
    const vb = val + <usize>(b * dim) * 4;
    const n = load<i32>(cnt + <usize>b * 4);
    const ob = out + <usize>b * rowBytes;
    let j = 0;
    // 8 vectors (32 outputs) per pass over the non-zeros.
    for (; j + 32 <= outP; j += 32) {
      const bj = bias + <usize>j * 4;
      let a0 = v128.load(bj, 0);
      let a1 = v128.load(bj, 16);
      let a2 = v128.load(bj, 32);
      let a3 = v128.load(bj, 48);
      let a4 = v128.load(bj, 64);
      let a5 = v128.load(bj, 80);
      let a6 = v128.load(bj, 96);
      let a7 = v128.load(bj, 112);
      const wj = w + <usize>j * 4;
      for (let k = 0; k < n; k++) {
        const i = load<i32>(ib + <usize>k * 4);
        const x = f32x4.splat(load<f32>(vb + <usize>k * 4));
        const wr = wj + <usize>i * rowBytes;
        a0 = f32x4.add(a0, f32x4.mul(x, v128.load(wr, 0)));
        a1 = f32x4.add(a1, f32x4.mul(x, v128.load(wr, 16)));
        a2 = f32x4.add(a2, f32x4.mul(x, v128.load(wr, 32)));
        a3 = f32x4.add(a3, f32x4.mul(x, v128.load(wr, 48)));
        a4 = f32x4.add(a4, f32x4.mul(x, v128.load(wr, 64)));
        a5 = f32x4.add(a5, f32x4.mul(x, v128.load(wr, 80)));
        a6 = f32x4.add(a6, f32x4.mul(x, v128.load(wr, 96)));
        a7 = f32x4.add(a7, f32x4.mul(x, v128.load(wr, 112)));
      }
      if (relu != 0) {
        a0 = f32x4.max(a0, zero);
        a1 = f32x4.max(a1, zero);
        a2 = f32x4.max(a2, zero);
        a3 = f32x4.max(a3, zero);
        a4 = f32x4.max(a4, zero);
        a5 = f32x4.max(a5, zero);
        a6 = f32x4.max(a6, zero);
        a7 = f32x4.max(a7, zero);
      }
      const oj = ob + <usize>j * 4;
      v128.store(oj, a0, 0);
      v128.store(oj, a1, 16);
      v128.store(oj, a2, 32);
      v128.store(oj, a3, 48);
      v128.store(oj, a4, 64);
      v128.store(oj, a5, 80);
      v128.store(oj, a6, 96);
      v128.store(oj, a7, 112);
    }
    // 4 vectors.
    for (; j + 16 <= outP; j += 16) {
      const bj = bias + <usize>j * 4;
      let a0 = v128.load(bj, 0);
      let a1 = v128.load(bj, 16);
      let a2 = v128.load(bj, 32);
      let a3 = v128.load(bj, 48);
      const wj = w + <usize>j * 4;
      for (let k = 0; k < n; k++) {
        const i = load<i32>(ib + <usize>k * 4);
        const x = f32x4.splat(load<f32>(vb + <usize>k * 4));
        const wr = wj + <usize>i * rowBytes;
        a0 = f32x4.add(a0, f32x4.mul(x, v128.load(wr, 0)));
        a1 = f32x4.add(a1, f32x4.mul(x, v128.load(wr, 16)));
        a2 = f32x4.add(a2, f32x4.mul(x, v128.load(wr, 32)));
        a3 = f32x4.add(a3, f32x4.mul(x, v128.load(wr, 48)));
      }
      if (relu != 0) {
        a0 = f32x4.max(a0, zero);
        a1 = f32x4.max(a1, zero);
        a2 = f32x4.max(a2, zero);
        a3 = f32x4.max(a3, zero);
      }
      const oj = ob + <usize>j * 4;
      v128.store(oj, a0, 0);
      v128.store(oj, a1, 16);
      v128.store(oj, a2, 32);
      v128.store(oj, a3, 48);
    }
    // Up to 3 single vectors, in one pass.
    const rem = (outP - j) >> 2;
    if (rem > 0) {
      const bj = bias + <usize>j * 4;
      let a0 = v128.load(bj, 0);
      let a1 = rem > 1 ? v128.load(bj, 16) : zero;
      let a2 = rem > 2 ? v128.load(bj, 32) : zero;
      const wj = w + <usize>j * 4;
      if (rem == 3) {
        for (let k = 0; k < n; k++) {
          const i = load<i32>(ib + <usize>k * 4);
          const x = f32x4.splat(load<f32>(vb + <usize>k * 4));
          const wr = wj + <usize>i * rowBytes;
          a0 = f32x4.add(a0, f32x4.mul(x, v128.load(wr, 0)));
          a1 = f32x4.add(a1, f32x4.mul(x, v128.load(wr, 16)));
          a2 = f32x4.add(a2, f32x4.mul(x, v128.load(wr, 32)));
        }
      } else if (rem == 2) {
        for (let k = 0; k < n; k++) {
          const i = load<i32>(ib + <usize>k * 4);
          const x = f32x4.splat(load<f32>(vb + <usize>k * 4));
          const wr = wj + <usize>i * rowBytes;
          a0 = f32x4.add(a0, f32x4.mul(x, v128.load(wr, 0)));
          a1 = f32x4.add(a1, f32x4.mul(x, v128.load(wr, 16)));
        }
      } else {
        for (let k = 0; k < n; k++) {
          const i = load<i32>(ib + <usize>k * 4);
          const x = f32x4.splat(load<f32>(vb + <usize>k * 4));
          a0 = f32x4.add(a0, f32x4.mul(x, v128.load(wj + <usize>i * rowBytes, 0)));
        }
      }
      if (relu != 0) {
        a0 = f32x4.max(a0, zero);
        a1 = f32x4.max(a1, zero);
        a2 = f32x4.max(a2, zero);
      }
      const oj = ob + <usize>j * 4;
      v128.store(oj, a0, 0);
      if (rem > 1) {
        v128.store(oj, a1, 16);
      }
      if (rem > 2) {
        v128.store(oj, a2, 32);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Softmax + loss
// ---------------------------------------------------------------------------------------

// Keras / TF.js epsilon() = 1e-7: probabilities are clipped to [eps, 1 - eps] in the loss.
const EPS: f32 = <f32>1e-7;
const ONE_MINUS_EPS: f32 = <f32>1.0 - EPS;

/** Results of the last softmaxLoss call: [0] = correct count (i32). */
let lastCorrect: i32 = 0;

/**
 * Replaces logits z[count, outP] (first `classes` columns) by softmax probabilities.
 * With labels (labels != 0): returns the summed clipped cross-entropy, counts correct argmax
 * predictions (first maximum wins, like argMax) and, if dz != 0, writes the gradient of the
 * MEAN loss w.r.t. the logits: (p - onehot) / denom (the whole batch's size, when threads
 * share a batch), or 0 for a sample whose true-class
 * probability was clipped (the clip passes no gradient). Padded columns of dz are zero.
 */
export function softmaxLoss(z: usize, outP: i32, classes: i32, count: i32, labels: usize, dz: usize, denom: i32): f64 {
  let lossSum: f64 = 0;
  let correct = 0;
  const invCount: f32 = <f32>1.0 / <f32>denom;
  for (let b = 0; b < count; b++) {
    const zr = z + <usize>(b * outP) * 4;
    let mx = load<f32>(zr);
    let arg = 0;
    for (let j = 1; j < classes; j++) {
      const v = load<f32>(zr + <usize>j * 4);
      if (v > mx) {
        mx = v;
        arg = j;
      }
    }
    let sum: f32 = 0;
    for (let j = 0; j < classes; j++) {
      const e = Mathf.exp(load<f32>(zr + <usize>j * 4) - mx);
      store<f32>(zr + <usize>j * 4, e);
      sum += e;
    }
    const inv: f32 = <f32>1.0 / sum;
    for (let j = 0; j < classes; j++) {
      store<f32>(zr + <usize>j * 4, load<f32>(zr + <usize>j * 4) * inv);
    }
    if (labels != 0) {
      const c = <i32>load<u8>(labels + <usize>b);
      if (c == arg) {
        correct++;
      }
      const pc = load<f32>(zr + <usize>c * 4);
      const clipped = pc < EPS ? EPS : pc > ONE_MINUS_EPS ? ONE_MINUS_EPS : pc;
      lossSum -= Math.log(<f64>clipped);
      if (dz != 0) {
        const dr = dz + <usize>(b * outP) * 4;
        const pass = pc >= EPS && pc <= ONE_MINUS_EPS;
        for (let j = 0; j < outP; j++) {
          let g: f32 = 0;
          if (pass && j < classes) {
            g = (load<f32>(zr + <usize>j * 4) - (j == c ? <f32>1.0 : <f32>0.0)) * invCount;
          }
          store<f32>(dr + <usize>j * 4, g);
        }
      }
    }
  }
  lastCorrect = correct;
  return lossSum;
}

// ---------------------------------------------------------------------------------------
// Backward
// ---------------------------------------------------------------------------------------

/**
 * Gradient w.r.t. the pre-activation of the previous (relu) layer:
 * dzPrev[b, i] = Σ_j dz[b, j] · W[i, j] where the relu output x[b, i] > 0 (the non-zero list),
 * else 0. Rows of dzPrev have stride prevOutP.
 */
export function backwardSparse(
  idx: usize, cnt: usize, dim: i32, count: i32,
  dz: usize, outP: i32, w: usize, dzPrev: usize, prevOutP: i32,
): void {
  const rowBytes = <usize>outP * 4;
  const zero = f32x4.splat(0);
  for (let b = 0; b < count; b++) {
    const pr = dzPrev + <usize>(b * prevOutP) * 4;
    memory.fill(pr, 0, <usize>prevOutP * 4);
    const ib = idx + <usize>(b * dim) * 4;
    const n = load<i32>(cnt + <usize>b * 4);
    const dr = dz + <usize>b * rowBytes;
    for (let k = 0; k < n; k++) {
      const i = load<i32>(ib + <usize>k * 4);
      const wr = w + <usize>i * rowBytes;
      let acc = zero;
      for (let j = 0; j < outP; j += 4) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(dr + <usize>j * 4), v128.load(wr + <usize>j * 4)));
      }
      const s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      store<f32>(pr + <usize>i * 4, s);
    }
  }
}

/**
 * Regroups the per-sample non-zero lists by input index (a counting sort): for input i,
 * entries colStart[i] .. colStart[i+1]-1 of (colB = sample, colV = value). colStart has
 * dim+1 slots, colPos dim slots of scratch.
 */
export function columnize(
  idx: usize, val: usize, cnt: usize, dim: i32, count: i32,
  colStart: usize, colPos: usize, colB: usize, colV: usize,
): void {
  memory.fill(colStart, 0, <usize>(dim + 1) * 4);
  for (let b = 0; b < count; b++) {
    const ib = idx + <usize>(b * dim) * 4;
    const n = load<i32>(cnt + <usize>b * 4);
    for (let k = 0; k < n; k++) {
      const p = colStart + <usize>(load<i32>(ib + <usize>k * 4) + 1) * 4;
      store<i32>(p, load<i32>(p) + 1);
    }
  }
  let run = 0;
  for (let i = 0; i < dim; i++) {
    const c = load<i32>(colStart + <usize>(i + 1) * 4);
    store<i32>(colStart + <usize>i * 4, run);
    store<i32>(colPos + <usize>i * 4, run);
    run += c;
  }
  store<i32>(colStart + <usize>dim * 4, run);
  for (let b = 0; b < count; b++) {
    const ib = idx + <usize>(b * dim) * 4;
    const vb = val + <usize>(b * dim) * 4;
    const n = load<i32>(cnt + <usize>b * 4);
    for (let k = 0; k < n; k++) {
      const i = load<i32>(ib + <usize>k * 4);
      const pp = colPos + <usize>i * 4;
      const p = load<i32>(pp);
      store<i32>(pp, p + 1);
      store<i32>(colB + <usize>p * 4, b);
      store<f32>(colV + <usize>p * 4, load<f32>(vb + <usize>k * 4));
    }
  }
}

/**
 * gW[i, :] += Σ_{b: x[b,i] ≠ 0} x[b,i] · dz[b, :] from the column lists: each row of gW is
 * read and written once per batch (the per-sample form writes it once per non-zero);
 * gb += Σ_b dz[b, :].
 */
export function weightGradCols(
  colStart: usize, colB: usize, colV: usize, dim: i32, count: i32,
  dz: usize, outP: i32, gw: usize, gb: usize,
): void {
  const rowBytes = <usize>outP * 4;
  const zero = f32x4.splat(0);
  for (let i = 0; i < dim; i++) {
    const s = load<i32>(colStart + <usize>i * 4);
    const e = load<i32>(colStart + <usize>(i + 1) * 4);
    if (s == e) {
      continue;
    }
    const gr = gw + <usize>i * rowBytes;
    let j = 0;
    for (; j + 32 <= outP; j += 32) {
      let a0 = zero;
      let a1 = zero;
      let a2 = zero;
      let a3 = zero;
      let a4 = zero;
      let a5 = zero;
      let a6 = zero;
      let a7 = zero;
      const dj = dz + <usize>j * 4;
      for (let p = s; p < e; p++) {
        const x = f32x4.splat(load<f32>(colV + <usize>p * 4));
        const dr = dj + <usize>load<i32>(colB + <usize>p * 4) * rowBytes;
        a0 = f32x4.add(a0, f32x4.mul(x, v128.load(dr, 0)));
        a1 = f32x4.add(a1, f32x4.mul(x, v128.load(dr, 16)));
        a2 = f32x4.add(a2, f32x4.mul(x, v128.load(dr, 32)));
        a3 = f32x4.add(a3, f32x4.mul(x, v128.load(dr, 48)));
        a4 = f32x4.add(a4, f32x4.mul(x, v128.load(dr, 64)));
        a5 = f32x4.add(a5, f32x4.mul(x, v128.load(dr, 80)));
        a6 = f32x4.add(a6, f32x4.mul(x, v128.load(dr, 96)));
        a7 = f32x4.add(a7, f32x4.mul(x, v128.load(dr, 112)));
      }
      const gj = gr + <usize>j * 4;
      v128.store(gj, f32x4.add(v128.load(gj, 0), a0), 0);
      v128.store(gj, f32x4.add(v128.load(gj, 16), a1), 16);
      v128.store(gj, f32x4.add(v128.load(gj, 32), a2), 32);
      v128.store(gj, f32x4.add(v128.load(gj, 48), a3), 48);
      v128.store(gj, f32x4.add(v128.load(gj, 64), a4), 64);
      v128.store(gj, f32x4.add(v128.load(gj, 80), a5), 80);
      v128.store(gj, f32x4.add(v128.load(gj, 96), a6), 96);
      v128.store(gj, f32x4.add(v128.load(gj, 112), a7), 112);
    }
    for (; j < outP; j += 4) {
      let a0 = zero;
      const dj = dz + <usize>j * 4;
      for (let p = s; p < e; p++) {
        const x = f32x4.splat(load<f32>(colV + <usize>p * 4));
        a0 = f32x4.add(a0, f32x4.mul(x, v128.load(dj + <usize>load<i32>(colB + <usize>p * 4) * rowBytes)));
      }
      const gj = gr + <usize>j * 4;
      v128.store(gj, f32x4.add(v128.load(gj), a0));
    }
  }
  for (let b = 0; b < count; b++) {
    const dr = dz + <usize>b * rowBytes;
    for (let jj = 0; jj < outP; jj += 4) {
      const p = gb + <usize>jj * 4;
      v128.store(p, f32x4.add(v128.load(p), v128.load(dr + <usize>jj * 4)));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Optimizer and masks
// ---------------------------------------------------------------------------------------

/**
 * Keras Adam on n (multiple of 4) parameters, then zeroes the gradient(s) for the next step:
 *   m = b1·m + (1-b1)·g;  v = b2·v + (1-b2)·g²;  w -= lrT · m / (√v + eps)
 * with lrT = lr·√(1-b2^t)/(1-b1^t) computed by the host.
 */
export function adam(w: usize, m: usize, v: usize, g: usize, g2: usize, n: i32, lrT: f32, b1: f32, b2: f32, eps: f32): void {
  const bytes = <usize>n * 4;
  if (g2 != 0) {
    adamLoop(w, m, v, g, g2, bytes, lrT, b1, b2, eps, true);
  } else {
    adamLoop(w, m, v, g, g, bytes, lrT, b1, b2, eps, false);
  }
}

// A second thread's gradient block (two) is summed in and cleared in the same pass.
@inline function adamLoop(w: usize, m: usize, v: usize, g: usize, g2: usize, bytes: usize, lrT: f32, b1: f32, b2: f32, eps: f32, two: bool): void {
  const vb1 = f32x4.splat(b1);
  const vb2 = f32x4.splat(b2);
  const c1 = f32x4.splat(<f32>1.0 - b1);
  const c2 = f32x4.splat(<f32>1.0 - b2);
  const vlr = f32x4.splat(lrT);
  const veps = f32x4.splat(eps);
  const zero = f32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    let gv = v128.load(g + o);
    if (two) {
      gv = f32x4.add(gv, v128.load(g2 + o));
      v128.store(g2 + o, zero);
    }
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(c1, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const upd = f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps));
    v128.store(w + o, f32x4.sub(v128.load(w + o), upd));
    v128.store(g + o, zero);
  }
}

/** w *= mask elementwise, n a multiple of 4. Adding +0 turns −0 into +0 (pruned weights are exact zeros). */
export function applyMask(w: usize, mask: usize, n: i32): void {
  const bytes = <usize>n * 4;
  const zero = f32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(w + o, f32x4.add(f32x4.mul(v128.load(w + o), v128.load(mask + o)), zero));
  }
}

/** Where the host may start its buffers (after this module's static data). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

// ---------------------------------------------------------------------------------------
// Whole passes, driven by a layout table (so a worker thread runs the same code on its half)
// ---------------------------------------------------------------------------------------
// The table's slots are described once, in ./layout.ts (the host writes them from there too).

@inline function slot(t: usize, i: i32): i32 {
  return load<i32>(t + <usize>i * 4);
}

@inline function lslot(t: usize, l: i32, i: i32): usize {
  return <usize>load<i32>(t + <usize>(T_LAYERS + l * T_STRIDE + i) * 4);
}

/** Forward pass of the table's rows; with labels, loss sum and correct count go to the table. */
export function forwardPass(t: usize, withLabels: i32, withGrad: i32): f64 {
  const n = slot(t, T_NUM_LAYERS);
  const count = slot(t, T_COUNT);
  sparsifyU8(<usize>slot(t, T_INPUT), count, slot(t, T_INPUT_DIM), lslot(t, 0, L_NZ_IDX), lslot(t, 0, L_NZ_VAL), lslot(t, 0, L_NZ_CNT));
  for (let l = 0; l < n; l++) {
    const relu = l < n - 1 ? 1 : 0;
    forwardSparse(
      lslot(t, l, L_NZ_IDX), lslot(t, l, L_NZ_VAL), lslot(t, l, L_NZ_CNT), <i32>lslot(t, l, L_IN_DIM), count,
      lslot(t, l, L_WEIGHTS), lslot(t, l, L_BIAS), lslot(t, l, L_ACT), <i32>lslot(t, l, L_OUT_P), relu,
    );
    if (relu != 0) {
      sparsifyF32(lslot(t, l, L_ACT), <i32>lslot(t, l, L_OUT_P), count, <i32>lslot(t, l, L_UNITS), lslot(t, l + 1, L_NZ_IDX), lslot(t, l + 1, L_NZ_VAL), lslot(t, l + 1, L_NZ_CNT));
    }
  }
  const last = n - 1;
  const loss = softmaxLoss(
    lslot(t, last, L_ACT), <i32>lslot(t, last, L_OUT_P), slot(t, T_CLASSES), count,
    withLabels != 0 ? <usize>slot(t, T_LABELS) : 0, withGrad != 0 ? lslot(t, last, L_DZ) : 0, slot(t, T_DENOM),
  );
  store<i32>(t + <usize>T_CORRECT * 4, lastCorrect);
  store<f64>(t + <usize>T_LOSS_F64 * 4, loss);
  return loss;
}

/** Forward + backward of the table's rows: gradients of the mean loss ADDED to the gradient block. */
export function trainPass(t: usize): f64 {
  const loss = forwardPass(t, 1, 1);
  const n = slot(t, T_NUM_LAYERS);
  const count = slot(t, T_COUNT);
  const delta = <usize>slot(t, T_GRAD_DELTA);
  for (let l = n - 1; l >= 0; l--) {
    const outP = <i32>lslot(t, l, L_OUT_P);
    const dim = <i32>lslot(t, l, L_IN_DIM);
    columnize(lslot(t, l, L_NZ_IDX), lslot(t, l, L_NZ_VAL), lslot(t, l, L_NZ_CNT), dim, count, lslot(t, l, L_COL_START), lslot(t, l, L_COL_POS), lslot(t, l, L_COL_B), lslot(t, l, L_COL_V));
    weightGradCols(lslot(t, l, L_COL_START), lslot(t, l, L_COL_B), lslot(t, l, L_COL_V), dim, count, lslot(t, l, L_DZ), outP, lslot(t, l, L_WEIGHTS) + delta, lslot(t, l, L_BIAS) + delta);
    if (l > 0) {
      backwardSparse(
        lslot(t, l, L_NZ_IDX), lslot(t, l, L_NZ_CNT), <i32>lslot(t, l, L_IN_DIM), count,
        lslot(t, l, L_DZ), outP, lslot(t, l, L_WEIGHTS), lslot(t, l - 1, L_DZ), <i32>lslot(t, l - 1, L_OUT_P),
      );
    }
  }
  return loss;
}
