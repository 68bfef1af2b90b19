/**
 * The export stage's float fallback (quantize.maxAccuracyDrop, issue 16): when the target's
 * full-int8 file loses more than the budget against its float32 file, the most sensitive
 * layers are kept in float one at a time (sensitivity/fallback.ts) and the first mixed file
 * within the budget is written as `<model>_mixed_int8.tflite`, measured like every other file
 * and listed in the comparison with the layers that stayed float. The layers are chosen on the
 * validation split (sensitivity/selectionSplit.ts); the test set only measures the file written.
 */
import * as path from 'node:path';
import type { FallbackRecord, ModelReport } from '../../protocol/engine';
import { modelInputs, rawInputSet } from '../data/dataset';
import { builtInNormalization, graphToWrite } from './exportInput';
import type { ModelGraph } from '../graph/types';
import { runTfliteOnTest } from '../report/evaluateFile';
import { floatFallback } from '../sensitivity/fallback';
import { selectionSplit } from '../sensitivity/selectionSplit';
import { writeFileAtomic } from '../util/atomic';
import { errorSampleIndices } from './sensitivity';
import type { StageContext } from './types';

export function mixedFileName(model: string): string {
  return `${model}_mixed_int8.tflite`;
}

/** Runs the fallback when the budget is set and exceeded; returns the mixed file's row (if written) and what happened. */
/** Measures a written file like every other in the comparison (export.ts evaluateWritten). */
export type MeasureFile = (file: { rel: string; abs: string; model: string }) => Promise<ModelReport>;

export async function runFloatFallback(ctx: StageContext, target: ModelGraph, rows: readonly ModelReport[], measure: MeasureFile): Promise<{ rows: ModelReport[]; record?: FallbackRecord }> {
  const q = ctx.config.quantize;
  const budget = q.maxAccuracyDrop;
  if (budget === null || !q.tflite.includes('full-int8')) {
    return { rows: [] };
  }
  const mine = rows.filter((r) => r.model === target.name);
  const reference = mine.find((r) => r.format === 'tflite' && r.variant === 'float32') ?? mine.find((r) => r.format === 'tfjs') ?? mine.find((r) => r.format === 'keras-h5');
  const int8 = mine.find((r) => r.format === 'tflite' && r.variant === 'full-int8');
  if (!reference || reference.accuracy === null || !int8 || int8.accuracy === null) {
    ctx.warn('fallback-no-reference', `quantize.maxAccuracyDrop is set, but ${target.name} has no measured float and full-int8 accuracy to compare; no float fallback was tried.`);
    return { rows: [] };
  }
  const drop = reference.accuracy - int8.accuracy;
  const base: FallbackRecord = { budget, floatAccuracy: reference.accuracy, floatFile: reference.path, fullInt8Accuracy: int8.accuracy, needed: drop > budget + 1e-9, floatLayers: [], trials: [], met: true };
  const pts = (x: number): string => `${(x * 100).toFixed(2)} pt`;
  if (!base.needed) {
    ctx.log(`full-int8 ${int8.path}: ${pts(drop)} below ${reference.path}, within quantize.maxAccuracyDrop ${pts(budget)}; no float fallback needed`);
    return { rows: [], record: base };
  }
  ctx.log(`full-int8 ${int8.path}: ${pts(drop)} below ${reference.path}, over quantize.maxAccuracyDrop ${pts(budget)}; keeping the most sensitive layers in float`);
  const data = await ctx.data();
  const n = Math.min(q.representativeSamples, data.train.count);
  // Like every file of the run: with the data's normalisation built in (raw input) when the run builds it in.
  const norm = await builtInNormalization(ctx);
  const sel = selectionSplit(data, 'The float fallback\'s choice of layers');
  if (sel.warning) {
    ctx.warn('selection-on-test-set', sel.warning);
  }
  const decideOn = norm ? rawInputSet(sel.set, data.normalization, data.sourceDtype) : sel.set;
  const head = { ...data.train, images: data.train.images.subarray(0, n * data.train.features), count: n };
  const result = await floatFallback(graphToWrite(target, norm, 'keras'), decideOn, {
    maxDrop: budget,
    calibration: { samples: modelInputs(norm ? rawInputSet(head, data.normalization, data.sourceDtype) : head, 0, n), count: n },
    perChannel: q.perChannel,
    method: q.calibration === 'percentile' ? { kind: 'percentile', percentile: q.calibrationPercentile } : { kind: 'min-max' },
    int8Io: q.int8Io,
    errorIndices: errorSampleIndices(decideOn.count, Math.min(50, ctx.config.sensitivity.errorSamples), ctx.config.train.seed),
    evaluate: async (bytes, label) => {
      ctx.throwIfCancelled();
      const r = await runTfliteOnTest(bytes, decideOn, label);
      r.model.dispose();
      return r.accuracy;
    },
    onStep: (done, total, task) => ctx.emit({ type: 'stageProgress', stage: 'export', task: `float fallback: ${task}`, done, total }),
  });
  ctx.log(`float fallback, decided on ${decideOn.count} ${sel.split} samples: float32 ${(result.float32Accuracy * 100).toFixed(2)} %, full-int8 ${(result.fullInt8Accuracy * 100).toFixed(2)} %`);
  for (const t of result.trials) {
    ctx.log(`float fallback: ${t.floatLayers.join(', ')} in float → ${(t.accuracy * 100).toFixed(2)} % (${sel.split})`);
  }
  const rel = mixedFileName(target.name);
  const abs = path.join(ctx.outDir, rel);
  const bytes = await writeFileAtomic(abs, result.data);
  ctx.addArtifact('tflite', target.name, rel, bytes);
  const row = await measure({ rel, abs, model: target.name });
  const decidedOn = { split: sel.split, samples: decideOn.count, float32Accuracy: result.float32Accuracy, fullInt8Accuracy: result.fullInt8Accuracy };
  const accuracy = row.accuracy ?? result.accuracy;
  // Judged where the user reads it: the written file's test accuracy against the float reference's.
  const met = reference.accuracy - accuracy <= budget + 1e-9;
  const record: FallbackRecord = { ...base, decidedOn, floatLayers: result.floatLayers, trials: result.trials, met, file: rel, accuracy };
  if (!met) {
    ctx.warn(
      'fallback-budget-not-met',
      `Even with ${result.floatLayers.join(', ')} in float, ${rel} is ${pts(reference.accuracy - accuracy)} below ${reference.path} on the test set, over quantize.maxAccuracyDrop ${pts(budget)}. Use the float32 or dynamic-int8 file, raise the budget, or calibrate on more samples (quantize.representativeSamples).`,
    );
  } else {
    ctx.log(`float fallback: ${rel} keeps ${result.floatLayers.join(', ')} in float, ${(accuracy * 100).toFixed(2)} % on the test set (budget met)`);
  }
  return { rows: [{ ...row, variant: 'mixed-int8', floatLayers: result.floatLayers }], record };
}
