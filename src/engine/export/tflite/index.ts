/**
 * Writes a model as `.tflite` in one of the deployment modes. The whole flatbuffer is
 * built in memory first and written atomically, so an error never leaves a partial file.
 *
 * A model is an MlpModel or a layer graph (ModelGraph). A graph that is a plain Dense stack
 * goes through the MLP writer (build.ts: its XNNPACK-tuned forms, byte-identical files);
 * any other graph through the layer-graph exporter (graphExport.ts), which writes Dense layers in
 * the same fast forms (a Dense model with the data's normalisation built in gets the MLP's layout
 * with the normalisation folded into its input quantization and first layer).
 */
import type { TfliteMode } from '../../../protocol/config';
import type { ModelGraph } from '../../graph/types';
import { graphToMlp, mlpToGraph } from '../../graph/mlp';
import { toModelInput } from '../../graph/input';
import type { MlpModel } from '../../model/mlp';
import { quantizeFullInt8, type QuantizedMlp, type RepresentativeData } from '../../quantize/fullInt8';
import { writeFileAtomic } from '../../util/atomic';
import { validateModel } from '../validateModel';
import { buildTfliteGraph, type BuildOptions } from './build';
import { graphTfliteBytes, type SiteRanges } from './graphExport';
import { INPUT_SITE, lowerGraph, preActivationSite } from './lower';
import { quantizeLowered, type CalibrationMethod, type QuantizedLowered } from './quantizeLowered';
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
  /** full-int8 of a layer graph: how activation ranges are calibrated (default min-max). */
  calibration?: CalibrationMethod;
  /** full-int8: activation ranges from quantization-aware training, by site, instead of calibration. */
  ranges?: SiteRanges;
}

export interface TfliteExportResult {
  bytes: number;
  /** full-int8 only: the quantized model that was written. */
  quantized?: QuantizedMlp | QuantizedLowered;
  /** full-int8 with a folded input transform: the input resolution it cost (graphExport.ts GraphTfliteResult). */
  inputResolutionLoss?: number;
}

function isGraph(m: MlpModel | ModelGraph): m is ModelGraph {
  return Array.isArray((m as Partial<ModelGraph>).inputs);
}

/** Representative samples as float model input (uint8 bytes scaled by 1/255, float32 as stored). */
function calibrationInput(rep: RepresentativeData | undefined, features: number): { samples: Float32Array; count: number } {
  if (!rep || rep.count <= 0) {
    return { samples: new Float32Array(0), count: 0 };
  }
  const values = rep.count * features;
  return { samples: toModelInput(rep.images, new Float32Array(values), values), count: rep.count };
}

export function tfliteBytes(model: MlpModel, mode: TfliteMode, opts?: TfliteExportOptions): { data: Uint8Array; quantized?: QuantizedMlp };
export function tfliteBytes(model: MlpModel | ModelGraph, mode: TfliteMode, opts?: TfliteExportOptions): { data: Uint8Array; quantized?: QuantizedMlp | QuantizedLowered; inputResolutionLoss?: number };
export function tfliteBytes(model: MlpModel | ModelGraph, mode: TfliteMode, opts: TfliteExportOptions = {}): { data: Uint8Array; quantized?: QuantizedMlp | QuantizedLowered; inputResolutionLoss?: number } {
  if (isGraph(model)) {
    const graph = model;
    const mlp = graphToMlp(graph).model;
    if (!mlp) {
      const input = graph.layers.find((l) => l.name === graph.inputs[0]);
      const features = ((input?.config.shape as number[] | undefined) ?? []).reduce((a, b) => a * b, 1);
      const r = graphTfliteBytes(graph, mode, {
        calibration: mode === 'full-int8' ? calibrationInput(opts.representative, features) : undefined,
        perChannel: opts.perChannel,
        int8Io: opts.int8Io,
        method: opts.calibration,
        ranges: opts.ranges,
        perChannelAs: opts.perChannelAs,
        dynamicForm: opts.dynamicForm,
      });
      return { data: r.data, quantized: r.quantized, inputResolutionLoss: r.inputResolutionLoss };
    }
    model = mlp;
  }
  validateModel(model, `TFLite ${mode}`);
  let quantized: QuantizedMlp | undefined;
  if (mode === 'full-int8') {
    const r = opts.ranges ?? (opts.calibration?.kind === 'percentile' ? percentileSiteRanges(model, opts) : undefined);
    // The Dense-stack writer's tensors: the input, each Dense output (after a fused ReLU; the logits before SOFTMAX).
    const overrides = r ? { input: r[INPUT_SITE], layers: model.layers.map((l) => r[l.activation === 'softmax' ? preActivationSite(l.name) : l.name]) } : undefined;
    quantized = quantizeFullInt8(model, opts.representative ?? { images: new Uint8Array(0), count: 0 }, opts.perChannel ?? true, overrides);
  }
  const data = writeTflite(buildTfliteGraph(model, mode, { quantized, int8Io: opts.int8Io, perChannelAs: opts.perChannelAs, dynamicForm: opts.dynamicForm }));
  return { data, quantized };
}

/**
 * The Dense-stack writer calibrates min-max itself; for `percentile` its activation ranges come
 * from the graph exporter's calibration of the same model on the same samples (by site), so the
 * option means the same for every model instead of being ignored for Dense stacks.
 */
function percentileSiteRanges(model: MlpModel, opts: TfliteExportOptions): SiteRanges | undefined {
  const rep = opts.representative;
  if (!rep || rep.count <= 0 || opts.calibration?.kind !== 'percentile') {
    return undefined;
  }
  const lowered = lowerGraph(mlpToGraph(model));
  const cal = calibrationInput(rep, model.inputDim);
  const q = quantizeLowered(lowered, cal.samples, cal.count, opts.perChannel ?? true, opts.calibration);
  const out: Record<string, { min: number; max: number }> = {};
  for (const [site, t] of Object.entries(lowered.sites ?? {})) {
    out[site] = q.ranges[t];
  }
  return out;
}

export async function saveTflite(model: MlpModel | ModelGraph, mode: TfliteMode, file: string, opts: TfliteExportOptions = {}): Promise<TfliteExportResult> {
  const { data, quantized, inputResolutionLoss } = tfliteBytes(model, mode, opts);
  const bytes = await writeFileAtomic(file, data);
  return { bytes, quantized, inputResolutionLoss };
}
