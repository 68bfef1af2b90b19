/**
 * Writes a model as `.tflite` in one of the deployment modes. The whole flatbuffer is
 * built in memory first and written atomically, so an error never leaves a partial file.
 */
import type { TfliteMode } from '../../../protocol/config';
import type { MlpModel } from '../../model/mlp';
import { quantizeFullInt8, type QuantizedMlp, type RepresentativeData } from '../../quantize/fullInt8';
import { writeFileAtomic } from '../../util/atomic';
import { validateModel } from '../validateModel';
import { buildTfliteGraph, type BuildOptions } from './build';
import { writeTflite } from './writer';

export interface TfliteExportOptions {
  /** full-int8 only: calibration samples (uint8 pixels). */
  representative?: RepresentativeData;
  perChannel?: boolean;
  int8Io?: boolean;
  /** Graph form for per-channel full-int8 (default 'conv2d': XNNPACK's fast path). */
  perChannelAs?: BuildOptions['perChannelAs'];
  /** Graph form for dynamic-int8 (default 'dequantize': XNNPACK's fast path). */
  dynamicForm?: BuildOptions['dynamicForm'];
}

export interface TfliteExportResult {
  bytes: number;
  /** full-int8 only: the quantized model that was written. */
  quantized?: QuantizedMlp;
}

export function tfliteBytes(model: MlpModel, mode: TfliteMode, opts: TfliteExportOptions = {}): { data: Uint8Array; quantized?: QuantizedMlp } {
  validateModel(model, `TFLite ${mode}`);
  let quantized: QuantizedMlp | undefined;
  if (mode === 'full-int8') {
    quantized = quantizeFullInt8(model, opts.representative ?? { images: new Uint8Array(0), count: 0 }, opts.perChannel ?? true);
  }
  const data = writeTflite(buildTfliteGraph(model, mode, { quantized, int8Io: opts.int8Io, perChannelAs: opts.perChannelAs, dynamicForm: opts.dynamicForm }));
  return { data, quantized };
}

export async function saveTflite(model: MlpModel, mode: TfliteMode, file: string, opts: TfliteExportOptions = {}): Promise<TfliteExportResult> {
  const { data, quantized } = tfliteBytes(model, mode, opts);
  const bytes = await writeFileAtomic(file, data);
  return { bytes, quantized };
}
