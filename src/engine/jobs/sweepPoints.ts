/**
 * A sweep point is a config overlay: the run's config with some sections' fields replaced (a
 * sparsity point replaces prune.schedule / layers / epochs). One point = one model, pruned from
 * the baseline with its config, exported in sweep.tflite and measured. The same `runSweepPoint`
 * runs a point in the engine's own process and in a sweep worker process (sweepPool.ts), so the
 * two give the same files and the same numbers. New sweep dimensions (other pruning structures)
 * add points with other overlays; nothing here knows about sparsity except `sparsityPoints`.
 * PTQ vs QAT is not a point of its own: QAT needs the point's pruned model, so with qat.enabled
 * every point also writes its QAT full-int8 file (sparsity × {PTQ, QAT}).
 */
import type { PruningSchedule, RunConfig } from '../../protocol/config';
import type { EngineEvent, ModelReport } from '../../protocol/engine';
import { sparsityLabel } from '../config/validate';
import type { ModelGraph } from '../graph/types';
import { evaluateWritten, writeTfliteVariants } from './export';
import { runPruneStage } from './prune';
import { runQatStage } from './qat';
import type { StageContext } from './types';

/** Folder under the run folder that holds every file of a sweep. */
export const SWEEP_DIR = 'sweep';

/** Sections of RunConfig a point may override, field by field. */
export type ConfigOverlay = { [K in Exclude<keyof RunConfig, 'backend'>]?: Partial<RunConfig[K]> };

export interface SweepPoint {
  /** Position among the points: events, stage records and report rows are merged in this order. */
  index: number;
  /** The point's model name, unique in the sweep: its files are named after it ('pruned_s50'). */
  name: string;
  /** The pruning target of the point (the report rows' targetSparsity). */
  targetSparsity: number;
  overlay: ConfigOverlay;
}

/** What a point hands back: its report rows (tagged with targetSparsity, no deltas yet). */
export interface PointResult {
  rows: ModelReport[];
  /** The training loop the point's fine-tuning ran on. */
  trainer?: string;
}

/** Model name of a sparsity point: 0.5 → 'pruned_s50', 0.875 → 'pruned_s87_5'. */
export function sweepModelName(sparsity: number): string {
  return `pruned_s${sparsityLabel(sparsity)}`;
}

/** The user's prune schedule, aimed at one point's sparsity (same kind, steps and frequency). */
export function scheduleFor(base: PruningSchedule, sparsity: number): PruningSchedule {
  if (base.kind === 'constant_sparsity') {
    return { ...base, targetSparsity: sparsity };
  }
  return { ...base, finalSparsity: sparsity, initialSparsity: Math.min(base.initialSparsity, sparsity) };
}

/** One point per sweep.sparsities entry: prune the configured layers to it, element-wise or by prune.blockSize. */
export function sparsityPoints(config: RunConfig): SweepPoint[] {
  const cfg = config.sweep;
  return cfg.sparsities.map((sparsity, index) => ({
    index,
    name: sweepModelName(sparsity),
    targetSparsity: sparsity,
    overlay: {
      prune: {
        schedule: scheduleFor(config.prune.schedule, sparsity),
        layers: cfg.layers,
        epochs: cfg.epochs ?? config.prune.epochs,
        sparsityMN: null,
      },
    },
  }));
}

/** The run's config with the point's overlay applied (one level deep: a section's fields are replaced). */
export function pointConfig(config: RunConfig, point: Pick<SweepPoint, 'overlay'>): RunConfig {
  const out = { ...config } as Record<string, unknown>;
  for (const [section, fields] of Object.entries(point.overlay)) {
    if (fields !== undefined) {
      out[section] = { ...(config[section as keyof RunConfig] as unknown as Record<string, unknown>), ...(fields as Record<string, unknown>) };
    }
  }
  return out as unknown as RunConfig;
}

/** Progress events of a point carry its name, so a consumer can tell the points apart. */
export function tagEvent(event: EngineEvent, point: string): EngineEvent {
  switch (event.type) {
    case 'stageStarted':
    case 'batchProgress':
    case 'stageProgress':
    case 'epochEnd':
    case 'pruningStep':
      return { ...event, point };
    default:
      return event;
  }
}

/** `ctx` seen by one point: its config, and progress events tagged with the point. */
export function pointContext(ctx: StageContext, point: SweepPoint): StageContext {
  const config = pointConfig(ctx.config, point);
  return {
    runId: ctx.runId,
    config,
    outDir: ctx.outDir,
    ...(ctx.outRoot !== undefined ? { outRoot: ctx.outRoot } : {}),
    backend: ctx.backend,
    signal: ctx.signal,
    emit: (e) => ctx.emit(tagEvent(e, point.name)),
    throwIfCancelled: () => ctx.throwIfCancelled(),
    data: () => ctx.data(),
    createTrainer: (model, lr) => ctx.createTrainer(model, lr),
    addStageRecord: (r) => ctx.addStageRecord(r),
    addArtifact: (kind, model, rel, bytes) => ctx.addArtifact(kind, model, rel, bytes),
    warn: (code, message) => ctx.warn(code, message),
    log: (message) => ctx.log(message),
    addTiming: (phase, ms) => ctx.addTiming(phase, ms),
  };
}

/**
 * Runs one point: prune the baseline with the point's config (model `<name>` under sweep/,
 * TensorBoard logs under `<logsDir>/sweep/<name>`), write its TFLite variants into sweep/ and
 * measure each. Report rows are returned, not emitted: the caller adds the baseline deltas and
 * emits them in point order.
 */
export async function runSweepPoint(ctx: StageContext, baseline: ModelGraph, point: SweepPoint): Promise<PointResult> {
  const pctx = pointContext(ctx, point);
  let trainer: string | undefined;
  // The prune stage times its own fit ('prune') and evaluation.
  const pruned = await runPruneStage(
    {
      ...pctx,
      createTrainer: async (model, lr) => {
        const t = await pctx.createTrainer(model, lr);
        trainer = t.name;
        return t;
      },
    },
    baseline,
    { modelName: point.name, subdir: SWEEP_DIR, logRun: `${SWEEP_DIR}/${point.name}` },
  );
  const tExport = performance.now();
  pctx.throwIfCancelled();
  pctx.emit({ type: 'stageStarted', stage: 'export', model: point.name });
  const written = await writeTfliteVariants(pctx, pruned, pctx.config.sweep.tflite, SWEEP_DIR);
  pctx.addTiming('export', performance.now() - tExport);
  // The PTQ × QAT dimension: with qat.enabled each pruned model is also fine-tuned with
  // quantization-aware training (zeros kept) and written as <name>_qat_full_int8.tflite.
  const qatFiles = new Set<string>();
  if (pctx.config.qat.enabled) {
    const qat = await runQatStage(pctx, pruned);
    for (const w of await writeTfliteVariants(pctx, qat.model, ['full-int8'], SWEEP_DIR, undefined, qat.ranges)) {
      qatFiles.add(w.rel);
      written.push(w);
    }
  }
  const tEval = performance.now();
  const raw = (await evaluateWritten(pctx, written)).map((r) => (qatFiles.has(r.path) ? { ...r, technique: 'qat' as const, variant: `${r.variant} QAT` } : r));
  pctx.addTiming('evaluate', performance.now() - tEval);
  pctx.addStageRecord({ stage: 'export', model: point.name, epochs: [], durationMs: performance.now() - tExport });
  return { rows: raw.map((r) => ({ ...r, targetSparsity: point.targetSparsity })), ...(trainer ? { trainer } : {}) };
}
