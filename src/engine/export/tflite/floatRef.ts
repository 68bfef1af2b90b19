/**
 * The float forward pass of a Lowered model, one sample at a time, in plain JS: what
 * calibration records activation ranges from (every tensor, after fusion, exactly as the
 * .tflite computes it). Independent of tfjs: the tests compare it and the files with the
 * kinds' tfjs forward passes.
 */
import { walkLowered, type ConvOp, type FusedAct, type LOp, type Lowered } from './lowered';
import { padBefore } from './lowerHelpers';

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function clampAct(v: number, act: FusedAct): number {
  if (act === 'RELU') {
    return v < 0 ? 0 : v;
  }
  if (act === 'RELU6') {
    return v < 0 ? 0 : v > 6 ? 6 : v;
  }
  return v;
}

function conv(op: ConvOp, x: Float32Array, xs: number[], ys: number[]): Float32Array {
  const [h, w, cin] = xs;
  const [ho, wo, cout] = ys;
  const [, kh, kw] = op.filterShape;
  const [sh, sw] = op.strides;
  const [dh, dw] = op.dilation;
  const pt = padBefore(h, kh, sh, dh, op.padding);
  const pl = padBefore(w, kw, sw, dw, op.padding);
  const y = new Float32Array(ho * wo * cout);
  const f = op.filter;
  const depthwise = op.type === 'depthwise';
  const m = op.depthMultiplier;
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      for (let oc = 0; oc < cout; oc++) {
        let acc = op.bias[oc];
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) {
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= w) {
              continue;
            }
            const xo = (iy * w + ix) * cin;
            if (depthwise) {
              acc += x[xo + Math.floor(oc / m)] * f[(ky * kw + kx) * cout + oc];
            } else {
              const fo = ((oc * kh + ky) * kw + kx) * cin;
              for (let ic = 0; ic < cin; ic++) {
                acc += x[xo + ic] * f[fo + ic];
              }
            }
          }
        }
        y[(oy * wo + ox) * cout + oc] = clampAct(acc, op.act);
      }
    }
  }
  return y;
}

function pool(op: LOp & { type: 'maxPool' | 'avgPool' }, x: Float32Array, xs: number[], ys: number[]): Float32Array {
  const [h, w, c] = xs;
  const [ho, wo] = ys;
  const [ph, pw] = op.pool;
  const [sh, sw] = op.strides;
  const pt = padBefore(h, ph, sh, 1, op.padding);
  const pl = padBefore(w, pw, sw, 1, op.padding);
  const y = new Float32Array(ho * wo * c);
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = op.type === 'maxPool' ? -Infinity : 0;
        let n = 0;
        for (let ky = 0; ky < ph; ky++) {
          const iy = oy * sh - pt + ky;
          for (let kx = 0; kx < pw; kx++) {
            const ix = ox * sw - pl + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              continue;
            }
            const v = x[(iy * w + ix) * c + ch];
            acc = op.type === 'maxPool' ? Math.max(acc, v) : acc + v;
            n++;
          }
        }
        y[(oy * wo + ox) * c + ch] = op.type === 'maxPool' ? acc : acc / n;
      }
    }
  }
  return y;
}

/** Runs one op on float inputs. */
export function runFloatOp(op: LOp, ins: Float32Array[], inShapes: number[][], outShape: number[]): Float32Array {
  const x = ins[0];
  const n = size(outShape);
  switch (op.type) {
    case 'conv2d':
    case 'depthwise':
      return conv(op, x, inShapes[0], outShape);
    case 'fc': {
      const k = x.length;
      const y = new Float32Array(op.units);
      for (let o = 0; o < op.units; o++) {
        let acc = op.bias[o];
        for (let i = 0; i < k; i++) {
          acc += op.weights[o * k + i] * x[i];
        }
        y[o] = clampAct(acc, op.act);
      }
      return y;
    }
    case 'maxPool':
    case 'avgPool':
      return pool(op, x, inShapes[0], outShape);
    case 'mean':
    case 'reduceMax': {
      const c = inShapes[0][2];
      const hw = inShapes[0][0] * inShapes[0][1];
      const y = new Float32Array(c);
      for (let ch = 0; ch < c; ch++) {
        let acc = op.type === 'mean' ? 0 : -Infinity;
        for (let i = 0; i < hw; i++) {
          acc = op.type === 'mean' ? acc + x[i * c + ch] : Math.max(acc, x[i * c + ch]);
        }
        y[ch] = op.type === 'mean' ? acc / hw : acc;
      }
      return y;
    }
    case 'reshape':
      return Float32Array.from(x);
    case 'softmax': {
      const c = outShape[outShape.length - 1];
      const y = new Float32Array(n);
      for (let r = 0; r < n / c; r++) {
        let max = -Infinity;
        for (let j = 0; j < c; j++) {
          max = Math.max(max, x[r * c + j]);
        }
        let sum = 0;
        for (let j = 0; j < c; j++) {
          sum += Math.exp(x[r * c + j] - max);
        }
        for (let j = 0; j < c; j++) {
          y[r * c + j] = Math.exp(x[r * c + j] - max) / sum;
        }
      }
      return y;
    }
    case 'logistic':
      return x.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return x.map((v) => Math.tanh(v));
    case 'hardSwish':
      return x.map((v) => (v * Math.min(6, Math.max(0, v + 3))) / 6);
    case 'relu':
      return x.map((v) => Math.max(0, v));
    case 'relu6':
      return x.map((v) => Math.min(6, Math.max(0, v)));
    case 'add':
      return x.map((v, i) => clampAct(v + ins[1][i], op.act));
    case 'mul':
      return x.map((v, i) => v * ins[1][i]);
    case 'concat': {
      const y = new Float32Array(n);
      const outer = outShape.slice(0, op.axis).reduce((a, b) => a * b, 1);
      const inner = (s: number[]): number => s.slice(op.axis).reduce((a, b) => a * b, 1);
      const total = inner(outShape);
      let off = 0;
      ins.forEach((t, k) => {
        const len = inner(inShapes[k]);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < len; i++) {
            y[o * total + off + i] = clampAct(t[o * len + i], op.act);
          }
        }
        off += len;
      });
      return y;
    }
    case 'pad': {
      const [h, w, c] = inShapes[0];
      const [, wo] = outShape;
      const y = new Float32Array(n);
      const [[top], [left]] = op.paddings;
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < w; ix++) {
          y.set(x.subarray((iy * w + ix) * c, (iy * w + ix + 1) * c), ((iy + top) * wo + ix + left) * c);
        }
      }
      return y;
    }
    case 'affine': {
      const c = op.scale.length;
      // MUL then ADD, each rounded to float32, as the file's two ops compute it.
      return x.map((v, i) => Math.fround(v * op.scale[c === 1 ? 0 : i % c]) + op.shift[op.shift.length === 1 ? 0 : i % op.shift.length]);
    }
  }
}

/**
 * Runs samples [start, start + count) of `inputs` (flat, per-sample size of the input tensor)
 * through the model; `visit(tensor, values)` sees every tensor's values per sample (the input
 * too). Returns the outputs, concatenated.
 */
export function forwardLowered(l: Lowered, inputs: Float32Array, start: number, count: number, visit?: (t: number, v: Float32Array) => void): Float32Array {
  const inSize = size(l.tensors[l.input].shape);
  const outSize = size(l.tensors[l.output].shape);
  const out = new Float32Array(count * outSize);
  for (let s = 0; s < count; s++) {
    const x = inputs.subarray((start + s) * inSize, (start + s + 1) * inSize);
    const values = walkLowered(l, x, (op, _k, ins, inShapes, outShape) => runFloatOp(op, ins, inShapes, outShape), visit);
    out.set(values.get(l.output) as Float32Array, s * outSize);
  }
  return out;
}
