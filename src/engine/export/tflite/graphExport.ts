/**
 * A layer-graph model (ModelGraph) as .tflite in one of the four variants: lower (lower.ts),
 * calibrate and quantize for full-int8 (quantizeLowered.ts), emit (emit.ts), serialize
 * (writer.ts). The whole file is built in memory and written atomically.
 */
import type { TfliteMode } from '../../../protocol/config';
import type { ModelGraph } from '../../graph/types';
import { writeFileAtomic } from '../../util/atomic';
import { emitLowered } from './emit';
import { lowerGraph } from './lower';
import type { Lowered } from './lowered';
import { quantizeLowered, type CalibrationMethod, type QuantizedLowered } from './quantizeLowered';
import { writeTflite } from './writer';

export interface GraphTfliteOptions {
  /** full-int8: representative samples, float, flat NHWC ([count, ...inputShape]), as the model takes them. */
  calibration?: { samples: Float32Array; count: number };
  /** full-int8: per-channel weights (default true) or per-tensor. */
  perChannel?: boolean;
  /** full-int8: int8 input and output tensors instead of float (QUANTIZE/DEQUANTIZE inside). */
  int8Io?: boolean;
  /** full-int8: how activation ranges are found (default min-max, as the converter). */
  method?: CalibrationMethod;
  /** full-int8: layers kept in float inside the int8 model (float fallback; emit.ts floatOpsOf). */
  floatLayers?: readonly string[];
  /** full-int8: an earlier calibration of the same graph to reuse (the fallback writes several files of one model). */
  quantized?: QuantizedLowered;
}

export interface GraphTfliteResult {
  data: Uint8Array;
  lowered: Lowered;
  quantized?: QuantizedLowered;
}

export function graphTfliteBytes(graph: ModelGraph, mode: TfliteMode, opts: GraphTfliteOptions = {}): GraphTfliteResult {
  const lowered = lowerGraph(graph);
  let quantized: QuantizedLowered | undefined;
  if (mode === 'full-int8') {
    const cal = opts.calibration ?? { samples: new Float32Array(0), count: 0 };
    quantized = opts.quantized ?? quantizeLowered(lowered, cal.samples, cal.count, opts.perChannel ?? true, opts.method);
  }
  const data = writeTflite(emitLowered(lowered, mode, { quantized, int8Io: opts.int8Io, floatLayers: opts.floatLayers }));
  return { data, lowered, quantized };
}

export async function saveGraphTflite(graph: ModelGraph, mode: TfliteMode, file: string, opts: GraphTfliteOptions = {}): Promise<GraphTfliteResult & { bytes: number }> {
  const r = graphTfliteBytes(graph, mode, opts);
  const bytes = await writeFileAtomic(file, r.data);
  return { ...r, bytes };
}
