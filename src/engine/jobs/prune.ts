/**
 * The pruning stage (tfmot `prune_low_magnitude` + `UpdatePruningStep` + `strip_pruning`):
 * fine-tunes ALL of the trained baseline's weights with a freshly created optimizer while the
 * pruning controller updates and applies magnitude masks, then saves the stripped model
 * 'pruned_mnist_model' as TF.js under `<out>/pruned_mnist_model/` and TensorBoard logs under
 * `<out>/<logsDir>/prune/`.
 *
 * Before training it works out what the schedule will really do with the real number of
 * steps (validation split applied) and warns when end_step lies beyond the last step or the
 * final sparsity is never reached (the reference workflow's 4690 vs 4220 steps).
 */
import * as path from 'node:path';
import { FitLogger, contextWithLogger, removeOldEventFiles } from '../export/tensorboard';
import { cloneGraph } from '../graph/stats';
import { isTrainableLayer } from '../graph/types';
import { frozenRecord } from '../graph/freeze';
import type { ModelGraph } from '../graph/types';
import { PruningController } from '../prune/controller';
import { validateMaskOptions, type MaskOptions } from '../prune/mask';
import { createSchedule, formatF32, planSchedule, stepsPerEpoch, type PruningSchedule as ScheduleRuntime, type SchedulePlan } from '../prune/schedule';
import { maskOptionsFor, selectPruneTargets, type PruneTarget } from '../prune/targets';
import { fit } from '../train/fit';
import type { PruneConfig, PruningSchedule } from '../../protocol/config';
import { REFERENCE_MODEL, prunedName } from './names';
import { NM_RUNTIMES_NOTE, nmReport } from '../sensitivity/nm';
import { runStructuredPruneStage } from './structured';
import { saveStageOutputs } from './stageOutputs';
import type { StageContext } from './types';

/** The reference run's pruned model (names.ts: pruned_<input name>). */
export const PRUNED_MODEL_NAME = prunedName(REFERENCE_MODEL);
/** TensorBoard run folder of the pruning fit, under `<out>/<logsDir>/`. */
export const PRUNE_LOG_RUN = 'prune';

/** Element count the schedule's sparsity applies to: the kernel, or its pooled blocks. */
function maskedSize(t: PruneTarget, opts: MaskOptions): number {
  const o = maskOptionsFor(t, opts);
  return Math.ceil(t.rows / o.blockSize[0]) * Math.ceil(t.cols / o.blockSize[1]);
}

/** The schedule config with its final/target sparsity replaced (per-layer targets of a prune.layers map). */
function withFinalSparsity(s: PruningSchedule, sparsity: number): PruningSchedule {
  return s.kind === 'polynomial_decay' ? { ...s, finalSparsity: sparsity, initialSparsity: Math.min(s.initialSparsity, sparsity) } : { ...s, targetSparsity: sparsity };
}

function describePlan(plan: SchedulePlan, layers: string[]): string {
  const s = plan.schedule;
  const last = plan.lastUpdateStep === null ? 'never' : `at step ${plan.lastUpdateStep} (target ${formatF32(plan.reachedSparsity)})`;
  return (
    `pruning ${layers.join(', ')}: ${s.kind} to ${formatF32(s.finalSparsity)}, steps ${s.beginStep}..${s.endStep < 0 ? 'end' : s.endStep} ` +
    `every ${s.frequency}; ${plan.totalSteps} training steps (${plan.stepsPerEpoch} per epoch); last mask update ${last}`
  );
}

/** Overrides of prune.* for one run of the stage (the sweep prunes the baseline once per sparsity). */
export interface PruneStageOptions {
  /** Name of the pruned model (default 'pruned_' + the baseline's name). */
  modelName?: string;
  /** Folder under the output folder the model folder goes into ('' = the output folder itself). */
  subdir?: string;
  schedule?: PruningSchedule;
  layers?: PruneConfig['layers'];
  epochs?: number;
  /** m-by-n structure; null = element-wise/block (default prune.sparsityMN). */
  sparsityMN?: [number, number] | null;
  /** TensorBoard run folder under `<out>/<logsDir>/` (default 'prune'). */
  logRun?: string;
}

export async function runPruneStage(ctx: StageContext, baseline: ModelGraph, opts: PruneStageOptions = {}): Promise<ModelGraph> {
  const t0 = performance.now();
  const cfg: PruneConfig = {
    ...ctx.config.prune,
    ...(opts.schedule ? { schedule: opts.schedule } : {}),
    ...(opts.layers !== undefined ? { layers: opts.layers } : {}),
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    ...(opts.sparsityMN !== undefined ? { sparsityMN: opts.sparsityMN } : {}),
  };
  const modelName = opts.modelName ?? prunedName(baseline.name);
  const logRun = opts.logRun ?? PRUNE_LOG_RUN;
  const modelRel = opts.subdir ? `${opts.subdir}/${modelName}` : modelName;
  const train = ctx.config.train;
  const maskOpts: MaskOptions = { blockSize: cfg.blockSize, blockPooling: cfg.blockPooling, sparsityMN: cfg.sparsityMN };
  validateMaskOptions(maskOpts);
  // A sweep point brings its own schedule and prunes by magnitude; otherwise prune.structured decides.
  if (cfg.structured && !opts.schedule) {
    return runStructuredPruneStage(ctx, baseline, cfg, modelName, modelRel, logRun);
  }
  const targets = selectPruneTargets(baseline, cfg.layers);
  const layerNames = targets.map((t) => t.label);

  const data = await ctx.data();
  ctx.throwIfCancelled();
  const plan = planSchedule(cfg.schedule, {
    trainCount: data.train.count,
    batchSize: train.batchSize,
    epochs: cfg.epochs,
    // m-by-n masks ignore the schedule's sparsity value, so only "never updates" applies.
    tensorSizes: maskOpts.sparsityMN
      ? {}
      : Object.fromEntries(targets.filter((t) => t.finalSparsity === undefined).map((t) => [t.label, maskedSize(t, maskOpts)])),
  });
  // Per-layer targets (a prune.layers map): the same schedule shape, each layer's own final sparsity.
  const totalSteps = stepsPerEpoch(data.train.count, train.batchSize) * cfg.epochs;
  const schedules = new Map<string, ScheduleRuntime>(
    targets.filter((t) => t.finalSparsity !== undefined).map((t) => [t.key, createSchedule(withFinalSparsity(cfg.schedule, t.finalSparsity as number), totalSteps)]),
  );
  ctx.emit({ type: 'stageStarted', stage: 'prune', model: modelName, epochs: cfg.epochs, stepsPerEpoch: plan.stepsPerEpoch });
  for (const w of plan.warnings) {
    if (!maskOpts.sparsityMN || w.code === 'prune-never-updates') {
      ctx.warn(w.code, w.message);
    }
  }
  ctx.log(describePlan(plan, layerNames));

  const logDir = path.join(ctx.outDir, ctx.config.output.logsDir, logRun);
  const removed = await removeOldEventFiles(logDir);
  if (removed.length) {
    ctx.log(`removed ${removed.length} older TensorBoard event file(s) from ${ctx.config.output.logsDir}/${logRun}`);
  }
  const logger = new FitLogger(ctx.outDir, ctx.config.output.logsDir, logRun);

  // All baseline weights, a fresh optimizer (tfmot: prune_low_magnitude + compile again).
  // A frozen layer named in prune.layers fine-tunes while it is pruned (else it could never recover); the rest stays frozen.
  const pruning = cloneGraph(baseline, modelName);
  const unfrozen = pruning.layers.filter((l) => !isTrainableLayer(l) && targets.some((t) => t.layer === l.name));
  for (const l of unfrozen) {
    delete l.trainable;
  }
  if (unfrozen.length) {
    ctx.log(`pruning frozen layer(s) ${unfrozen.map((l) => l.name).join(', ')}: they are fine-tuned while pruned (a masked layer that cannot train cannot recover)`);
  }
  const trainer = await ctx.createTrainer(pruning, train.learningRate);
  try {
    const controller = new PruningController({
      trainer,
      modelName: modelName,
      targets,
      schedule: plan.schedule,
      schedules,
      mask: maskOpts,
      emit: (e) => {
        logger.onEvent(e);
        ctx.emit(e);
      },
    });
    const tFit = performance.now();
    const result = await fit(
      contextWithLogger(ctx, logger),
      trainer,
      data,
      { stage: 'prune', model: modelName, epochs: cfg.epochs, batchSize: train.batchSize, shuffle: train.shuffle, seed: train.seed, hooks: controller },
    );
    ctx.addTiming('prune', performance.now() - tFit);

    const pruned = controller.strip(modelName);
    const tEval = performance.now();
    trainer.setModel(pruned);
    const test = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
    ctx.addTiming('evaluate', performance.now() - tEval);
    const measured = controller.measure(pruned);
    ctx.log(
      `${modelName}: test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)}; kernel sparsity ` +
        Object.entries(measured)
          .map(([n, s]) => `${n} ${s.toFixed(4)}`)
          .join(', '),
    );

    ctx.throwIfCancelled();
    await saveStageOutputs(ctx, pruned, modelName, modelRel, logger);

    const nm = nmReport(pruned);
    if (nm.length) {
      ctx.log(`2:4 sparsity: ${nm.map((r) => `${r.layer} ${r.satisfies ? 'yes' : `no (${(r.groupsOk * 100).toFixed(1)} % of groups)`}`).join(', ')}. ${NM_RUNTIMES_NOTE}`);
    }
    const last = controller.updates.at(-1);
    ctx.addStageRecord({
      stage: 'prune',
      model: modelName,
      epochs: result.epochs,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      durationMs: performance.now() - t0,
      nm: { rows: nm, note: NM_RUNTIMES_NOTE },
      ...frozenRecord(pruning, result.featureCache),
      pruning: {
        effectiveEndStep: plan.effectiveEndStep,
        totalSteps: result.steps,
        lastMaskUpdateStep: last?.step ?? null,
        // The target the masks really reached (at the last update), not the configured one.
        finalTargetSparsity: last?.targetSparsity ?? 0,
        layers: layerNames,
        maskUpdates: controller.updates.map((u) => ({ step: u.step, targetSparsity: u.targetSparsity, layers: Object.fromEntries(u.layers.map((l) => [l.name, l.sparsity])) })),
      },
    });
    return pruned;
  } finally {
    await logger.settle();
    trainer.dispose();
  }
}
