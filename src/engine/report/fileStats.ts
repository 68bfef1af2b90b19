/**
 * Sizes and sparsity measured from saved model files (never from the in-memory model), so
 * the comparison table shows what a deployment actually gets.
 */
import { gzipSync } from 'node:zlib';
import type { ReadTflite } from '../export/tflite/reader';
import { isDenseOp } from '../export/tflite/dense';
import { BuiltinOperator, TensorType } from '../export/tflite/schema';
import { LIMITS, readFileLimited } from '../util/safeRead';

export interface WeightStats {
  params: number;
  nonzeros: number;
  layers: { name: string; sparsity: number }[];
}

export async function fileSizes(files: string[]): Promise<{ bytes: number; gzipBytes: number }> {
  let bytes = 0;
  let gzipBytes = 0;
  for (const f of files) {
    const data = await readFileLimited(f, { what: 'model file', maxBytes: LIMITS.model });
    bytes += data.length;
    gzipBytes += gzipSync(data, { level: 9 }).length;
  }
  return { bytes, gzipBytes };
}

/** Zeros of a constant TFLite tensor: value == zero point for quantized types, ±0 for floats. */
function countTensor(t: ReadTflite['tensors'][number]): { n: number; zeros: number } {
  const data = t.data;
  if (!data) {
    return { n: 0, zeros: 0 };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const zp = t.quant?.zeroPoint ?? [];
  let n: number;
  let zeros = 0;
  switch (t.type) {
    case TensorType.FLOAT32:
      n = data.length / 4;
      for (let i = 0; i < n; i++) {
        if (view.getFloat32(4 * i, true) === 0) {
          zeros++;
        }
      }
      break;
    case TensorType.FLOAT16:
      n = data.length / 2;
      for (let i = 0; i < n; i++) {
        if ((view.getUint16(2 * i, true) & 0x7fff) === 0) {
          zeros++;
        }
      }
      break;
    case TensorType.INT8: {
      n = data.length;
      // Per-channel zero points along dim 0 ([units, in] weights); symmetric weights all use 0.
      const rows = t.shape[0] ?? 1;
      const perRow = n / rows;
      for (let i = 0; i < n; i++) {
        const z = zp.length > 1 ? zp[Math.floor(i / perRow)] : (zp[0] ?? 0);
        if (view.getInt8(i) === z) {
          zeros++;
        }
      }
      break;
    }
    case TensorType.INT32:
      n = data.length / 4;
      for (let i = 0; i < n; i++) {
        if (view.getInt32(4 * i, true) === (zp[0] ?? 0)) {
          zeros++;
        }
      }
      break;
    default:
      n = data.length;
  }
  return { n, zeros };
}

function layerNameOf(tensorName: string, index: number): string {
  const m = /(?:^|\/)(dense(?:_\d+)?|[^/]+)\/(?:MatMul|Tensordot|BiasAdd|Conv2D|depthwise)/.exec(tensorName);
  return m ? m[1] : `fully_connected_${index}`;
}

/** Per-layer kernel sparsity (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D) from a TFLite graph's buffers (through DEQUANTIZE when present). */
export function tfliteStats(g: ReadTflite): WeightStats {
  const producer = new Map<number, number>();
  g.operators.forEach((o, i) => o.outputs.forEach((t) => producer.set(t, i)));
  const constOf = (t: number): number => {
    // Follow a DEQUANTIZE back to its constant source (float16 weights).
    const p = producer.get(t);
    if (p !== undefined && g.operators[p].op === BuiltinOperator.DEQUANTIZE && g.tensors[g.operators[p].inputs[0]].data) {
      return g.operators[p].inputs[0];
    }
    return t;
  };
  let params = 0;
  let nonzeros = 0;
  g.tensors.forEach((t, i) => {
    // RESHAPE target shapes are constants too, but not parameters.
    if (g.operators.some((o) => o.op === BuiltinOperator.RESHAPE && o.inputs[1] === i)) {
      return;
    }
    const c = countTensor(t);
    params += c.n;
    nonzeros += c.n - c.zeros;
  });
  const layers: WeightStats['layers'] = [];
  g.operators
    .filter(isDenseOp)
    .forEach((o, i) => {
      const w = g.tensors[constOf(o.inputs[1])];
      const c = countTensor(w);
      layers.push({ name: layerNameOf(w.name, i), sparsity: c.n ? c.zeros / c.n : 0 });
    });
  return { params, nonzeros, layers };
}
