/**
 * The stages each job kind runs, in order. `pipeline` is the reference workflow:
 * train the baseline → prune it (if enabled) → export/quantize both models (if enabled),
 * which also evaluates every written file in its runtime. `sweep` (jobs/sweep.ts) repeats
 * prune → export for several sparsities.
 */
import type { JobKind, StageKind } from '../../protocol/engine';
import type { RunConfig } from '../../protocol/config';
import { assertNever } from '../../protocol/assert';
import type { ModelGraph } from '../graph/types';
import { runEvaluateStage } from './evaluate';
import { runExportStage } from './export';
import { runPruneStage } from './prune';
import { runSensitivity } from './sensitivity';
import { runClusterStage } from './cluster';
import { runQatStage } from './qat';
import { runSweep } from './sweep';
import { runTrainStage } from './train';
import { applyFreeze } from '../graph/freeze';
import type { RunContext } from './context';
import { REFERENCE_MODEL, prunedName } from './names';
import { loadInputModel, modelNameOf, type JobInputs } from './inputs';
import { timed } from './timed';

/** Where prune / quantize / evaluate / sweep find the reference run's models in --out by default. */
export const BASELINE_DIR = REFERENCE_MODEL;
export const PRUNED_DIR = prunedName(REFERENCE_MODEL);


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
      return [
        ...(inputs && inputs.models.length > 0 ? [] : (['train'] as const)),
        ...(config.prune.enabled ? (['prune'] as const) : []),
        ...(config.cluster.enabled ? (['cluster'] as const) : []),
        ...(config.qat.enabled ? (['qat'] as const) : []),
        ...(config.quantize.enabled ? (['export'] as const) : []),
      ];
    case 'sweep':
      // With qat.enabled every point is also fine-tuned with QAT after its pruning.
      return [...(inputs && inputs.models.length > 0 ? [] : (['train'] as const)), 'prune', ...(config.qat.enabled ? (['qat'] as const) : []), 'export'];
    case 'sensitivity':
      return [...(inputs && inputs.models.length > 0 ? [] : (['train'] as const)), 'sensitivity'];
    case 'qat':
      return ['qat', 'export'];
    case 'cluster':
      return ['cluster', 'export'];
    default:
      return assertNever(job, 'job kind');
  }
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
      const baseline = applyFreeze(await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0]), () => ctx.data()), ctx.config.train.freeze);
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
    case 'sensitivity':
      await runSensitivity(ctx, inputs);
      return;
    case 'qat': {
      // PTQ (the source's full-int8) and QAT side by side in one comparison.
      const source = await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0]), () => ctx.data());
      const qat = await timed(ctx, 'qat', () => runQatStage(ctx, source));
      await timed(ctx, 'export', () => runExportStage(ctx, [source], { qat }));
      return;
    }
    case 'cluster': {
      const source = await loadInputModel(inputs.models[0], modelNameOf(inputs.models[0]), () => ctx.data());
      const clustered = await timed(ctx, 'cluster', () => runClusterStage(ctx, source));
      await timed(ctx, 'export', () => runExportStage(ctx, [source], { clustered: clustered.model }));
      return;
    }
    default:
      assertNever(job, 'job kind');
  }
}

/** train → prune → (cluster) → (qat) → export; with `--model F` the baseline is F (no training) and the files are named after it. */
export async function runPipeline(ctx: RunContext, inputs: JobInputs = { models: [] }): Promise<void> {
  const file = inputs.models[0];
  // train.freeze holds for every stage that fine-tunes the input model (the trained baseline carries it already).
  const baseline = file ? applyFreeze(await loadInputModel(file, modelNameOf(file), () => ctx.data()), ctx.config.train.freeze) : await timed(ctx, 'train', () => runTrainStage(ctx));
  if (file) {
    ctx.log(`pipeline baseline: ${file} (${baseline.name}); no training, its files are ${baseline.name}.h5 and ${prunedName(baseline.name)}…`);
  }
  const models = [baseline];
  if (ctx.config.prune.enabled) {
    models.push(await timed(ctx, 'prune', () => runPruneStage(ctx, baseline)));
  } else {
    ctx.log('pruning disabled (prune.enabled = false): skipping the prune stage');
  }
  // Clustering and QAT both start from the pruned model (or the baseline), each keeping its zeros.
  const source = models[models.length - 1];
  const clustered = ctx.config.cluster.enabled ? (await timed(ctx, 'cluster', () => runClusterStage(ctx, source))).model : undefined;
  const qat = ctx.config.qat.enabled ? await timed(ctx, 'qat', () => runQatStage(ctx, source)) : undefined;
  if (ctx.config.quantize.enabled) {
    await timed(ctx, 'export', () => runExportStage(ctx, models, { qat, clustered, inputFile: file }));
  } else {
    if (qat || clustered) {
      ctx.warn('optimized-not-exported', `quantize.enabled is false, so the ${qat ? 'QAT' : 'clustered'} model is trained but no file of it is written. Set quantize.enabled to true to get its .tflite and the comparison.`);
    }
    ctx.log('export disabled (quantize.enabled = false): skipping the export stage');
  }
}
