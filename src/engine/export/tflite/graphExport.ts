/**
 * A layer-graph model (ModelGraph) as .tflite in one of the four variants: lower (lower.ts),
 * calibrate and quantize for full-int8 (quantizeLowered.ts), emit (emit.ts), serialize
 * (writer.ts). The whole file is built in memory and written atomically.
 */
import type { TfliteMode } from '../../../protocol/config';
import type { ModelGraph } from '../../graph/types';
import { writeFileAtomic } from '../../util/atomic';
import { emitLowered } from './emit';
import { foldInputAffine, foldResolutionLoss, MAX_FOLD_RESOLUTION_LOSS, resolutionLoss } from './foldInput';
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
  /** full-int8: trained activation ranges by site (quantization-aware training), used instead of calibration where given. */
  ranges?: SiteRanges;
  /**
   * full-int8: fold a leading Rescaling / normalisation into the input quantization and the ops
   * reading it (foldInput.ts) where that is exact (default true); false keeps it as MUL + ADD.
   */
  foldInputTransform?: boolean;
  /** full-int8, per-channel weights: Dense layers as 1×1 CONV_2D (default, XNNPACK's fast path) or FULLY_CONNECTED v4 (emit.ts). */
  perChannelAs?: 'conv2d' | 'fully-connected';
  /** dynamic-int8: Dense weights through DEQUANTIZE (default) or a hybrid FULLY_CONNECTED (emit.ts). */
  dynamicForm?: 'dequantize' | 'hybrid';
}

/** Float activation ranges keyed by `Lowered.sites` names (':input', 'conv2d', 'dense:pre'). */
export type SiteRanges = Readonly<Record<string, { min: number; max: number }>>;

/** The per-tensor overrides of `ranges` on this lowering (sites folded away are ignored). */
export function rangeOverrides(lowered: Lowered, ranges: SiteRanges): Map<number, { min: number; max: number }> {
  const out = new Map<number, { min: number; max: number }>();
  for (const [site, r] of Object.entries(ranges)) {
    const t = lowered.sites?.[site];
    if (t === undefined) {
      continue;
    }
    const prev = out.get(t);
    out.set(t, prev ? { min: Math.min(prev.min, r.min), max: Math.max(prev.max, r.max) } : { min: r.min, max: r.max });
  }
  return out;
}

export interface GraphTfliteResult {
  data: Uint8Array;
  lowered: Lowered;
  quantized?: QuantizedLowered;
  /**
   * full-int8 with a foldable input transform: what folding costs in input resolution
   * (foldResolutionLoss; 1 = nothing). Above MAX_FOLD_RESOLUTION_LOSS a float-I/O file keeps
   * the transform in float; an int8-I/O file is folded anyway and its caller should say so.
   */
  inputResolutionLoss?: number;
}

export function graphTfliteBytes(graph: ModelGraph, mode: TfliteMode, opts: GraphTfliteOptions = {}): GraphTfliteResult {
  let lowered = lowerGraph(graph);
  let quantized: QuantizedLowered | undefined;
  let floatLayers = opts.floatLayers;
  let inputResolutionLoss: number | undefined;
  if (mode === 'full-int8') {
    // A calibration passed in was made on the folded model only if it says so (quantSensitivity
    // calibrates lowerGraph's unfolded model): fold exactly when it was, so tensor indices agree.
    const foldWanted = opts.quantized ? !!opts.quantized.foldedInput : opts.foldInputTransform !== false;
    let fold = foldWanted ? foldInputAffine(lowered) : null;
    const cal = opts.calibration ?? { samples: new Float32Array(0), count: 0 };
    inputResolutionLoss = fold && !opts.quantized && cal.count > 0 ? foldResolutionLoss(fold, cal.samples, cal.count) : undefined;
    if (fold && !opts.int8Io && inputResolutionLoss !== undefined && inputResolutionLoss > MAX_FOLD_RESOLUTION_LOSS) {
      // Features of very different ranges (a CSV standardised per column): one int8 scale for the
      // raw row would flatten the small ones, so the transform runs in float before QUANTIZE and
      // the int8 input is the normalised values. int8-I/O files take raw int8 values by contract
      // and keep the fold (the loss is reported: GraphTfliteResult.inputResolutionLoss).
      floatLayers = [...(floatLayers ?? []), ...fold.layers];
      fold = null;
    }
    if (fold) {
      lowered = fold.lowered;
    }
    if (opts.quantized && !opts.quantized.foldedInput && !opts.int8Io) {
      // A calibration made on the unfolded model (the sensitivity scan, the float fallback's
      // files): the same decision, from its calibrated ranges of the raw input and of the transform.
      const lead = foldInputAffine(lowered);
      if (lead) {
        const r = opts.quantized.ranges;
        inputResolutionLoss = resolutionLoss(lead.scale, r[lowered.input], r[lead.transformOutput]);
        if (inputResolutionLoss > MAX_FOLD_RESOLUTION_LOSS) {
          floatLayers = [...(floatLayers ?? []), ...lead.layers];
        }
      }
    }
    quantized = opts.quantized ?? quantizeLowered(lowered, cal.samples, cal.count, opts.perChannel ?? true, opts.method, opts.ranges ? rangeOverrides(lowered, opts.ranges) : undefined);
    if (fold) {
      quantized.foldedInput = fold.layer;
    }
  }
  const data = writeTflite(emitLowered(lowered, mode, { quantized, int8Io: opts.int8Io, floatLayers, perChannelAs: opts.perChannelAs, dynamicForm: opts.dynamicForm }));
  return { data, lowered, quantized, inputResolutionLoss };
}

export async function saveGraphTflite(graph: ModelGraph, mode: TfliteMode, file: string, opts: GraphTfliteOptions = {}): Promise<GraphTfliteResult & { bytes: number }> {
  const r = graphTfliteBytes(graph, mode, opts);
  const bytes = await writeFileAtomic(file, r.data);
  return { ...r, bytes };
}
