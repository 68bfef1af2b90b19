/**
 * The stages each job kind runs, in order. `pipeline` is the reference workflow:
 * train the baseline → prune it (if enabled) → export/quantize both models (if enabled),
 * which also evaluates every written file in its runtime. `sweep` (jobs/sweep.ts) repeats
 * prune → export for several sparsities.
 */
import * as path from 'node:path';
import type { JobKind, StageKind } from '../../protocol/engine';
import type { RunConfig } from '../../protocol/config';
import { assertNever } from '../../protocol/assert';
import type { ModelGraph } from '../graph/types';
import { runEvaluateStage } from './evaluate';
import { runExportStage } from './export';
import { runPruneStage } from './prune';
import { runSweep } from './sweep';
import { runTrainStage } from './train';
import type { RunContext } from './context';
import { REFERENCE_MODEL, prunedName } from './names';
import { BadInputError } from '../errors';
import type { SplitData } from '../data/dataset';
import { checkClasses, checkInputSize } from '../util/modelFit';
import { loadModelFile } from '../import';
import { analyzeGraph } from '../graph/analyze';
import { checkInputShape } from '../graph/input';

/** Where prune / quantize / evaluate / sweep find the reference run's models in --out by default. */
export const BASELINE_DIR = REFERENCE_MODEL;
export const PRUNED_DIR = prunedName(REFERENCE_MODEL);

/** What a job works on, found before it starts (so a missing input is bad input, not a failed run). */
export interface JobInputs {
  /** Input model files (absolute): for prune / quantize / evaluate / sweep, and `--model` of train (fine-tune) and pipeline (skips training). */
  models: string[];
}

/** `inputs` decides whether a sweep trains its baseline first (no model in --out and no --model). */
export function stagesOf(job: JobKind, config: RunConfig, inputs?: JobInputs): StageKind[] {
  switch (job) {
    case 'train':
      return ['train'];
    case 'prune':
      return ['prune'];
    case 'quantize':
      return ['export'];
    case 'evaluate':
      return ['evaluate'];
    case 'pipeline':
      return [...(inputs && inputs.models.length > 0 ? [] : (['train'] as const)), ...(config.prune.enabled ? (['prune'] as const) : []), ...(config.quantize.enabled ? (['export'] as const) : [])];
    case 'sweep':
      return [...(inputs && inputs.models.length > 0 ? [] : (['train'] as const)), 'prune', 'export'];
    default:
      return assertNever(job, 'job kind');
  }
}

/** Runs one stage, adding its wall time to the record unless the stage timed itself. */
export async function timed<T>(ctx: RunContext, phase: StageKind, fn: () => Promise<T>): Promise<T> {
  ctx.throwIfCancelled();
  const before = ctx.timings[phase];
  const t = performance.now();
  const result = await fn();
  if (ctx.timings[phase] === before) {
    ctx.addTiming(phase, performance.now() - t);
  }
  return result;
}

/**
 * Loads an input model (Keras .h5 / .keras, TF.js model.json) as a graph, through the
 * importers (src/engine/import/); anything wrong with the file is the user's to fix, including
 * an input shape or class count that does not fit the data it will be trained and evaluated on.
 */
export async function loadInputModel(file: string, name: string, data?: () => Promise<SplitData>): Promise<ModelGraph> {
  let model: ModelGraph;
  try {
    model = await loadModelFile(file, { name });
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    throw new BadInputError(`Cannot load the model ${file}: ${(err as Error).message}. Pass a Keras .h5 / .keras file or a TF.js model.json.`, file);
  }
  if (data) {
    const d = await data();
    const a = analyzeGraph(model);
    // A different number of values: the message every format gives (util/modelFit.ts); same count, other layout: the shape check.
    checkInputSize(file, a.inputShape.reduce((x, y) => x * y, 1), d.train, d.name);
    checkInputShape(d.shape, a.inputShape, `${d.name} (${file})`);
    checkClasses(file, a.outputShape[a.outputShape.length - 1], d.train);
  }
  return model;
}

export function modelNameOf(file: string): string {
  const base = path.basename(file);
  return base === 'model.json' ? path.basename(path.dirname(file)) : base.replace(/\.[^.]+$/, '');
}

/** Runs the stages of `job`; every stage reports through ctx. */
export async function runStages(ctx: RunContext, job: JobKind, inputs: JobInputs): Promise<void> {
  switch (job) {
    case 'train': {
      // --model F fine-tunes F (named after its file); otherwise a fresh model of the config.
      const initial = inputs.models[0] ? await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0]), () => ctx.data()) : undefined;
      await timed(ctx, 'train', () => runTrainStage(ctx, initial));
      return;
    }
    case 'prune': {
      const baseline = await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0]), () => ctx.data());
      await timed(ctx, 'prune', () => runPruneStage(ctx, baseline));
      return;
    }
    case 'quantize': {
      const models: ModelGraph[] = [];
      for (const file of inputs.models) {
        models.push(await loadInputModel(file, modelNameOf(file), () => ctx.data()));
      }
      await timed(ctx, 'export', () => runExportStage(ctx, models));
      return;
    }
    case 'evaluate': {
      const sawReport = ctx.report.length;
      const rows = await timed(ctx, 'evaluate', () => runEvaluateStage(ctx, inputs.models[0]));
      if (ctx.report.length === sawReport && rows.length > 0) {
        ctx.emit({ type: 'report', rows });
      }
      return;
    }
    case 'pipeline':
      await runPipeline(ctx, inputs);
      return;
    case 'sweep':
      await runSweep(ctx, inputs);
      return;
    default:
      assertNever(job, 'job kind');
  }
}

/** train → prune → export; with `--model F` the baseline is F (no training) and the files are named after it. */
export async function runPipeline(ctx: RunContext, inputs: JobInputs = { models: [] }): Promise<void> {
  const file = inputs.models[0];
  const baseline = file ? await loadInputModel(file, modelNameOf(file), () => ctx.data()) : await timed(ctx, 'train', () => runTrainStage(ctx));
  if (file) {
    ctx.log(`pipeline baseline: ${file} (${baseline.name}); no training, its files are ${baseline.name}.h5 and ${prunedName(baseline.name)}…`);
  }
  const models = [baseline];
  if (ctx.config.prune.enabled) {
    models.push(await timed(ctx, 'prune', () => runPruneStage(ctx, baseline)));
  } else {
    ctx.log('pruning disabled (prune.enabled = false): skipping the prune stage');
  }
  if (ctx.config.quantize.enabled) {
    await timed(ctx, 'export', () => runExportStage(ctx, models));
  } else {
    ctx.log('export disabled (quantize.enabled = false): skipping the export stage');
  }
}
