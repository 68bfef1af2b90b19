/**
 * The `sweep` job: the size / accuracy trade-off in one run. The baseline (the input model,
 * or one trained first) is exported as TFLite float32 plus the sweep's variants; then for each
 * sparsity it is pruned (the prune stage with a per-point schedule, model `pruned_s<NN>` under
 * `<out>/sweep/`), exported in the chosen variants into `<out>/sweep/`, and every file is
 * measured from disk and in the TFLite runtime. Rows are emitted as `report` events as they
 * accumulate; `<out>/sweep/sweep.md` + `sweep.json` (Pareto marks, the file to deploy under the
 * accuracy budget) are rewritten atomically after every point, so a cancelled sweep keeps the
 * table of the points it finished. The sweep writes into its run folder; only a completed sweep
 * is published to the top of the output folder, replacing the earlier sweep's points there
 * (output/publish.ts).
 */
import * as path from 'node:path';
import type { PruningSchedule, TfliteMode } from '../../protocol/config';
import type { ModelReport } from '../../protocol/engine';
import type { SweepSummary } from '../../protocol/sweep';
import { sparsityLabel } from '../config/validate';
import type { ModelGraph } from '../graph/types';
import { kindOfNode } from '../layers/registry';
import { withDeltas } from '../report/comparison';
import { deployConstraint } from '../deploy/constraint';
import { buildSweepSummary, writeSweepFiles } from '../report/sweep';
import type { RunContext } from './context';
import { evaluateWritten, tfliteFileName, writeTfliteVariants } from './export';
import type { Written } from './export';
import { loadInputModel, modelNameOf, type JobInputs } from './inputs';
import { timed } from './timed';
import { runPruneStage } from './prune';
import { runTrainStage } from './train';

/** Folder under the output folder that holds every file of a sweep. */
export const SWEEP_DIR = 'sweep';

/** Model name of a sweep point: 0.5 → 'pruned_s50', 0.875 → 'pruned_s87_5'. */
export function sweepModelName(sparsity: number): string {
  return `pruned_s${sparsityLabel(sparsity)}`;
}

/** Every TFLite variant (a Record so a new TfliteMode fails to compile until it is listed here). */
const ALL_TFLITE_MODES = Object.keys({ float32: true, float16: true, 'dynamic-int8': true, 'full-int8': true } satisfies Record<TfliteMode, true>) as TfliteMode[];

/**
 * The sweep point (model name, e.g. 'pruned_s87_5') an entry of `<out>/sweep/` belongs to, or
 * null when the entry is not one of a point's own names: the TF.js folder `pruned_s<NN>` or a
 * TFLite file `pruned_s<NN>_<variant>.tflite` as writeTfliteVariants names it.
 */
export function sweepPointOf(entry: string, isDirectory: boolean): string | null {
  const m = /^pruned_s\d+(?:_\d+)?/.exec(entry);
  if (!m) {
    return null;
  }
  const name = m[0];
  if (isDirectory) {
    return entry === name ? name : null;
  }
  return ALL_TFLITE_MODES.some((mode) => tfliteFileName(name, mode) === entry) ? name : null;
}

/** The user's prune schedule, aimed at one point's sparsity (same kind, steps and frequency). */
export function scheduleFor(base: PruningSchedule, sparsity: number): PruningSchedule {
  if (base.kind === 'constant_sparsity') {
    return { ...base, targetSparsity: sparsity };
  }
  return { ...base, finalSparsity: sparsity, initialSparsity: Math.min(base.initialSparsity, sparsity) };
}

/** Evaluates `written`, tags the rows with the point's target and the baseline's Δ, and emits them. */
async function measure(ctx: RunContext, written: Written[], target: number, baselineAccuracy: () => number | null): Promise<ModelReport[]> {
  const t = performance.now();
  const raw = await evaluateWritten(ctx, written);
  ctx.addTiming('evaluate', performance.now() - t);
  const tagged = raw.map((r) => ({ ...r, targetSparsity: target }));
  const rows = withDeltas(tagged, baselineAccuracy() ?? tagged[0]?.accuracy ?? null);
  ctx.emit({ type: 'report', rows });
  return rows;
}

async function exportPoint(ctx: RunContext, model: ModelGraph, modes: readonly TfliteMode[]): Promise<Written[]> {
  const t = performance.now();
  const written = await writeTfliteVariants(ctx, model, modes, SWEEP_DIR);
  ctx.addTiming('export', performance.now() - t);
  return written;
}

export async function runSweep(ctx: RunContext, inputs: JobInputs): Promise<SweepSummary> {
  const cfg = ctx.config.sweep;
  const epochs = cfg.epochs ?? ctx.config.prune.epochs;
  const sweepDir = path.join(ctx.outDir, SWEEP_DIR);

  // ---- the baseline: the input model, or train one --------------------------------------
  let baseline: ModelGraph;
  if (inputs.models.length > 0) {
    const file = inputs.models[0];
    baseline = await loadInputModel(file, modelNameOf(file), () => ctx.data());
    const rel = path.relative(ctx.outRoot, file);
    ctx.log(`sweep baseline: ${rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/')} (${baseline.name})`);
  } else {
    ctx.log('sweep baseline: no trained model in the output folder, training one first');
    baseline = await timed(ctx, 'train', () => runTrainStage(ctx));
  }
  // Sizes of the prunable kernels in model order (one per Dense layer for an MLP), to weigh per-layer sparsity.
  const kernelSizes = baseline.layers.flatMap((l) => l.weights.filter((w) => kindOfNode(l).prunable.includes(w.name)).map((w) => w.data.length));
  if (ctx.config.prune.sparsityMN) {
    ctx.warn('sweep-ignores-mn', `prune.sparsityMN ${JSON.stringify(ctx.config.prune.sparsityMN)} fixes the sparsity at m/n, so the sweep prunes element-wise (or by prune.blockSize) to each of sweep.sparsities instead.`);
  }
  ctx.log(
    `sweep: sparsities ${cfg.sparsities.join(', ')} of ${Array.isArray(cfg.layers) ? cfg.layers.join(', ') : `${cfg.layers} layers`}, ` +
      `${epochs} fine-tuning epoch(s) each, TFLite ${cfg.tflite.join(', ')}; files in ${SWEEP_DIR}/`,
  );

  const rows: ModelReport[] = [];
  // deploy.target constrains the recommendation to files that fit and run there (engine/deploy/constraint.ts).
  const check = deployConstraint(ctx.config.deploy, (rel) => path.join(ctx.outDir, ...rel.split('/')));
  const deploy = check ? { target: ctx.config.deploy.target!, maxLatencyMs: ctx.config.deploy.maxLatencyMs, check } : undefined;
  let baselineAccuracy: number | null = null;
  const summarize = async (complete: boolean): Promise<SweepSummary> => {
    const summary = buildSweepSummary({ complete, sparsities: cfg.sparsities, layers: cfg.layers, variants: cfg.tflite, epochs, maxAccuracyDrop: cfg.maxAccuracyDrop, kernelSizes, rows, deploy });
    const sizes = await writeSweepFiles(sweepDir, summary);
    ctx.addArtifact('report', 'sweep', `${SWEEP_DIR}/sweep.json`, sizes.json);
    ctx.addArtifact('report', 'sweep', `${SWEEP_DIR}/sweep.md`, sizes.md);
    ctx.sweep = summary;
    return summary;
  };

  // ---- point 0: the baseline as float32 (the reference row) and in the sweep's variants ----
  {
    const t0 = performance.now();
    ctx.throwIfCancelled();
    ctx.emit({ type: 'stageStarted', stage: 'export', model: baseline.name });
    const modes: TfliteMode[] = ['float32', ...cfg.tflite.filter((m) => m !== 'float32')];
    const written = await exportPoint(ctx, baseline, modes);
    const measured = await measure(ctx, written, 0, () => null);
    baselineAccuracy = measured[0]?.accuracy ?? null;
    rows.push(...measured);
    ctx.addStageRecord({ stage: 'export', model: baseline.name, epochs: [], ...(baselineAccuracy !== null ? { testAccuracy: baselineAccuracy } : {}), durationMs: performance.now() - t0 });
    await summarize(false);
  }

  // ---- one point per sparsity --------------------------------------------------------------
  for (const [i, sparsity] of cfg.sparsities.entries()) {
    ctx.throwIfCancelled();
    const name = sweepModelName(sparsity);
    const pruned = await timed(ctx, 'prune', () =>
      runPruneStage(ctx, baseline, {
        modelName: name,
        subdir: SWEEP_DIR,
        schedule: scheduleFor(ctx.config.prune.schedule, sparsity),
        layers: cfg.layers,
        epochs,
        sparsityMN: null,
        logRun: `${SWEEP_DIR}/${name}`,
      }),
    );
    const t0 = performance.now();
    ctx.throwIfCancelled();
    ctx.emit({ type: 'stageStarted', stage: 'export', model: name });
    const written = await exportPoint(ctx, pruned, cfg.tflite);
    const measured = await measure(ctx, written, sparsity, () => baselineAccuracy);
    rows.push(...measured);
    ctx.addStageRecord({ stage: 'export', model: name, epochs: [], durationMs: performance.now() - t0 });
    await summarize(i === cfg.sparsities.length - 1);
  }

  const summary = ctx.sweep?.complete ? ctx.sweep : await summarize(true);
  ctx.log(summary.recommendation);
  return summary;
}
