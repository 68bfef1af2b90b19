/**
 * The model as C++ source for TensorFlow Lite Micro firmware: `<stem>_model_data.cc` (an
 * alignas(16) const array, so flatbuffer tables that TFLM reads in place stay aligned, and
 * its length), `<stem>_model_data.h` (declarations, input/output description) and
 * `<stem>_ops.h` (the exact MicroMutableOpResolver registration list).
 */
import type { TfliteTensor } from '../export/tflite/graph';
import type { ReadTflite } from '../export/tflite/reader';
import { operatorName, tensorTypeName } from '../export/tflite/schema';

/** A C identifier from a file stem: `pruned-mnist.v2` → `pruned_mnist_v2`. */
export function cIdentifier(stem: string): string {
  const id = stem.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) ? `m_${id}` : id || 'model';
}

/** `xxd -i`-style body: 12 bytes a line, hex. */
export function hexBody(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 12) {
    const row = Array.from(bytes.subarray(i, i + 12), (b) => `0x${b.toString(16).padStart(2, '0')}`);
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}

function describeTensor(t: TfliteTensor): string {
  const q = t.quant && t.quant.scale.length === 1 ? `, scale ${t.quant.scale[0]}, zero point ${t.quant.zeroPoint[0] ?? 0}` : t.quant ? `, per-channel (${t.quant.scale.length} scales)` : '';
  return `'${t.name}': ${tensorTypeName(t.type)} [${t.shape.join(', ')}]${q}`;
}

/** TFLM's kTfLite* type name for a constexpr in the header. */
const TFLITE_TYPE: Record<number, string> = { 0: 'kTfLiteFloat32', 1: 'kTfLiteFloat16', 2: 'kTfLiteInt32', 3: 'kTfLiteUInt8', 4: 'kTfLiteInt64', 7: 'kTfLiteInt16', 9: 'kTfLiteInt8' };

function ioConstants(prefix: string, kind: 'input' | 'output', tensors: TfliteTensor[]): string[] {
  const lines: string[] = [];
  tensors.forEach((t, i) => {
    const p = `${prefix}_${kind}${tensors.length > 1 ? i : ''}`;
    const n = t.shape.reduce((a, b) => a * b, 1);
    lines.push(`// ${kind} ${i}: ${describeTensor(t)} (${TFLITE_TYPE[t.type] ?? tensorTypeName(t.type)})`);
    lines.push(`constexpr int ${p}_dims = ${t.shape.length};`);
    lines.push(`constexpr int ${p}_shape[${Math.max(t.shape.length, 1)}] = {${t.shape.join(', ') || '1'}};`);
    lines.push(`constexpr int ${p}_elements = ${n};`);
    if (t.quant && t.quant.scale.length === 1) {
      lines.push(`constexpr float ${p}_scale = ${floatLiteral(t.quant.scale[0])};`);
      lines.push(`constexpr int ${p}_zero_point = ${t.quant.zeroPoint[0] ?? 0};`);
    }
  });
  return lines;
}

function floatLiteral(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

export interface CFiles {
  cc: string;
  h: string;
  opsH: string;
  /** The array's name (the length is `<name>_len`). */
  symbol: string;
}

export function modelCFiles(stem: string, bytes: Uint8Array, model: ReadTflite, ops: string[]): CFiles {
  const symbol = `${cIdentifier(stem)}_model_data`;
  const guard = `${symbol.toUpperCase()}_H_`;
  const inputs = model.inputs.map((i) => model.tensors[i]);
  const outputs = model.outputs.map((i) => model.tensors[i]);
  const h = [
    `// ${stem}.tflite as a C array for TensorFlow Lite Micro (written by model-optimizer deploy).`,
    `// ${bytes.length} bytes in flash; tflite::GetModel(${symbol}) reads it in place.`,
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    `extern const unsigned char ${symbol}[];`,
    `extern const unsigned int ${symbol}_len;`,
    '',
    ...ioConstants(cIdentifier(stem), 'input', inputs),
    '',
    ...ioConstants(cIdentifier(stem), 'output', outputs),
    '',
    `#endif  // ${guard}`,
    '',
  ].join('\n');
  const cc = [
    `// ${stem}.tflite as a C array (written by model-optimizer deploy). Do not edit.`,
    `#include "${stem}_model_data.h"`,
    '',
    '// 16-byte alignment: TFLM reads the flatbuffer in place.',
    `alignas(16) const unsigned char ${symbol}[] = {`,
    hexBody(bytes),
    '};',
    `const unsigned int ${symbol}_len = ${bytes.length};`,
    '',
  ].join('\n');
  const opsGuard = `${cIdentifier(stem).toUpperCase()}_OPS_H_`;
  const opsH = [
    `// The operators ${stem}.tflite uses, registered for TensorFlow Lite Micro (written by model-optimizer deploy).`,
    `#ifndef ${opsGuard}`,
    `#define ${opsGuard}`,
    '',
    '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"',
    '',
    `using ${pascal(cIdentifier(stem))}OpResolver = tflite::MicroMutableOpResolver<${ops.length}>;`,
    '',
    `// Registers exactly the ${ops.length} operator${ops.length === 1 ? '' : 's'} the model needs; returns kTfLiteOk or the first failure.`,
    `inline TfLiteStatus Register${pascal(cIdentifier(stem))}Ops(${pascal(cIdentifier(stem))}OpResolver& resolver) {`,
    ...ops.map((op) => `  if (resolver.${resolverMethod(op)}() != kTfLiteOk) return kTfLiteError;`),
    '  return kTfLiteOk;',
    '}',
    '',
    `#endif  // ${opsGuard}`,
    '',
  ].join('\n');
  return { cc, h, opsH, symbol };
}

function pascal(id: string): string {
  return id
    .split('_')
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** MicroMutableOpResolver's method for a builtin: CONV_2D → AddConv2D, MAX_POOL_2D → AddMaxPool2D. */
export function resolverMethod(op: string): string {
  const special: Record<string, string> = {
    FULLY_CONNECTED: 'AddFullyConnected',
    DEPTHWISE_CONV_2D: 'AddDepthwiseConv2D',
    CONV_2D: 'AddConv2D',
    AVERAGE_POOL_2D: 'AddAveragePool2D',
    MAX_POOL_2D: 'AddMaxPool2D',
    RELU6: 'AddRelu6',
    HARD_SWISH: 'AddHardSwish',
    REDUCE_MAX: 'AddReduceMax',
  };
  return special[op] ?? `Add${op.toLowerCase().split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`;
}

export const opNames = (model: ReadTflite): string[] => [...new Set(model.operators.map((o) => operatorName(o.op)))];
