/**
 * Program flash beside the model array: the TFLM runtime core plus the kernels of the ops the
 * model uses, each object counted once, from sizes measured on the host build of TFLM
 * (kernelCodeTable.ts, scripts/measure-tflm-code.ts). x86-64 -O2 code is larger than a
 * Cortex-M build (Thumb-2, usually -Os), so on a microcontroller expect less: the estimate errs
 * on the side of "does not fit".
 */
import { CORE_OBJECTS, OP_OBJECTS } from './kernelCodeObjects';
import { TFLM_CODE } from './kernelCodeTable';

export interface CodeEstimate {
  /** Interpreter, allocator, planner, flatbuffer parsing. */
  coreBytes: number;
  /** Per op: bytes of its kernel objects not already counted for an earlier op. */
  kernels: { op: string; bytes: number }[];
  totalBytes: number;
  /** Ops without a measured kernel (not counted). */
  unmeasured: string[];
  basis: string;
}

export function estimateCode(ops: readonly string[]): CodeEstimate {
  const size = (o: string): number => TFLM_CODE.objects[o] ?? 0;
  const counted = new Set<string>(CORE_OBJECTS);
  const coreBytes = CORE_OBJECTS.reduce((a, o) => a + size(o), 0);
  const kernels: CodeEstimate['kernels'] = [];
  const unmeasured: string[] = [];
  for (const op of ops) {
    const objs = OP_OBJECTS[op];
    if (!objs) {
      unmeasured.push(op);
      continue;
    }
    let bytes = 0;
    for (const o of objs) {
      if (!counted.has(o)) {
        counted.add(o);
        bytes += size(o);
      }
    }
    kernels.push({ op, bytes });
  }
  return { coreBytes, kernels, totalBytes: coreBytes + kernels.reduce((a, k) => a + k.bytes, 0), unmeasured, basis: TFLM_CODE.measuredOn };
}
