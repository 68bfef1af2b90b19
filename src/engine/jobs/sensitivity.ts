/**
 * The `sensitivity` job (issue 16): per-layer pruning and int8 sensitivity of one model — the
 * input model (--model), else the trained baseline in the output folder, else the config's
 * model trained first — written to `<run>/sensitivity.json` + `.md`, sent as a `sensitivity`
 * event and kept in the run record. Accuracies are on the validation split (what a suggestion is
 * decided on; the test set only when there is no usable validation split); the int8 files are
 * calibrated exactly as the export stage calibrates them (quantize.representativeSamples,
 * quantize.calibration, quantize.perChannel) and run in the TFLite runtime.
 */
import * as path from 'node:path';
import type { SensitivityReport } from '../../protocol/sensitivity';
import { modelInputs } from '../data/dataset';
import { graphAccuracy } from '../sensitivity/accuracy';
import { NM_RUNTIMES_NOTE, nmReport } from '../sensitivity/nm';
import { pruneSensitivity } from '../sensitivity/pruneSensitivity';
import { quantSensitivity } from '../sensitivity/quantSensitivity';
import { selectionSplit } from '../sensitivity/selectionSplit';
import { suggestSparsities } from '../sensitivity/suggest';
import { runTfliteOnTest } from '../report/evaluateFile';
import { writeSensitivityFiles } from '../report/sensitivity';
import { loadTfliteRuntime } from '../runtime/tfliteRuntime';
import { Rng, permutation } from '../util/random';
import type { ModelGraph } from '../graph/types';
import type { RunContext } from './context';
import { loadInputModel, modelNameOf, type JobInputs } from './inputs';
import { runTrainStage } from './train';
import { timed } from './timed';

/** The samples the int8 error statistics use: `n` of a set of `count`, picked by `seed`. */
export function errorSampleIndices(count: number, n: number, seed: number): number[] {
  return Array.from(permutation(count, new Rng(seed)).subarray(0, Math.min(n, count))).sort((a, b) => a - b);
}

export async function analyzeSensitivity(ctx: RunContext, model: ModelGraph): Promise<SensitivityReport> {
  const cfg = ctx.config.sensitivity;
  const q = ctx.config.quantize;
  const data = await ctx.data();
  const sel = selectionSplit(data, 'The sensitivity ranking');
  if (sel.warning) {
    ctx.warn('selection-on-test-set', sel.warning);
  }
  const test = sel.set;
  const seed = ctx.config.train.seed;
  ctx.emit({ type: 'stageStarted', stage: 'sensitivity', model: model.name });
  const progress = (done: number, total: number, task: string): void => {
    ctx.throwIfCancelled();
    ctx.emit({ type: 'stageProgress', stage: 'sensitivity', task, done, total });
  };

  const baselineAccuracy = graphAccuracy(model, test);
  ctx.log(`${model.name}: float ${sel.split} accuracy ${baselineAccuracy.toFixed(4)} on ${test.count} samples`);
  const prune = pruneSensitivity(model, test, {
    sparsities: cfg.sparsities,
    baselineAccuracy,
    onStep: (d, t, what) => progress(d, t, `pruning ${what}`),
  });
  const { suggestion, note } = suggestSparsities(prune, cfg.sparsities, cfg.targetSparsity);

  const n = Math.min(q.representativeSamples, data.train.count);
  const runtime = await loadTfliteRuntime();
  const quant = await quantSensitivity(model, test, {
    calibration: { samples: modelInputs(data.train, 0, n), count: n },
    perChannel: q.perChannel,
    method: q.calibration === 'percentile' ? { kind: 'percentile', percentile: q.calibrationPercentile } : { kind: 'min-max' },
    errorIndices: errorSampleIndices(test.count, cfg.errorSamples, seed),
    evaluate: async (bytes, label) => {
      const r = await runTfliteOnTest(bytes, test, label);
      r.model.dispose();
      return r.accuracy;
    },
    onStep: (d, t, what) => progress(d, t, `int8: ${what}`),
  });
  const report: SensitivityReport = {
    version: 1,
    model: model.name,
    seed,
    split: sel.split,
    samples: test.count,
    calibrationSamples: n,
    errorSamples: Math.min(cfg.errorSamples, test.count),
    baselineAccuracy,
    sparsities: [...cfg.sparsities],
    prune,
    float32Accuracy: quant.float32Accuracy,
    fullInt8Accuracy: quant.fullInt8Accuracy,
    runtime: `tfjs-tflite (${runtime.variant})`,
    quantization: quant.quantization,
    quant: quant.rows,
    ...(suggestion ? { suggestion } : {}),
    ...(note ? { suggestionNote: note } : {}),
    nm: nmReport(model),
    nmNote: NM_RUNTIMES_NOTE,
  };
  ctx.throwIfCancelled();
  const sizes = await writeSensitivityFiles(ctx.outDir, report);
  ctx.addArtifact('report', model.name, 'sensitivity.json', sizes.json);
  ctx.addArtifact('report', model.name, 'sensitivity.md', sizes.md);
  ctx.sensitivity = report;
  ctx.emit({ type: 'sensitivity', report });
  if (suggestion) {
    ctx.log(`suggested prune.layers for ${cfg.targetSparsity} overall: ${JSON.stringify(suggestion.layers)}`);
  }
  ctx.addStageRecord({ stage: 'sensitivity', model: model.name, epochs: [], testAccuracy: baselineAccuracy, durationMs: 0 });
  return report;
}

export async function runSensitivity(ctx: RunContext, inputs: JobInputs): Promise<SensitivityReport> {
  let model: ModelGraph;
  if (inputs.models.length > 0) {
    const file = inputs.models[0];
    model = await loadInputModel(file, modelNameOf(file), () => ctx.data());
    const rel = path.relative(ctx.outRoot, file);
    ctx.log(`sensitivity of ${rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/')} (${model.name})`);
  } else {
    ctx.log('sensitivity: no trained model in the output folder, training one first');
    model = await timed(ctx, 'train', () => runTrainStage(ctx));
  }
  const t0 = performance.now();
  const report = await timed(ctx, 'sensitivity', () => analyzeSensitivity(ctx, model));
  const rec = ctx.stages.find((s) => s.stage === 'sensitivity' && s.model === model.name);
  if (rec) {
    rec.durationMs = performance.now() - t0;
  }
  return report;
}
