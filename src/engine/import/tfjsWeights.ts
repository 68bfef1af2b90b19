/**
 * TF.js weight shards → named Float32Arrays, through tfjs-core's own decoder
 * (`tf.io.decodeWeights`): float32, int32, bool, uint8/uint16-quantized and float16-quantized
 * weights come out exactly as `tf.loadLayersModel` sees them. Before decoding, the manifest
 * is checked against the bytes (each weight's size from its shape and dtype), so a truncated
 * or lying shard is a clear error, not a RangeError or a silently short tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BadInputError } from '../errors';

export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
  group?: string;
}

export interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

export interface DecodedWeight {
  name: string;
  shape: number[];
  /** Dequantized values, as float32 (int32 weights converted). */
  values: Float32Array;
  /** The dtype stored in the shards: 'float32', 'int32', 'uint8', 'uint16', 'float16', 'bool'. */
  storedAs: string;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
/** 2^28 values (1 GiB of float32) per weight: far above any model this tool handles. */
const MAX_VALUES = 2 ** 28;

function checkSpec(w: ManifestWeight, where: string): number {
  const fail = (problem: string): never => {
    throw new BadInputError(`${where}: weight '${String(w?.name)}' ${problem}. Save the model again with tfjs-layers (model.save) or the tensorflowjs converter.`, where);
  };
  if (typeof w?.name !== 'string' || !Array.isArray(w.shape)) {
    fail('has no name or shape in the weightsManifest');
  }
  let n = 1;
  for (const d of w.shape) {
    if (!Number.isInteger(d) || d < 0) {
      fail(`has a bad shape [${w.shape.join(', ')}]`);
    }
    n *= d;
  }
  if (n > MAX_VALUES) {
    fail(`has ${n} values, more than the ${MAX_VALUES} a weight may have here`);
  }
  const q = w.quantization;
  if (q) {
    if (!['uint8', 'uint16', 'float16'].includes(q.dtype)) {
      fail(`is quantized as '${q.dtype}'; TF.js writes uint8, uint16 or float16`);
    }
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number' || !Number.isFinite(q.scale) || !Number.isFinite(q.min))) {
      fail(`is ${q.dtype}-quantized without a finite scale and min`);
    }
    if (w.dtype !== 'float32' && !(w.dtype === 'int32' && q.dtype !== 'float16')) {
      fail(`has dtype ${w.dtype} with ${q.dtype} quantization`);
    }
    return n * BYTES[q.dtype];
  }
  if (!['float32', 'int32', 'bool'].includes(w.dtype)) {
    fail(`has dtype '${w.dtype}'; a layers model's weights are float32 or int32 (optionally quantized)`);
  }
  return n * BYTES[w.dtype];
}

/**
 * Decodes one manifest group from its shards' bytes (concatenated in `paths` order).
 * `where` names the model.json for messages.
 */
export function decodeTfjsGroup(group: ManifestGroup, data: Uint8Array, where: string): DecodedWeight[] {
  if (!Array.isArray(group.weights)) {
    throw new BadInputError(`${where}: a weightsManifest group has no weights list. Save the model again with tfjs-layers.`, where);
  }
  let need = 0;
  for (const w of group.weights) {
    need += checkSpec(w, where);
  }
  if (need !== data.length) {
    throw new BadInputError(
      `${where}: the weights manifest describes ${need} bytes but the weight file(s) ${group.paths.join(', ')} hold ${data.length}. ${need > data.length ? 'A shard is missing or truncated (an interrupted copy?)' : 'The shards do not belong to this model.json'}: copy the model folder again.`,
      where,
    );
  }
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  // Clean specs: tfjs-core tests `'quantization' in spec`, so a `quantization: null` would break it.
  const specs = group.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype, ...(w.quantization ? { quantization: w.quantization } : {}) }) as tf.io.WeightsManifestEntry);
  // decodeWeights makes tensors, which need an active backend. Before the engine has chosen
  // one (reports, tests), use cpu: it initialises synchronously, so no await is needed.
  if (!tf.engine().backendName) {
    void tf.setBackend('cpu');
  }
  const tensors = tf.io.decodeWeights(buffer, specs);
  try {
    return group.weights.map((w) => {
      const t = tensors[w.name];
      const v = t.dataSync();
      return {
        name: w.name,
        shape: [...w.shape],
        values: v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>),
        storedAs: w.quantization?.dtype ?? w.dtype,
      };
    });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
