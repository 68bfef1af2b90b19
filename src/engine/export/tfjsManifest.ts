/**
 * Checks a TF.js model.json's `weightsManifest` before anything trusts it: every group has
 * `paths` (strings) and `weights` (specs with a string name, a shape of non-negative integers,
 * a known dtype and quantization), and the bytes the specs declare are within the model size
 * cap. A fuzzed manifest otherwise surfaces as TypeErrors and RangeErrors deep in the decoders.
 * Returns the total number of weight bytes the manifest declares, which the weight files
 * must then hold exactly.
 */
import { BadInputError } from '../errors';
import { LIMITS } from '../util/safeRead';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkWeightsManifest(manifest: unknown, where: string): number {
  const bad = (problem: string): never => {
    throw new BadInputError(
      `${where}: ${problem}. The model.json is damaged or was not written by tfjs (model.save) or the tensorflowjs converter: save or convert the model again.`,
      where,
    );
  };
  if (!Array.isArray(manifest) || manifest.length === 0) {
    return bad('weightsManifest is missing or not a list of weight groups');
  }
  let total = 0;
  manifest.forEach((group: unknown, g) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      return bad(`weightsManifest[${g}] needs "paths" and "weights" lists`);
    }
    group.paths.forEach((p: unknown, i) => {
      if (typeof p !== 'string' || p.length === 0) {
        bad(`weightsManifest[${g}].paths[${i}] is not a file name`);
      }
    });
    group.weights.forEach((spec: unknown, i) => {
      const at = `weightsManifest[${g}].weights[${i}]`;
      if (!isRecord(spec) || typeof spec.name !== 'string') {
        return bad(`${at} has no name`);
      }
      const shape = spec.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) < 2 ** 31)) {
        return bad(`weight ${spec.name} has shape ${JSON.stringify(shape)?.slice(0, 60)}; a shape is a list of non-negative whole numbers`);
      }
      let bytesPer: number | undefined;
      if (spec.quantization !== undefined) {
        const q = spec.quantization;
        if (!isRecord(q) || typeof q.dtype !== 'string' || !(q.dtype in QUANT_BYTES)) {
          return bad(`weight ${spec.name} has an unknown quantization ${JSON.stringify(q)?.slice(0, 60)} (known: uint8, uint16, float16)`);
        }
        for (const k of ['min', 'scale'] as const) {
          if (q[k] !== undefined && !Number.isFinite(q[k])) {
            bad(`weight ${spec.name} has quantization ${k} ${JSON.stringify(q[k])?.slice(0, 30)}, not a number`);
          }
        }
        bytesPer = QUANT_BYTES[q.dtype];
      } else {
        bytesPer = typeof spec.dtype === 'string' ? DTYPE_BYTES[spec.dtype] : undefined;
      }
      if (bytesPer === undefined) {
        return bad(`weight ${spec.name} has dtype ${JSON.stringify(spec.dtype)?.slice(0, 30)} (supported: float32, int32, bool)`);
      }
      total += (shape as number[]).reduce((a, b) => a * b, 1) * bytesPer;
      if (total > LIMITS.model) {
        bad(`the weights add up to more than ${LIMITS.model} bytes (at weight ${spec.name})`);
      }
    });
  });
  return total;
}

/** The weight files must hold exactly what the manifest declares. */
export function checkWeightBytes(declared: number, actual: number, where: string): void {
  if (declared !== actual) {
    throw new BadInputError(
      `${where}: the weight files hold ${actual} bytes but the weightsManifest declares ${declared}; a weights file is truncated, padded or belongs to another model. Copy the model folder again, complete.`,
      where,
    );
  }
}
