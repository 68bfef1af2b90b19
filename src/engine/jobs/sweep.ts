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
import * as os from 'node:os';
import * as path from 'node:path';
import type { TfliteMode } from '../../protocol/config';
import type { ModelReport } from '../../protocol/engine';
import type { SweepSummary } from '../../protocol/sweep';
import { BadInputError } from '../errors';
import { analyzeGraph } from '../graph/analyze';
import { layerTable } from '../graph/stats';
import type { ModelGraph } from '../graph/types';
import { kindOfNode } from '../layers/registry';
import { defaultMemoryLimitBytes, estimateTrainingMemory, formatBytes } from '../memory/estimate';
import { withDeltas } from '../report/comparison';
import { deployConstraint } from '../deploy/constraint';
import { buildSweepSummary, writeSweepFiles } from '../report/sweep';
import type { RunContext } from './context';
import { evaluateWritten, tfliteFileName, writeTfliteVariants } from './export';
import { qatName } from './qat';
import type { Written } from './export';
import { loadInputModel, modelNameOf, type JobInputs } from './inputs';
import { timed } from './timed';
import { runTrainStage } from './train';
import { applyFreeze } from '../graph/freeze';
import { runPointsInWorkers, type PointOutcome } from './sweepPool';
import { SWEEP_DIR, runSweepPoint, sparsityPoints } from './sweepPoints';
import { WORKER_RUNTIME_BYTES, planSweepWorkers, threadsPerWorker, type WorkerPlan } from './sweepWorkers';

export { SWEEP_DIR, scheduleFor, sweepModelName } from './sweepPoints';

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
  return ALL_TFLITE_MODES.some((mode) => tfliteFileName(name, mode) === entry) || tfliteFileName(qatName(name), 'full-int8') === entry ? name : null;
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
    // train.freeze holds for every point's fine-tune, as in pipeline --model.
    baseline = applyFreeze(await loadInputModel(file, modelNameOf(file), () => ctx.data()), ctx.config.train.freeze);
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
    const variants = ctx.config.qat.enabled ? [...cfg.tflite, 'full-int8 QAT'] : cfg.tflite;
    const summary = buildSweepSummary({ complete, sparsities: cfg.sparsities, layers: cfg.layers, variants, epochs, maxAccuracyDrop: cfg.maxAccuracyDrop, kernelSizes, rows, deploy });
    const sizes = await writeSweepFiles(sweepDir, summary);
    ctx.addArtifact('report', 'sweep', `${SWEEP_DIR}/sweep.json`, sizes.json);
    ctx.addArtifact('report', 'sweep', `${SWEEP_DIR}/sweep.md`, sizes.md);
    ctx.sweep = summary;
    return summary;
  };

  // ---- the points: in worker processes when more than one fits -------------------------------
  const points = sparsityPoints(ctx.config);
  const plan = planWorkers(ctx, baseline, points.length);
  for (const note of plan.notes) {
    ctx.warn('sweep-workers', note);
  }
  const failures: Extract<PointOutcome, { ok: false }>[] = [];
  const onPointEnd = async (outcome: PointOutcome): Promise<void> => {
    if (!outcome.ok) {
      if (outcome.code !== 'cancelled') {
        failures.push(outcome);
        ctx.warn('sweep-point-failed', `Sweep point ${outcome.point.name} failed: ${outcome.message}`);
      }
      return;
    }
    if (outcome.result.trainer) {
      ctx.backend.trainer = outcome.result.trainer;
    }
    const measured = withDeltas(outcome.result.rows, baselineAccuracy ?? outcome.result.rows[0]?.accuracy ?? null);
    ctx.emit({ type: 'report', rows: measured });
    rows.push(...measured);
    await summarize(outcome.point.index === points.length - 1 && failures.length === 0 && !ctx.signal.aborted);
  };
  const script = plan.workers > 1 ? ctx.sweepWorkerScript : null;
  // Workers start (and run their points) while this process measures the baseline; what they do
  // reaches the run only after the baseline's rows, as in a sweep one point after another.
  let openGate = (): void => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const stop = new AbortController();
  let pool: Promise<void> | undefined;
  if (script) {
    ctx.log(`sweep: ${points.length} points in ${plan.workers} worker processes (sweep.workers ${JSON.stringify(ctx.config.sweep.workers)}; "auto" here = ${plan.auto})`);
    pool = runPointsInWorkers(ctx, baseline, await ctx.data(), points, { workers: plan.workers, script, execArgv: process.execArgv, gate, stop: stop.signal }, onPointEnd);
    // Awaited below; a rejection before then must not count as unhandled.
    pool.catch(() => undefined);
  } else if (plan.workers > 1) {
    ctx.log('sweep: points one after another in this process (no engine bundle to start workers from: running from source)');
  }

  // ---- point 0: the baseline as float32 (the reference row) and in the sweep's variants ----
  try {
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
  } catch (err) {
    // The workers stop (and are waited for) before the baseline's problem ends the run.
    stop.abort();
    openGate();
    await pool?.catch(() => undefined);
    throw err;
  }
  openGate();

  if (pool) {
    await pool;
    ctx.throwIfCancelled();
  } else {
    for (const point of points) {
      ctx.throwIfCancelled();
      const result = await runSweepPoint(ctx, baseline, point);
      await onPointEnd({ ok: true, point, result, maxRssBytes: 0 });
    }
  }
  if (failures.length > 0) {
    await summarize(false);
    const bad = failures.find((f) => f.code === 'bad-input');
    if (bad) {
      throw new BadInputError(bad.message, bad.where);
    }
    throw new Error(
      `${failures.length} of ${points.length} sweep points failed (${failures.map((f) => `${f.point.name}: ${f.message}`).join('; ')}). ` +
        `The other points' files and rows are in ${SWEEP_DIR}/sweep.md of the run folder.`,
    );
  }

  const summary = ctx.sweep?.complete ? ctx.sweep : await summarize(true);
  ctx.log(summary.recommendation);
  return summary;
}

/** How many workers this sweep runs (sweep.workers, the cores, the memory they would need). */
function planWorkers(ctx: RunContext, baseline: ModelGraph, points: number): WorkerPlan {
  const cfg = ctx.config;
  const table = layerTable(analyzeGraph(baseline));
  const datasetBytes = ctx.datasetBytes();
  const perWorker = estimateTrainingMemory({
    layers: table.map((r) => ({ name: r.name, params: r.params, activations: r.outputShape.reduce((a, b) => a * b, 1) })),
    inputValues: analyzeGraph(baseline).inputShape.reduce((a, b) => a * b, 1),
    batchSize: cfg.train.batchSize,
    datasetBytes,
    // A pruning mask per weight and the fine-tuned copy.
    extraCopies: 2,
  });
  const plan = planSweepWorkers({
    requested: cfg.sweep.workers,
    cores: os.availableParallelism(),
    threadsPerWorker: threadsPerWorker(ctx.backend),
    points,
    perWorkerBytes: perWorker.total + WORKER_RUNTIME_BYTES,
    parentBytes: process.memoryUsage().rss,
    limitBytes: cfg.train.memoryLimitMB > 0 ? cfg.train.memoryLimitMB * 1024 * 1024 : defaultMemoryLimitBytes(),
    freeBytes: os.freemem(),
  });
  if (plan.workers > 1) {
    ctx.log(`sweep workers: ${plan.workers}, each estimated at ${formatBytes(perWorker.total + WORKER_RUNTIME_BYTES)} (training ${formatBytes(perWorker.total)} + runtime ${formatBytes(WORKER_RUNTIME_BYTES)})`);
  }
  return plan;
}
