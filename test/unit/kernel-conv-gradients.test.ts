/**
 * The convolution/pooling gradient kernels registered for the TF.js wasm backend
 * (src/engine/kernel/conv/) against independent references: TF.js autodiff on the cpu backend
 * (same loss, same inputs), and for dilated depthwise kernels (which TF.js autodiff refuses) a
 * float64 loop written from the definition. Error: max |ours − ref| / max |ref| ≤ 1e-4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../../src/engine/backend';
import { useOurForward, WASM_CONV_KERNEL_NAMES } from '../../src/engine/kernel/conv/register';
import { convKernelsVariant } from '../../src/engine/kernel/conv/wasmConv';
import { ensureKernelBuilt, repoRoot, rng } from './kernel-helpers';

const TOL = 1e-4;

function relErr(ours: Float32Array, ref: Float32Array | Float64Array): number {
  assert.equal(ours.length, ref.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  assert.ok(scale > 0, 'reference is all zeros: the case tests nothing');
  return diff / scale;
}

function randomArray(n: number, seed: number, ints = false): Float32Array {
  const r = rng(seed);
  // Small integers give exact ties (max-pool tie-breaking); otherwise uniform in [-1, 1).
  return new Float32Array(n).map(() => (ints ? Math.floor(r() * 4) : r() * 2 - 1));
}

type Shape = number[];
const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/**
 * Gradients of Σ f(inputs) · R (R fixed random, so dy is generic) w.r.t. every input, on a
 * backend. Returns them as Float32Arrays.
 */
async function gradsOn(backend: string, shapes: Shape[], values: Float32Array[], f: (xs: tf.Tensor[]) => tf.Tensor, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = shapes.map((s, i) => tf.tensor(values[i], s));
    const probe = f(xs);
    const r = tf.tensor(randomArray(size(probe.shape), seed), probe.shape);
    const g = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(args), r)));
    return g(xs).map((t) => t.dataSync() as Float32Array);
  });
}

async function compare(shapes: Shape[], f: (xs: tf.Tensor[]) => tf.Tensor, opts: { ints?: boolean } = {}): Promise<number[]> {
  const values = shapes.map((s, i) => randomArray(size(s), 100 + i, opts.ints));
  const ref = await gradsOn('cpu', shapes, values, f, 7);
  const ours = await gradsOn('wasm', shapes, values, f, 7);
  return ours.map((g, i) => relErr(g, ref[i]));
}

before(async () => {
  ensureKernelBuilt();
  const info = await initBackend('wasm');
  assert.match(info.detail ?? '', /conv gradients: SIMD kernels \((relaxed SIMD \(FMA\)|SIMD)\)/);
});

void describe('wasm conv kernels are registered', () => {
  void it('every kernel name has a wasm kernel, including the ones tfjs-backend-wasm lacks', () => {
    for (const name of WASM_CONV_KERNEL_NAMES) {
      assert.ok(tf.getKernel(name, 'wasm'), `${name} not registered for wasm`);
    }
    assert.ok(WASM_CONV_KERNEL_NAMES.includes('Conv2DBackpropFilter'));
    assert.ok(WASM_CONV_KERNEL_NAMES.includes('DepthwiseConv2dNativeBackpropFilter'));
    assert.ok(WASM_CONV_KERNEL_NAMES.includes('DepthwiseConv2dNativeBackpropInput'));
  });
});

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
const convCases: { label: string; x: Shape; w: Shape; strides: number | [number, number]; pad: Pad }[] = [
  { label: '3×3 valid, 5→7 channels (column remainders)', x: [3, 9, 8, 5], w: [3, 3, 5, 7], strides: 1, pad: 'valid' },
  { label: '3×2 same, stride 2, 6→16', x: [2, 10, 11, 6], w: [3, 2, 6, 16], strides: 2, pad: 'same' },
  { label: '5×5 same, strides [2, 1], 3→9', x: [2, 7, 7, 3], w: [5, 5, 3, 9], strides: [2, 1], pad: 'same' },
  { label: '3×3 same, stride 3 (gaps between windows)', x: [2, 11, 10, 4], w: [3, 3, 4, 8], strides: 3, pad: 'same' },
  { label: 'explicit padding, strides [1, 2]', x: [2, 8, 9, 3], w: [2, 3, 3, 5], strides: [1, 2], pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { label: '1×1 pointwise, 16→24', x: [2, 6, 6, 16], w: [1, 1, 16, 24], strides: 1, pad: 'valid' },
  { label: 'MNIST convnet conv 1 (1 channel)', x: [4, 28, 28, 1], w: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  { label: 'MNIST convnet conv 2 (32→64)', x: [4, 13, 13, 32], w: [3, 3, 32, 64], strides: 1, pad: 'valid' },
];

void describe('Conv2DBackpropFilter / Conv2DBackpropInput vs cpu autodiff', () => {
  for (const c of convCases) {
    void it(`${c.label}: dx, dW and the bias gradient within ${TOL}`, async () => {
      const errs = await compare([c.x, c.w, [c.w[3]]], ([x, w, b]) =>
        tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad), b),
      );
      assert.ok(errs.every((e) => e <= TOL), `dx ${errs[0]}, dW ${errs[1]}, bias ${errs[2]}`);
    });
  }
  void it('fused conv2d with bias and relu (the tfjs-layers path)', async () => {
    const errs = await compare([[3, 9, 9, 4], [3, 3, 4, 8], [8]], ([x, w, b]) =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
    );
    assert.ok(errs.every((e) => e <= TOL), `dx ${errs[0]}, dW ${errs[1]}, bias ${errs[2]}`);
  });
});

const dwCases: { label: string; x: Shape; w: Shape; strides: number | [number, number]; pad: Pad }[] = [
  { label: '3×3 same, multiplier 1, 8 channels', x: [2, 9, 9, 8], w: [3, 3, 8, 1], strides: 1, pad: 'same' },
  { label: '3×3 same, stride 2, multiplier 1, 6 channels (lane remainder)', x: [2, 10, 9, 6], w: [3, 3, 6, 1], strides: 2, pad: 'same' },
  { label: '3×3 same, stride 2, multiplier 1, 8 channels (vector path, strided)', x: [2, 11, 10, 8], w: [3, 3, 8, 1], strides: 2, pad: 'same' },
  { label: '5×3 valid, strides [1, 2], multiplier 1, 12 channels', x: [2, 9, 12, 12], w: [5, 3, 12, 1], strides: [1, 2], pad: 'valid' },
  { label: '3×3 explicit padding, stride 2, multiplier 1, 4 channels', x: [1, 7, 8, 4], w: [3, 3, 4, 1], strides: 2, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { label: '3×3 valid, multiplier 2', x: [2, 8, 8, 5], w: [3, 3, 5, 2], strides: 1, pad: 'valid' },
  { label: '5×3 same, strides [1, 2], multiplier 3', x: [3, 7, 9, 4], w: [5, 3, 4, 3], strides: [1, 2], pad: 'same' },
];

void describe('DepthwiseConv2dNativeBackpropFilter / Input vs cpu autodiff', () => {
  for (const c of dwCases) {
    void it(`${c.label}: dx and dW within ${TOL}`, async () => {
      const errs = await compare([c.x, c.w], ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad));
      assert.ok(errs.every((e) => e <= TOL), `dx ${errs[0]}, dW ${errs[1]}`);
    });
  }
});

void describe('dilated depthwise gradients vs a float64 loop from the definition', () => {
  // TF.js autodiff refuses dilations > 1, but the kernels accept them (Keras DepthwiseConv2D
  // dilation_rate): y[b, oh, ow, c·M + q] = Σ x[b, oh·s − pt + kh·d, ow·s − pl + kw·d, c] · w[kh, kw, c, q].
  for (const [B, H, W, C, M, KH, KW, D] of [[2, 9, 10, 3, 2, 3, 3, 2], [2, 10, 9, 8, 1, 3, 2, 3]]) {
    dilatedCase(B, H, W, C, M, KH, KW, D);
  }
});

function dilatedCase(B: number, H: number, W: number, C: number, M: number, KH: number, KW: number, D: number): void {
  const OH = H - (KH - 1) * D;
  const OW = W - (KW - 1) * D;
  const x = randomArray(B * H * W * C, 1);
  const w = randomArray(KH * KW * C * M, 2);
  const dy = randomArray(B * OH * OW * C * M, 3);
  const refDx = new Float64Array(x.length);
  const refDw = new Float64Array(w.length);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let kh = 0; kh < KH; kh++) {
          for (let kw = 0; kw < KW; kw++) {
            for (let c = 0; c < C; c++) {
              for (let q = 0; q < M; q++) {
                const xi = ((b * H + oh + kh * D) * W + ow + kw * D) * C + c;
                const wi = ((kh * KW + kw) * C + c) * M + q;
                const g = dy[((b * OH + oh) * OW + ow) * C * M + c * M + q];
                refDx[xi] += w[wi] * g;
                refDw[wi] += x[xi] * g;
              }
            }
          }
        }
      }
    }
  }
  void it(`dilation ${D}, multiplier ${M}, ${C} channels: dx and dW within ${TOL}`, async () => {
    await tf.setBackend('wasm');
    const attrs = { strides: [1, 1], dilations: [D, D], pad: 'valid' };
    const [dx, dw] = tf.tidy(() => {
      const dyT = tf.tensor4d(dy, [B, OH, OW, C * M]);
      const gx = tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropInput', { dy: dyT, filter: tf.tensor4d(w, [KH, KW, C, M]) }, { ...attrs, inputShape: [B, H, W, C] });
      const gw = tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, [B, H, W, C]), dy: dyT }, { ...attrs, filterShape: [KH, KW, C, M] });
      return [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array];
    });
    assert.ok(relErr(dx, refDx) <= TOL, `dx ${relErr(dx, refDx)}`);
    assert.ok(relErr(dw, refDw) <= TOL, `dW ${relErr(dw, refDw)}`);
  });
}

void describe('MaxPoolGrad vs cpu autodiff', () => {
  const cases: { label: string; x: Shape; size: number; strides: number; pad: 'valid' | 'same'; ints?: boolean }[] = [
    { label: '2×2 stride 2 valid (the convnet pools)', x: [4, 26, 26, 32], size: 2, strides: 2, pad: 'valid' },
    { label: '3×3 stride 2 same (overlapping, padded), 5 channels (lane remainder)', x: [2, 9, 10, 5], size: 3, strides: 2, pad: 'same' },
    { label: '2×2 stride 1 with exact ties: the first maximum gets the gradient', x: [2, 6, 7, 8], size: 2, strides: 1, pad: 'valid', ints: true },
  ];
  for (const c of cases) {
    void it(`${c.label}: dx within ${TOL}`, async () => {
      const [e] = await compare([c.x], ([x]) => tf.maxPool(x as tf.Tensor4D, c.size, c.strides, c.pad), { ints: c.ints });
      assert.ok(e <= TOL, `dx ${e}`);
    });
  }
});

void describe('AvgPoolGrad (TF semantics) vs the gradient of a float64 forward loop', () => {
  /** Average pooling as TF defines it: each window averages its in-bounds taps only. */
  function avgPool64(x: Float64Array, [B, H, W, C]: number[], k: number, s: number, pad: 'valid' | 'same'): { y: Float64Array; oh: number; ow: number } {
    const oh = pad === 'same' ? Math.ceil(H / s) : Math.floor((H - k) / s) + 1;
    const ow = pad === 'same' ? Math.ceil(W / s) : Math.floor((W - k) / s) + 1;
    const pt = pad === 'same' ? Math.floor(Math.max(0, (oh - 1) * s + k - H) / 2) : 0;
    const pl = pad === 'same' ? Math.floor(Math.max(0, (ow - 1) * s + k - W) / 2) : 0;
    const y = new Float64Array(B * oh * ow * C);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          for (let c = 0; c < C; c++) {
            let sum = 0;
            let n = 0;
            for (let u = 0; u < k; u++) {
              for (let v = 0; v < k; v++) {
                const ih = i * s - pt + u;
                const iw = j * s - pl + v;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                  sum += x[((b * H + ih) * W + iw) * C + c];
                  n++;
                }
              }
            }
            y[((b * oh + i) * ow + j) * C + c] = sum / n;
          }
        }
      }
    }
    return { y, oh, ow };
  }
  const cases: { label: string; x: number[]; k: number; s: number; pad: 'valid' | 'same' }[] = [
    { label: '3×3 stride 2 same, 6 channels (borders with 4 and 6 taps)', x: [2, 7, 8, 6], k: 3, s: 2, pad: 'same' },
    { label: '2×2 stride 2 same, odd sizes, 3 channels (lane remainder)', x: [1, 5, 7, 3], k: 2, s: 2, pad: 'same' },
    { label: '3×3 stride 1 valid, 4 channels', x: [2, 6, 6, 4], k: 3, s: 1, pad: 'valid' },
  ];
  for (const c of cases) {
    void it(`${c.label}: dx within ${TOL}; the forward matches TF.js on cpu and wasm`, async () => {
      const n = size(c.x);
      const xv = randomArray(n, 61);
      const { y, oh, ow } = avgPool64(Float64Array.from(xv), c.x, c.k, c.s, c.pad);
      const r = randomArray(y.length, 62);
      // The forward is linear: d(Σ y·r)/dx_i = Σ F(e_i)·r, from the forward definition alone.
      const ref = new Float64Array(n);
      const e = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        e[i] = 1;
        const yi = avgPool64(e, c.x, c.k, c.s, c.pad).y;
        let g = 0;
        for (let o = 0; o < yi.length; o++) {
          g += yi[o] * r[o];
        }
        ref[i] = g;
        e[i] = 0;
      }
      for (const backend of ['cpu', 'wasm']) {
        await tf.setBackend(backend);
        const fwd = tf.tidy(() => tf.avgPool(tf.tensor4d(xv, c.x as [number, number, number, number]), c.k, c.s, c.pad).dataSync() as Float32Array);
        assert.equal(fwd.length, c.x[0] * oh * ow * c.x[3]);
        assert.ok(relErr(fwd, y) <= TOL, `${backend} forward differs from the TF definition`);
      }
      await tf.setBackend('wasm');
      const ours = tf.tidy(() => {
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, c.k, c.s, c.pad), tf.tensor(r, [c.x[0], oh, ow, c.x[3]]))));
        return g(tf.tensor4d(xv, c.x as [number, number, number, number])).dataSync() as Float32Array;
      });
      const err = relErr(ours, ref);
      assert.ok(err <= TOL, `dx ${err}`);
    });
  }
  void it('with valid padding every window is full: ours equals TF.js cpu autodiff', async () => {
    const [e] = await compare([[2, 6, 7, 5]], ([x]) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'));
    assert.ok(e <= TOL, `${e}`);
  });
});

void describe('Mean and FusedBatchNorm (BatchNormalization) on wasm vs cpu', () => {
  const shape: [number, number, number, number] = [3, 5, 4, 7];
  const x = randomArray(size(shape), 71).map((v) => v * 3 + 1.5);
  const p = (seed: number, positive = false): Float32Array => randomArray(7, seed).map((v) => (positive ? Math.abs(v) + 0.1 : v));
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const t = tf.tensor4d(x, shape);
      const { mean, variance } = tf.moments(t, [0, 1, 2]); // our Mean (all but last)
      return [
        mean,
        variance,
        tf.mean(t, [0, 1, 2], true),
        tf.mean(t, [1, 2]), // another reduction: the backend's own kernel
        tf.mean(t),
        tf.batchNorm(t, mean, variance, tf.tensor1d(p(72)), tf.tensor1d(p(73)), 1e-3), // ours, [C] params
        tf.batchNorm(t, tf.tensor1d(p(74)), tf.tensor1d(p(75, true))), // no offset or scale
        tf.batchNorm(t, tf.tensor4d(p(76), [1, 1, 1, 7]), tf.tensor4d(p(77, true), [1, 1, 1, 7]), tf.tensor4d([0.5], [1, 1, 1, 1]), tf.tensor4d(p(78), [1, 1, 1, 7]), 1e-5), // rank-4 params, a one-value offset
        tf.batchNorm(t, tf.tensor4d(randomArray(5 * 4 * 7, 79), [1, 5, 4, 7]), tf.tensor4d(p(80, true), [1, 1, 1, 7])), // per-position mean: the backend's own
      ].map((r) => r.dataSync() as Float32Array);
    });
  };
  void it('statistics and normalisation match, whether ours or the fallback', async () => {
    const ref = await run('cpu');
    const ours = await run('wasm');
    ours.forEach((o, i) => {
      const e = relErr(Float32Array.from(o), Float32Array.from(ref[i]));
      assert.ok(e <= TOL, `#${i}: ${e}`);
    });
  });
  void it('BatchNormalization-style training gradients (moments + batchNorm + relu6) match cpu autodiff', async () => {
    const errs = await compare([[4, 6, 5, 9], [9], [9]], ([t, g, bt]) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.relu6(tf.batchNorm(t, mean, variance, bt, g, 1e-3));
    });
    errs.forEach((e, i) => assert.ok(e <= TOL, `input #${i}: ${e}`));
  });
});

void describe('Sum (bias gradients) on wasm vs cpu', () => {
  const x = randomArray(5 * 7 * 6 * 12, 9);
  const sums = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const t = tf.tensor4d(x, [5, 7, 6, 12]);
      return [
        tf.sum(t, [0, 1, 2]), // our column sum
        tf.sum(t, [0, 1, 2], true), // keepDims
        tf.sum(t, [2, 0, 1]), // same axes, another order
        tf.sum(t, [1]), // not "all but last": the backend's own kernel
        tf.sum(t), // every axis: the backend's own kernel
        tf.sum(tf.tensor2d(Int32Array.from({ length: 12 }, (_, i) => i - 5), [3, 4], 'int32'), 0), // int32: the backend's own
      ].map((s) => s.dataSync() as Float32Array);
    });
  };
  void it('every reduction matches, whether ours or the fallback', async () => {
    const ref = await sums('cpu');
    const ours = await sums('wasm');
    ours.forEach((s, i) => assert.ok(relErr(Float32Array.from(s), Float32Array.from(ref[i])) <= TOL, `sum #${i}: ${relErr(Float32Array.from(s), Float32Array.from(ref[i]))}`));
    await tf.setBackend('wasm');
    assert.deepEqual(tf.tidy(() => tf.sum(tf.tensor4d(x, [5, 7, 6, 12]), [0, 1, 2], true).shape), [1, 1, 1, 12]);
  });
});

void describe('forward Conv2D on wasm (ours where kh·kw·inC ≥ 32, else XNNPACK) vs cpu', () => {
  // [label, x shape, filter shape, strides, padding, dilation]
  const cases: [string, number[], number[], number | [number, number], 'valid' | 'same', number][] = [
    ['convnet conv2 (3×3×32 → 64, ours)', [3, 13, 13, 32], [3, 3, 32, 64], 1, 'valid', 1],
    ['stride 2 same, 3×3×8 → 12 (ours, N remainder 4)', [2, 9, 10, 8], [3, 3, 8, 12], 2, 'same', 1],
    ['strides [2, 1] same, 5 → 7 channels (ours, odd remainders)', [2, 8, 7, 5], [3, 3, 5, 7], [2, 1], 'same', 1],
    ['1×1, 40 → 16 (ours)', [2, 5, 6, 40], [1, 1, 40, 16], 1, 'valid', 1],
    ['dilation 2 same, 3×3×6 → 9 (ours, im2col dilated path)', [2, 11, 9, 6], [3, 3, 6, 9], 1, 'same', 2],
    ['convnet conv1 (3×3×1 → 32, XNNPACK)', [2, 28, 28, 1], [3, 3, 1, 32], 1, 'valid', 1],
  ];
  void it('routing: ours for kh·kw·inC ≥ 32 with the FMA build, XNNPACK below; the env override forces either', () => {
    assert.equal(useOurForward([3, 3, 32, 64]), true);
    assert.equal(useOurForward([1, 1, 40, 16]), true);
    assert.equal(useOurForward([3, 3, 1, 32]), false);
    assert.equal(useOurForward([3, 3, 3, 16]), false);
    process.env.MODEL_OPTIMIZER_CONV_FORWARD = 'ours';
    assert.equal(useOurForward([3, 3, 1, 32]), true);
    process.env.MODEL_OPTIMIZER_CONV_FORWARD = 'xnnpack';
    assert.equal(useOurForward([3, 3, 32, 64]), false);
    delete process.env.MODEL_OPTIMIZER_CONV_FORWARD;
  });
  void it(`a 1-channel input forced through ours (im2col's contiguous-row path, same padding borders) within ${TOL}`, async () => {
    const vx = randomArray(2 * 12 * 11, 43);
    const vw = randomArray(9 * 5, 44);
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.conv2d(tf.tensor4d(vx, [2, 12, 11, 1]), tf.tensor4d(vw, [3, 3, 1, 5]), 1, 'same').dataSync() as Float32Array);
    };
    const ref = await run('cpu');
    process.env.MODEL_OPTIMIZER_CONV_FORWARD = 'ours';
    try {
      const e = relErr(await run('wasm'), ref);
      assert.ok(e <= TOL, `${e}`);
    } finally {
      delete process.env.MODEL_OPTIMIZER_CONV_FORWARD;
    }
  });
  for (const [label, xs, ws, strides, pad, dil] of cases) {
    void it(`${label}: output within ${TOL}`, async () => {
      const vx = randomArray(size(xs), 41);
      const vw = randomArray(size(ws), 42);
      const run = async (backend: string): Promise<Float32Array> => {
        await tf.setBackend(backend);
        return tf.tidy(() => tf.conv2d(tf.tensor4d(vx, xs as [number, number, number, number]), tf.tensor4d(vw, ws as [number, number, number, number]), strides, pad, 'NHWC', dil).dataSync() as Float32Array);
      };
      const e = relErr(await run('wasm'), await run('cpu'));
      assert.ok(e <= TOL, `${label}: ${e}`);
    });
  }
});

void describe('BatchMatMul with a transposed operand (Dense gradients) on wasm vs cpu', () => {
  // [label, a shape, b shape, transposeA, transposeB]: Dense dx = dy·Wᵀ and dW = xᵀ·dy shapes,
  // GEMM remainders (N not a multiple of 8 or 4, M not a multiple of 4), rank 3 with batch 1,
  // and cases that go to the backend's own kernel (no transpose; batch 2).
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['dx = dy·Wᵀ (64×10 · (1600×10)ᵀ)', [64, 10], [1600, 10], false, true],
    ['dW = xᵀ·dy ((64×1600)ᵀ · 64×10)', [64, 1600], [64, 10], true, false],
    ['both transposed, odd sizes', [7, 13], [3, 7], true, true],
    ['transposeB, N = 5, M = 6', [6, 9], [5, 9], false, true],
    ['rank 3, batch 1, transposeA', [1, 11, 6], [1, 11, 12], true, false],
    ['no transpose (backend kernel)', [5, 8], [8, 3], false, false],
    ['batch 2, transposeB (backend kernel)', [2, 4, 6], [2, 5, 6], false, true],
  ];
  for (const [label, sa, sb, ta, tb] of cases) {
    void it(`${label}: product within ${TOL}`, async () => {
      const va = randomArray(size(sa), 31);
      const vb = randomArray(size(sb), 32);
      const run = async (backend: string): Promise<{ v: Float32Array; shape: number[] }> => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf.matMul(tf.tensor(va, sa), tf.tensor(vb, sb), ta, tb);
          return { v: y.dataSync() as Float32Array, shape: y.shape };
        });
      };
      const ref = await run('cpu');
      const ours = await run('wasm');
      assert.deepEqual(ours.shape, ref.shape);
      const e = relErr(ours.v, ref.v);
      assert.ok(e <= TOL, `${label}: ${e}`);
    });
  }
});

void describe('Identity on wasm shares the data instead of copying it', () => {
  void it('a clone reads the same values, allocates no bytes, and outlives the original', async () => {
    await tf.setBackend('wasm');
    const values = randomArray(1000, 5);
    const x = tf.tensor(values, [10, 100]);
    const buffers = (): number => (tf.memory() as { numDataBuffers: number }).numDataBuffers;
    const before = buffers();
    const y = tf.clone(x);
    assert.equal(buffers(), before, 'the clone allocated a data buffer of its own');
    x.dispose();
    assert.deepEqual(y.dataSync(), values);
    assert.deepEqual(y.shape, [10, 100]);
    y.dispose();
    assert.equal(buffers(), before - 1, 'the shared buffer was not freed with its last tensor');
  });
  void it('gradients through saved tensors (every saved input is cloned) match cpu', async () => {
    const [e1, e2] = await compare([[3, 8, 8, 4], [3, 3, 4, 6]], ([x, w]) => tf.relu(tf.conv2d(tf.relu(x) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')));
    assert.ok(e1 <= TOL && e2 <= TOL, `${e1} ${e2}`);
  });
});

void describe('conv-kernel.wasm and conv-kernel-relaxed.wasm', () => {
  void it('the relaxed-SIMD (FMA) build runs here and matches cpu autodiff; the plain SIMD build GEMM matches a float64 product', async () => {
    // Node 20 validates relaxed SIMD once the loader enabled it; this is the build the bench measures.
    assert.match(convKernelsVariant(), /relaxed SIMD/);
    const shapes = [[4, 9, 9, 6], [3, 3, 6, 10]];
    const values = shapes.map((sh, i) => randomArray(size(sh), 200 + i));
    const f = ([x, w]: tf.Tensor[]): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same');
    const relaxed = await gradsOn('wasm', shapes, values, f, 3);
    // The plain build, instantiated by hand on the same inputs through the exported GEMM.
    const plain = new WebAssembly.Module(readFileSync(join(repoRoot, 'dist', 'conv-kernel.wasm')));
    const mem = new WebAssembly.Memory({ initial: 1 });
    const k = new WebAssembly.Instance(plain, { env: { memory: mem } }).exports as unknown as { gemm(...a: number[]): void };
    const [M, N, K] = [5, 11, 7];
    const A = randomArray(M * K, 1);
    const B = randomArray(K * N, 2);
    new Float32Array(mem.buffer, 0, M * K).set(A);
    new Float32Array(mem.buffer, 4 * M * K, K * N).set(B);
    k.gemm(M, N, K, 0, K, 1, 4 * M * K, N, 4 * (M * K + K * N), N, 0);
    const C = new Float32Array(mem.buffer, 4 * (M * K + K * N), M * N);
    const ref = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        for (let p = 0; p < K; p++) {
          ref[i * N + j] += A[i * K + p] * B[p * N + j];
        }
      }
    }
    assert.ok(relErr(Float32Array.from(C), ref) <= 1e-6, 'plain SIMD GEMM');
    const cpu = await gradsOn('cpu', shapes, values, f, 3);
    relaxed.forEach((g, i) => assert.ok(relErr(g, cpu[i]) <= TOL, `relaxed build grad #${i}`));
  });
});

for (const file of ['conv-kernel.wasm', 'conv-kernel-relaxed.wasm']) {
    void describe(`${file} is safe to instantiate inside the backend memory`, () => {
    void it('imports its memory and has no data segment (which would overwrite the backend heap)', () => {
      const bytes = readFileSync(join(repoRoot, 'dist', file));
      const mod = new WebAssembly.Module(bytes);
      assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'env', name: 'memory', kind: 'memory' }]);
      const sections: number[] = [];
      for (let i = 8; i < bytes.length;) {
        const id = bytes[i++];
        let size = 0;
        for (let shift = 0; ; shift += 7) {
          const b = bytes[i++];
          size |= (b & 0x7f) << shift;
          if ((b & 0x80) === 0) {
            break;
          }
        }
        sections.push(id);
        i += size;
      }
      assert.ok(sections.includes(10), 'no code section: the parse is wrong');
      assert.ok(!sections.includes(11), `data section present (sections ${sections.join(', ')})`);
    });
  });
}
