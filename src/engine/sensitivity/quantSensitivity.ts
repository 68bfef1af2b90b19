/**
 * Int8 sensitivity per layer, as TFLite's quantization debugger sees it, on the same lowering,
 * calibration and int8 kernels the full-int8 file uses (export/tflite):
 * - `own`: the layer's ops run in float on the dequantized int8 inputs of the full-int8 model,
 *   against the int8 ops' dequantized outputs — the error this layer adds by itself;
 * - `accumulated`: the float model's activation against the full-int8 model's at the layer's
 *   output — the error of everything up to here;
 * - the accuracy of the model with only this layer in int8 (every other op float), a real
 *   mixed int8/float .tflite run in the TFLite runtime.
 * Layers whose int8 form is exact (pooling, reshape, padding, concatenation) are not listed.
 */
import type { QuantSensitivityRow } from '../../protocol/sensitivity';
import type { SampleSet } from '../data/dataset';
import { modelInputs } from '../data/dataset';
import { graphTfliteBytes } from '../export/tflite/graphExport';
import { runFloatOp, forwardLowered } from '../export/tflite/floatRef';
import { lowerGraph } from '../export/tflite/lower';
import type { LOp, Lowered } from '../export/tflite/lowered';
import { dequantizeValues, forwardMixedValues } from '../export/tflite/mixedRef';
import { quantizeLowered, type CalibrationMethod, type QuantizedLowered } from '../export/tflite/quantizeLowered';
import type { ModelGraph } from '../graph/types';
import { ErrorAccumulator } from './errorStats';

const EXACT: ReadonlySet<LOp['type']> = new Set(['maxPool', 'reshape', 'pad', 'reduceMax', 'concat']);

export interface QuantScanOptions {
  /** Calibration samples as model input (flat, [count, ...inputShape]). */
  calibration: { samples: Float32Array; count: number };
  perChannel: boolean;
  method: CalibrationMethod;
  /** Test-set indices of the samples the error statistics are measured on. */
  errorIndices: readonly number[];
  /** Test accuracy of a .tflite file in the runtime (the caller owns the runtime). */
  evaluate: (bytes: Uint8Array, label: string) => Promise<number>;
  onStep?: (done: number, total: number, what: string) => void;
}

export interface QuantScan {
  rows: QuantSensitivityRow[];
  float32Accuracy: number;
  fullInt8Accuracy: number;
  quantization: string;
  lowered: Lowered;
  quantized: QuantizedLowered;
}

/** Layers in op order with the indices of their ops; `changes` = some op's int8 form is not exact. */
export function layerOps(l: Lowered): { layer: string; ops: number[]; changes: boolean }[] {
  const out: { layer: string; ops: number[]; changes: boolean }[] = [];
  l.ops.forEach((op, k) => {
    let e = out.find((x) => x.layer === op.layer);
    if (!e) {
      e = { layer: op.layer, ops: [], changes: false };
      out.push(e);
    }
    e.ops.push(k);
    e.changes ||= !EXACT.has(op.type);
  });
  return out;
}

export async function quantSensitivity(graph: ModelGraph, test: SampleSet, opts: QuantScanOptions): Promise<QuantScan> {
  const l = lowerGraph(graph);
  const q = quantizeLowered(l, opts.calibration.samples, opts.calibration.count, opts.perChannel, opts.method);
  const layers = layerOps(l).filter((x) => x.changes);
  const total = layers.length + 2;
  let done = 0;

  // ---- error statistics on the error samples ------------------------------------------
  const own = layers.map(() => new ErrorAccumulator());
  const acc = layers.map(() => new ErrorAccumulator());
  const allInt8 = l.ops.map(() => false);
  for (const idx of opts.errorIndices) {
    const x = modelInputs(test, idx, 1);
    const floatVals = new Map<number, Float32Array>();
    forwardLowered(l, x, 0, 1, (t, v) => floatVals.set(t, v));
    const int8 = forwardMixedValues(l, q, allInt8, x).int8;
    const deq = (t: number): Float32Array => dequantizeValues(int8.get(t) as Int8Array, q.params[t]);
    layers.forEach((layer, j) => {
      const out = l.ops[layer.ops[layer.ops.length - 1]].output;
      const got = deq(out);
      acc[j].add(floatVals.get(out) as Float32Array, got);
      // The layer's ops in float, fed the int8 model's (dequantized) inputs.
      const local = new Map<number, Float32Array>();
      for (const k of layer.ops) {
        const op = l.ops[k];
        const ins = op.inputs.map((t) => local.get(t) ?? deq(t));
        local.set(op.output, runFloatOp(op, ins, op.inputs.map((t) => l.tensors[t].shape), l.tensors[op.output].shape));
      }
      own[j].add(local.get(out) as Float32Array, got);
    });
  }

  // ---- accuracies in the runtime ------------------------------------------------------
  opts.onStep?.(done++, total, 'float32 file');
  const float32Accuracy = await opts.evaluate(graphTfliteBytes(graph, 'float32').data, `${graph.name} float32`);
  opts.onStep?.(done++, total, 'full-int8 file');
  const fullInt8Accuracy = await opts.evaluate(graphTfliteBytes(graph, 'full-int8', { quantized: q }).data, `${graph.name} full-int8`);
  const allLayers = layerOps(l).map((x) => x.layer);
  const rows: QuantSensitivityRow[] = [];
  for (const [j, layer] of layers.entries()) {
    opts.onStep?.(done++, total, `${layer.layer} only in int8`);
    const floatLayers = allLayers.filter((n) => n !== layer.layer);
    const a = await opts.evaluate(graphTfliteBytes(graph, 'full-int8', { quantized: q, floatLayers }).data, `${graph.name} with only ${layer.layer} in int8`);
    const node = graph.layers.find((n) => n.name === layer.layer);
    const scale = q.params[l.ops[layer.ops[layer.ops.length - 1]].output].scale;
    rows.push({
      layer: layer.layer,
      className: node?.className ?? '',
      ops: layer.ops.map((k) => l.ops[k].type),
      outputScale: scale,
      own: own[j].stats(scale),
      accumulated: acc[j].stats(scale),
      int8OnlyAccuracy: a,
      int8OnlyDrop: float32Accuracy - a,
    });
  }
  const quantization = `${q.calibration}, ${q.perChannel ? 'per-channel' : 'per-tensor'} weights`;
  return { rows, float32Accuracy, fullInt8Accuracy, quantization, lowered: l, quantized: q };
}
