/**
 * Drives pruning during a fit, as tfmot's `PruneLowMagnitude` wrapper + `UpdatePruningStep`
 * callback do: before each batch, when a target's schedule says so, recompute that kernel's
 * mask from the CURRENT weights (pruned weights that Adam moved off zero compete again) and
 * hand the masks to the trainer, which applies them after every step; at the end of each
 * epoch, apply the masks once more so saved weights are sparse. Each pruned kernel has its own
 * mask and threshold (layer-wise, never global) and may have its own schedule (per-layer
 * target sparsities).
 */
import type { PruningStepEvent } from '../../protocol/engine';
import type { FitHooks } from '../jobs/types';
import type { ModelGraph } from '../graph/types';
import type { Trainer, WeightMasks } from '../train/trainer';
import { computeMask, measuredSparsity, type MaskOptions } from './mask';
import type { PruningSchedule } from './schedule';
import { maskOptionsFor, type PruneTarget } from './targets';

export interface MaskUpdate {
  step: number;
  /** The largest target sparsity among the kernels updated at this step. */
  targetSparsity: number;
  layers: { name: string; sparsity: number; threshold: number }[];
}

export interface PruningControllerOptions {
  trainer: Trainer;
  /** Model name used when reading weights back from the trainer. */
  modelName: string;
  /** The kernels to prune (see selectPruneTargets). */
  targets: PruneTarget[];
  /** The schedule of every target without one of its own in `schedules`. */
  schedule: PruningSchedule;
  /** Per-target schedules by target key (per-layer target sparsities). */
  schedules?: Map<string, PruningSchedule>;
  mask: MaskOptions;
  /** Called with every `pruningStep` event (ctx.emit in the stage). */
  emit?: (event: PruningStepEvent) => void;
}

function weightData(model: ModelGraph, t: PruneTarget): Float32Array {
  const w = model.layers.find((l) => l.name === t.layer)?.weights.find((x) => x.name === t.weight);
  if (!w) {
    throw new Error(`pruning: the model has no weight '${t.key}'`);
  }
  return w.data;
}

export class PruningController implements FitHooks {
  private masks: WeightMasks | null = null;
  /** Every mask update, in order (for TensorBoard and the run record). */
  readonly updates: MaskUpdate[] = [];

  constructor(private readonly opts: PruningControllerOptions) {}

  get lastUpdateStep(): number | null {
    return this.updates.length ? this.updates[this.updates.length - 1].step : null;
  }

  private scheduleOf(t: PruneTarget): PruningSchedule {
    return this.opts.schedules?.get(t.key) ?? this.opts.schedule;
  }

  beforeBatch(step: number): void {
    const due = this.opts.targets.map((t) => ({ t, d: this.scheduleOf(t).at(step) })).filter((x) => x.d.shouldPrune);
    if (due.length === 0) {
      return;
    }
    const model = this.opts.trainer.getModel(this.opts.modelName);
    const masks: WeightMasks = new Map(this.masks ?? []);
    const layers: MaskUpdate['layers'] = [];
    for (const { t, d } of due) {
      const r = computeMask(weightData(model, t), t.rows, t.cols, d.sparsity, maskOptionsFor(t, this.opts.mask));
      masks.set(t.key, r.mask);
      // tfmot's summary 1 − mean(mask), computed as zeros / size so 50 % prints as 0.5.
      layers.push({ name: t.label, sparsity: measuredSparsity(r.mask), threshold: r.threshold });
    }
    this.masks = masks;
    this.opts.trainer.setMasks(masks);
    const update: MaskUpdate = { step, targetSparsity: Math.max(...due.map((x) => x.d.sparsity)), layers };
    this.updates.push(update);
    this.opts.emit?.({ type: 'pruningStep', ...update });
  }

  afterEpoch(): void {
    if (this.masks) {
      this.opts.trainer.applyMasks();
    }
  }

  /** Measured zero fraction of each pruned kernel, read from the trainer. */
  epochExtras(): { sparsity?: Record<string, number> } {
    return { sparsity: this.measure(this.opts.trainer.getModel(this.opts.modelName)) };
  }

  measure(model: ModelGraph): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.opts.targets) {
      out[t.label] = measuredSparsity(weightData(model, t));
    }
    return out;
  }

  /**
   * The final model without pruning state: the trainer's weights with the masks applied
   * (again, so the result is sparse even if no epoch end came after the last batch).
   */
  strip(name = this.opts.modelName): ModelGraph {
    const model = this.opts.trainer.getModel(name);
    if (this.masks) {
      for (const t of this.opts.targets) {
        const m = this.masks.get(t.key);
        if (m) {
          const k = weightData(model, t);
          for (let j = 0; j < k.length; j++) {
            k[j] = m[j] === 0 ? 0 : k[j];
          }
        }
      }
    }
    return model;
  }
}
