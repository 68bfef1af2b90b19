/**
 * What several kinds' TFLite lowerings share: Keras → TFLite weight layouts, window shapes and
 * the typed reading of a node's parsed config (the kinds' own config types live with the kinds;
 * these readers fail clearly instead of trusting a field blindly).
 */
import { BadInputError } from '../../errors';
import type { LayerNode } from '../../graph/types';
import type { PadMode } from './lowered';

function field(node: LayerNode, key: string): unknown {
  const v = node.config[key];
  if (v === undefined) {
    throw new BadInputError(`TFLite export: layer '${node.name}' (${node.className}) has no '${key}' in its config.`, node.name);
  }
  return v;
}

export function pairOf(node: LayerNode, key: string, fallback?: [number, number]): [number, number] {
  const v = node.config[key] ?? fallback;
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) > 0)) {
    return [v[0] as number, v[1] as number];
  }
  throw new BadInputError(`TFLite export: layer '${node.name}': '${key}' must be a pair of positive integers, got ${JSON.stringify(v)}.`, node.name);
}

export function paddingOf(node: LayerNode): PadMode {
  const v = node.config.padding ?? 'valid';
  if (v === 'same' || v === 'valid') {
    return v;
  }
  throw new BadInputError(`TFLite export: layer '${node.name}': padding must be 'same' or 'valid', got ${JSON.stringify(v)}.`, node.name);
}

export function stringOf(node: LayerNode, key: string, fallback?: string): string {
  const v = node.config[key] ?? fallback;
  if (typeof v === 'string') {
    return v;
  }
  return String(field(node, key));
}

export function numberOf(node: LayerNode, key: string, fallback?: number): number {
  const v = node.config[key] ?? fallback;
  if (typeof v === 'number' && Number.isFinite(v)) {
    return v;
  }
  throw new BadInputError(`TFLite export: layer '${node.name}': '${key}' must be a number, got ${JSON.stringify(v)}.`, node.name);
}

export function boolOf(node: LayerNode, key: string, fallback: boolean): boolean {
  const v = node.config[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** TensorFlow's output size: 'same' → ceil(n / s), 'valid' → ceil((n − (k − 1)·d) / s). */
export function outSize(n: number, k: number, s: number, d: number, padding: PadMode): number {
  return padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - (k - 1) * d) / s);
}

/** The top/left padding TensorFlow uses for 'same' (the extra row/column goes bottom/right). */
export function padBefore(n: number, k: number, s: number, d: number, padding: PadMode): number {
  if (padding === 'valid') {
    return 0;
  }
  const out = Math.ceil(n / s);
  const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - n);
  return Math.floor(total / 2);
}

/** Keras Conv2D kernel [kh, kw, in, out] → TFLite OHWI [out, kh, kw, in]. */
export function hwioToOhwi(k: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          out[((o * kh + y) * kw + x) * cin + i] = k[((y * kw + x) * cin + i) * cout + o];
        }
      }
    }
  }
  return out;
}

/** Keras Dense kernel [in, out] → TFLite [out, in]. */
export function transposeKernel(k: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(k.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      t[c * rows + r] = k[r * cols + c];
    }
  }
  return t;
}

export function imageShapeOf(shape: number[], node: LayerNode): [number, number, number] {
  if (shape.length !== 3) {
    throw new BadInputError(`TFLite export: layer '${node.name}' (${node.className}) needs an image input [height, width, channels], got [${shape.join(', ')}].`, node.name);
  }
  return [shape[0], shape[1], shape[2]];
}
