/**
 * Will TensorFlow Lite Micro run this file? Each 'error' finding is a refusal read from TFLM's
 * kernels (and confirmed against the real runtime in test/unit/deploy-tflm.test.ts); 'warning'
 * findings run but cost something a microcontroller user cares about. Every finding says the fix.
 */
import type { ReadTflite } from '../export/tflite/reader';
import { BuiltinOperator, TensorType, operatorName, tensorTypeName } from '../export/tflite/schema';
import { tensorBytes } from './analyze';

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  /** Operator index, when the finding is about one. */
  operator?: number;
  message: string;
  fix: string;
}

/** Builtins this TFLM registers through MicroMutableOpResolver (of the ones our reader names). */
const TFLM_OPS = new Set<number>(Object.values(BuiltinOperator));

const QUANTIZED = new Set<number>([TensorType.INT8, TensorType.UINT8, 7 /* INT16 */]);

export function tflmFindings(g: ReadTflite): Finding[] {
  const findings: Finding[] = [];
  const isConst = (i: number): boolean => i >= 0 && g.tensors[i].data !== undefined;
  let floatCompute = 0;
  let int8Compute = 0;
  g.operators.forEach((op, k) => {
    const name = operatorName(op.op);
    if (!TFLM_OPS.has(op.op)) {
      findings.push({
        severity: 'warning',
        code: 'unknown-op',
        operator: k,
        message: `Operator ${k} is builtin code ${op.op}, which this analysis does not know; TFLM may not implement it ("Didn't find op for builtin opcode").`,
        fix: 'Check the op against TFLM\'s micro_mutable_op_resolver.h, or rebuild the model from layers the exporter writes.',
      });
      return;
    }
    const input = g.tensors[op.inputs[0]];
    if (op.op === BuiltinOperator.DEQUANTIZE) {
      if (!QUANTIZED.has(input.type)) {
        findings.push({
          severity: 'error',
          code: 'dequantize-input-type',
          operator: k,
          message: `DEQUANTIZE (operator ${k}) takes a ${tensorTypeName(input.type)} tensor; TFLM's DEQUANTIZE accepts only int8, int16 and uint8, so Prepare fails.`,
          fix: 'Deploy the float32 or the full-int8 file instead (float16 files are for GPUs and phones).',
        });
      } else if (isConst(op.inputs[0])) {
        const ram = tensorBytes(g, op.outputs[0]);
        findings.push({
          severity: 'warning',
          code: 'dequantized-weights-in-ram',
          operator: k,
          message: `DEQUANTIZE (operator ${k}) expands the constant int8 tensor '${input.name}' to float32 at run time: TFLM keeps the ${ram} bytes it produces in the tensor arena (RAM), so a file a quarter of float32's size needs far more RAM.`,
          fix: 'Deploy the full-int8 file: its weights stay int8 in flash and the arena holds only activations.',
        });
      }
    }
    if (op.op === BuiltinOperator.FULLY_CONNECTED || op.op === BuiltinOperator.CONV_2D || op.op === BuiltinOperator.DEPTHWISE_CONV_2D) {
      const filter = g.tensors[op.inputs[1]];
      if (input.type === TensorType.FLOAT32 && filter.type !== TensorType.FLOAT32) {
        findings.push({
          severity: 'error',
          code: 'hybrid-kernel',
          operator: k,
          message: `${name} (operator ${k}) has float32 input and ${tensorTypeName(filter.type)} weights (a hybrid kernel); TFLM's ${name} does not implement it and Prepare fails.`,
          fix: 'Deploy the full-int8 file, or export dynamic-int8 in its DEQUANTIZE form.',
        });
      }
      if (input.type === TensorType.FLOAT32) {floatCompute++;}
      else if (QUANTIZED.has(input.type)) {int8Compute++;}
      if (op.op === BuiltinOperator.FULLY_CONNECTED && filter.quant && filter.quant.scale.length > 1) {
        findings.push({
          severity: 'info',
          code: 'per-channel-fully-connected',
          operator: k,
          message: `FULLY_CONNECTED (operator ${k}) has per-channel weights (${filter.quant.scale.length} scales). This TFLM handles them; TFLM releases before per-channel FULLY_CONNECTED support (and some vendor kernels) use only the first scale and give wrong results.`,
          fix: 'On an older TFLM, export full-int8 with per-tensor weights (quantize.perChannel: false) or keep the 1×1 CONV_2D form, which every TFLM quantizes per channel.',
        });
      }
    }
    const dynamic = op.outputs.some((t) => (g.tensors[t].shapeSignature ?? []).slice(1).some((d) => d < 0));
    if (dynamic) {
      findings.push({
        severity: 'warning',
        code: 'dynamic-shape',
        operator: k,
        message: `${name} (operator ${k}) has an output with a dynamic dimension; TFLM plans memory from the stored shape only.`,
        fix: 'Export with fixed input sizes (every dimension but the batch).',
      });
    }
  });
  if (floatCompute > 0 && int8Compute > 0) {
    findings.push({
      severity: 'warning',
      code: 'mixed-float-int8',
      message: `The graph mixes ${floatCompute} float32 and ${int8Compute} int8 compute operators: the float ones run without int8 SIMD kernels (CMSIS-NN) and keep float32 activations in RAM.`,
      fix: 'Quantize every layer (full-int8) so the whole graph runs in int8.',
    });
  }
  return findings;
}

export const tflmCompatible = (findings: Finding[]): boolean => !findings.some((f) => f.severity === 'error');
