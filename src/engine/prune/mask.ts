/**
 * Pruning masks with tfmot 0.8's rules (`pruning_impl.Pruning`):
 *
 * - element-wise: k = max(round_half_to_even(float32(size)·float32(1 − s)), 1) weights kept;
 *   threshold = the k-th largest |w| (top_k over the whole tensor); keep |w| ≥ threshold, so
 *   ties at the threshold keep MORE than k weights, exactly as tfmot does;
 * - block sparsity: |w| pooled (AVG or MAX) over [r, c] blocks by two 1-D poolings with
 *   'SAME' padding (TF puts ⌊pad/2⌋ before, the rest after; AVG ignores the padding), the
 *   element-wise rule on the pooled tensor, then the pooled mask expanded back block by block
 *   from the top-left corner and cut to the kernel's shape (like tfmot's `expand_tensor` +
 *   `tf.slice`: when the size is not a multiple of the block, TF's pooling windows start
 *   ⌊pad/2⌋ early while the expanded blocks do not — tfmot's behaviour, kept on purpose);
 * - m-by-n (tfmot `sparsity_m_by_n=(m, n)`): m zeros in every n consecutive weights along the
 *   INPUT dimension of each output unit (the TFLite [out, in] layout); the n − m largest |w|
 *   are kept, ties go to the lower index (TF top_k), the input dimension is zero-padded to a
 *   multiple of n. There is no threshold; tfmot reports 999.0 and so do we.
 *
 * Only kernels are masked, never biases.
 */
import { BadInputError } from '../errors';

const f32 = Math.fround;

/** tfmot's threshold for m-by-n masks ("We need to return some numbers for threshold"). */
export const M_BY_N_THRESHOLD = 999;

export interface MaskOptions {
  /** [rows, cols]; [1, 1] = element-wise. */
  blockSize: [number, number];
  blockPooling: 'AVG' | 'MAX';
  /** [m, n]: m zeros in every n consecutive weights; null = off. */
  sparsityMN: [number, number] | null;
}

export const ELEMENTWISE: MaskOptions = { blockSize: [1, 1], blockPooling: 'AVG', sparsityMN: null };

export interface MaskResult {
  /** 1 = keep, 0 = pruned; same layout as the kernel. */
  mask: Float32Array;
  /** |w| threshold (pooled value for block masks; 999 for m-by-n). */
  threshold: number;
}

/** tf.math.round: halves go to the even neighbour. */
export function roundHalfToEven(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff < 0.5) {
    return fl;
  }
  if (diff > 0.5) {
    return fl + 1;
  }
  return fl % 2 === 0 ? fl : fl + 1;
}

/** Weights kept in a tensor of `size` elements at sparsity `s` (tfmot's k, float32 arithmetic). */
export function keptCount(size: number, sparsity: number): number {
  const prod = f32(f32(size) * f32(1 - f32(sparsity)));
  return Math.max(roundHalfToEven(prod), 1);
}

/** Element-wise magnitude mask of one tensor. */
export function magnitudeMask(weights: Float32Array, sparsity: number): MaskResult {
  const size = weights.length;
  const mask = new Float32Array(size);
  if (size === 0) {
    return { mask, threshold: 0 };
  }
  const k = Math.min(keptCount(size, sparsity), size);
  const abs = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    abs[i] = Math.abs(weights[i]);
  }
  // Ascending numeric sort; the k-th largest is at size − k.
  const sorted = abs.slice().sort();
  const threshold = sorted[size - k];
  for (let i = 0; i < size; i++) {
    mask[i] = abs[i] >= threshold ? 1 : 0;
  }
  return { mask, threshold };
}

/** One 1-D pooling pass over rows of a [rows, cols] matrix with window = stride = `win`, SAME padding. */
function poolRows(src: Float32Array, rows: number, cols: number, win: number, pooling: 'AVG' | 'MAX'): { out: Float32Array; outRows: number } {
  const outRows = Math.ceil(rows / win);
  const padBefore = Math.floor((outRows * win - rows) / 2);
  const out = new Float32Array(outRows * cols);
  for (let i = 0; i < outRows; i++) {
    const r0 = Math.max(i * win - padBefore, 0);
    const r1 = Math.min(i * win - padBefore + win, rows);
    for (let c = 0; c < cols; c++) {
      if (pooling === 'MAX') {
        let m = -Infinity;
        for (let r = r0; r < r1; r++) {
          m = Math.max(m, src[r * cols + c]);
        }
        out[i * cols + c] = m;
      } else {
        let s = 0;
        for (let r = r0; r < r1; r++) {
          s = f32(s + src[r * cols + c]);
        }
        out[i * cols + c] = f32(s / (r1 - r0));
      }
    }
  }
  return { out, outRows };
}

function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[c * rows + r] = src[r * cols + c];
    }
  }
  return out;
}

/**
 * |w| pooled over [br, bc] blocks the way tfmot's `factorized_pool` does it: first along the
 * rows (window br), then along the columns (window bc). Returns [ceil(rows/br), ceil(cols/bc)].
 */
export function factorizedPool(
  abs: Float32Array,
  rows: number,
  cols: number,
  block: [number, number],
  pooling: 'AVG' | 'MAX',
): { pooled: Float32Array; rows: number; cols: number } {
  const h = poolRows(abs, rows, cols, block[0], pooling);
  const t = transpose(h.out, h.outRows, cols); // [cols, outRows]
  const w = poolRows(t, cols, h.outRows, block[1], pooling); // [outCols, outRows]
  return { pooled: transpose(w.out, w.outRows, h.outRows), rows: h.outRows, cols: w.outRows };
}

/** Block-sparse mask of a [rows, cols] kernel. */
export function blockMask(
  weights: Float32Array,
  rows: number,
  cols: number,
  sparsity: number,
  block: [number, number],
  pooling: 'AVG' | 'MAX',
): MaskResult {
  const [br, bc] = block;
  if (br === 1 && bc === 1) {
    return magnitudeMask(weights, sparsity);
  }
  const abs = new Float32Array(weights.length);
  for (let i = 0; i < abs.length; i++) {
    abs[i] = Math.abs(weights[i]);
  }
  const p = factorizedPool(abs, rows, cols, block, pooling);
  const pm = magnitudeMask(p.pooled, sparsity);
  const mask = new Float32Array(weights.length);
  for (let r = 0; r < rows; r++) {
    const pr = Math.floor(r / br);
    for (let c = 0; c < cols; c++) {
      mask[r * cols + c] = pm.mask[pr * p.cols + Math.floor(c / bc)];
    }
  }
  return { mask, threshold: pm.threshold };
}

/** m-by-n structured mask of a [rows = inputs, cols = units] kernel: m zeros per n inputs. */
export function mByNMask(weights: Float32Array, rows: number, cols: number, mn: [number, number]): MaskResult {
  const [m, n] = mn;
  const keep = n - m;
  const mask = new Float32Array(weights.length);
  const groups = Math.ceil(rows / n);
  const vals = new Float32Array(n);
  const order: number[] = [];
  for (let o = 0; o < cols; o++) {
    for (let g = 0; g < groups; g++) {
      order.length = 0;
      for (let t = 0; t < n; t++) {
        const i = g * n + t;
        vals[t] = i < rows ? Math.abs(weights[i * cols + o]) : 0;
        order.push(t);
      }
      // Largest first; equal values keep the lower index first (TF top_k).
      order.sort((a, b) => vals[b] - vals[a] || a - b);
      for (let j = 0; j < keep; j++) {
        const i = g * n + order[j];
        if (i < rows) {
          mask[i * cols + o] = 1;
        }
      }
    }
  }
  return { mask, threshold: M_BY_N_THRESHOLD };
}

/** Checks block / m-by-n options; the error names the config field. */
export function validateMaskOptions(opts: MaskOptions): void {
  const [br, bc] = opts.blockSize;
  if (!Number.isInteger(br) || !Number.isInteger(bc) || br < 1 || bc < 1) {
    throw new BadInputError(`blockSize must be two integers ≥ 1, got [${br}, ${bc}]`, 'prune.blockSize');
  }
  if (opts.blockPooling !== 'AVG' && opts.blockPooling !== 'MAX') {
    throw new BadInputError(`blockPooling must be "AVG" or "MAX", got ${String(opts.blockPooling)}`, 'prune.blockPooling');
  }
  if (opts.sparsityMN) {
    const [m, n] = opts.sparsityMN;
    if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 1 || m >= n) {
      throw new BadInputError(`sparsityMN must be [m, n] with integers 0 ≤ m < n (m zeros in every n weights), got [${m}, ${n}]`, 'prune.sparsityMN');
    }
  }
}

/** The mask of one [rows, cols] kernel at the scheduled sparsity (m-by-n ignores the sparsity value, as in tfmot). */
export function computeMask(kernel: Float32Array, rows: number, cols: number, sparsity: number, opts: MaskOptions): MaskResult {
  if (opts.sparsityMN) {
    return mByNMask(kernel, rows, cols, opts.sparsityMN);
  }
  return blockMask(kernel, rows, cols, sparsity, opts.blockSize, opts.blockPooling);
}

/** Fraction of exact zeros. */
export function measuredSparsity(values: Float32Array): number {
  if (values.length === 0) {
    return 0;
  }
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) {
      zeros++;
    }
  }
  return zeros / values.length;
}
