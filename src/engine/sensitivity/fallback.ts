/**
 * Float fallback (mixed precision) within an accuracy budget (issue 16): when the full-int8
 * file loses more than `maxDrop` of accuracy against float32, keep the most int8-sensitive
 * layers in float (DEQUANTIZE/QUANTIZE around them, emit.ts floatOpsOf) one at a time, most
 * sensitive first, until the mixed file is within the budget.
 *
 * Sensitivity = the accuracy of the model with only that layer in int8 (lowest first; a real
 * mixed file in the runtime, as the sensitivity job measures it); ties — common on small
 * models, where one layer alone rarely moves the accuracy — go to the larger own int8 error in
 * quantization steps.
 *
 * Everything here is measured on the set it is given, the float32 reference included: the job
 * passes the validation split, so the choice of layers is not fitted to the test set.
 */
import type { SampleSet } from '../data/dataset';
import { graphTfliteBytes } from '../export/tflite/graphExport';
import type { CalibrationMethod } from '../export/tflite/quantizeLowered';
import type { ModelGraph } from '../graph/types';
import { quantSensitivity } from './quantSensitivity';

export interface FallbackTrial {
  floatLayers: string[];
  accuracy: number;
}

export interface FallbackResult {
  /** The float32 and full-int8 files' accuracy on the set the choice was made on. */
  float32Accuracy: number;
  fullInt8Accuracy: number;
  /** The layers in the order they were moved to float (most sensitive first), with their int8-only accuracy. */
  ranking: { layer: string; int8OnlyAccuracy: number | null; ownRmseSteps: number }[];
  /** Every mixed file tried, in order; the last one is the result. */
  trials: FallbackTrial[];
  /** The file of the last trial (int8 with its floatLayers in float). */
  data: Uint8Array;
  floatLayers: string[];
  accuracy: number;
  met: boolean;
}

export interface FallbackOptions {
  /** Fraction: 0.01 = 1 point. */
  maxDrop: number;
  calibration: { samples: Float32Array; count: number };
  perChannel: boolean;
  method: CalibrationMethod;
  int8Io: boolean;
  errorIndices: readonly number[];
  evaluate: (bytes: Uint8Array, label: string) => Promise<number>;
  onStep?: (done: number, total: number, what: string) => void;
}

export async function floatFallback(graph: ModelGraph, set: SampleSet, opts: FallbackOptions): Promise<FallbackResult> {
  const scan = await quantSensitivity(graph, set, { ...opts, onStep: (d, t, w) => opts.onStep?.(d, t, `ranking layers: ${w}`) });
  const ranking = scan.rows
    .map((r) => ({ layer: r.layer, int8OnlyAccuracy: r.int8OnlyAccuracy, ownRmseSteps: r.own.rmseSteps }))
    .sort((a, b) => (a.int8OnlyAccuracy ?? 1) - (b.int8OnlyAccuracy ?? 1) || b.ownRmseSteps - a.ownRmseSteps);
  const measured = { float32Accuracy: scan.float32Accuracy, fullInt8Accuracy: scan.fullInt8Accuracy };
  const trials: FallbackTrial[] = [];
  const floatLayers: string[] = [];
  let data: Uint8Array = new Uint8Array(0);
  let accuracy = scan.fullInt8Accuracy;
  for (const [i, r] of ranking.entries()) {
    floatLayers.push(r.layer);
    opts.onStep?.(i, ranking.length, `${floatLayers.join(', ')} in float`);
    data = graphTfliteBytes(graph, 'full-int8', { quantized: scan.quantized, floatLayers, int8Io: opts.int8Io }).data;
    accuracy = await opts.evaluate(data, `${graph.name} with ${floatLayers.join(', ')} in float`);
    trials.push({ floatLayers: [...floatLayers], accuracy });
    if (scan.float32Accuracy - accuracy <= opts.maxDrop + 1e-9) {
      return { ...measured, ranking, trials, data, floatLayers: [...floatLayers], accuracy, met: true };
    }
  }
  return { ...measured, ranking, trials, data, floatLayers: [...floatLayers], accuracy, met: false };
}
