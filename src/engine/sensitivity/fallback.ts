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
  /** Accuracy of the float32 model the budget is measured against. */
  floatAccuracy: number;
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

export async function floatFallback(graph: ModelGraph, test: SampleSet, opts: FallbackOptions): Promise<FallbackResult> {
  const scan = await quantSensitivity(graph, test, { ...opts, onStep: (d, t, w) => opts.onStep?.(d, t, `ranking layers: ${w}`) });
  const ranking = scan.rows
    .map((r) => ({ layer: r.layer, int8OnlyAccuracy: r.int8OnlyAccuracy, ownRmseSteps: r.own.rmseSteps }))
    .sort((a, b) => (a.int8OnlyAccuracy ?? 1) - (b.int8OnlyAccuracy ?? 1) || b.ownRmseSteps - a.ownRmseSteps);
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
    if (opts.floatAccuracy - accuracy <= opts.maxDrop + 1e-9) {
      return { ranking, trials, data, floatLayers: [...floatLayers], accuracy, met: true };
    }
  }
  return { ranking, trials, data, floatLayers: [...floatLayers], accuracy, met: false };
}
