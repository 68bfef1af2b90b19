/**
 * Drives pruning during a fit, as tfmot's `PruneLowMagnitude` wrapper + `UpdatePruningStep`
 * callback do: before each batch, when the schedule says so, recompute each pruned kernel's
 * mask from the CURRENT weights (pruned weights that Adam moved off zero compete again) and
 * hand the masks to the trainer, which multiplies kernels by them before every batch; at the
 * end of each epoch, apply the masks once more so saved weights are sparse.
 */
import type { PruningStepEvent } from '../../protocol/engine';
import type { FitHooks } from '../jobs/types';
import type { MlpModel } from '../model/mlp';
import type { Trainer } from '../train/trainer';
import { computeMask, measuredSparsity, type MaskOptions } from './mask';
import type { PruningSchedule } from './schedule';

export interface MaskUpdate {
  step: number;
  targetSparsity: number;
  layers: { name: string; sparsity: number; threshold: number }[];
}

export interface PruningControllerOptions {
  trainer: Trainer;
  /** Model name used when reading weights back from the trainer. */
  modelName: string;
  /** Indexes of the layers whose kernels are pruned. */
  layers: number[];
  schedule: PruningSchedule;
  mask: MaskOptions;
  /** Called with every `pruningStep` event (ctx.emit in the stage). */
  emit?: (event: PruningStepEvent) => void;
}

export class PruningController implements FitHooks {
  private masks: (Float32Array | null)[] | null = null;
  /** Every mask update, in order (for TensorBoard and the run record). */
  readonly updates: MaskUpdate[] = [];

  constructor(private readonly opts: PruningControllerOptions) {}

  get lastUpdateStep(): number | null {
    return this.updates.length ? this.updates[this.updates.length - 1].step : null;
  }

  beforeBatch(step: number): void {
    const decision = this.opts.schedule.at(step);
    if (!decision.shouldPrune) {
      return;
    }
    const model = this.opts.trainer.getModel(this.opts.modelName);
    const masks: (Float32Array | null)[] = model.layers.map(() => null);
    const layers: MaskUpdate['layers'] = [];
    for (const i of this.opts.layers) {
      const l = model.layers[i];
      const r = computeMask(l.kernel, l.inputDim, l.units, decision.sparsity, this.opts.mask);
      masks[i] = r.mask;
      // tfmot's summary 1 − mean(mask), computed as zeros / size so 50 % prints as 0.5.
      layers.push({ name: l.name, sparsity: measuredSparsity(r.mask), threshold: r.threshold });
    }
    this.masks = masks;
    this.opts.trainer.setMasks(masks);
    const update: MaskUpdate = { step, targetSparsity: decision.sparsity, layers };
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

  measure(model: MlpModel): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.opts.layers) {
      out[model.layers[i].name] = measuredSparsity(model.layers[i].kernel);
    }
    return out;
  }

  /**
   * The final model without pruning state: the trainer's weights with the masks applied
   * (again, so the result is sparse even if no epoch end came after the last batch).
   */
  strip(name = this.opts.modelName): MlpModel {
    const model = this.opts.trainer.getModel(name);
    if (this.masks) {
      this.masks.forEach((m, i) => {
        if (m) {
          const k = model.layers[i].kernel;
          for (let j = 0; j < k.length; j++) {
            k[j] = m[j] === 0 ? 0 : k[j];
          }
        }
      });
    }
    return model;
  }
}
