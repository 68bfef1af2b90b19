/**
 * Pruning schedules with the exact semantics of tfmot 0.8
 * (`tfmot.sparsity.keras.PolynomialDecay` / `ConstantSparsity`):
 *
 * - a schedule is asked at every training step (1-based: the first batch of the pruning fit is
 *   step 1, as tfmot's wrapper increments `pruning_step` before it updates masks);
 * - masks update only when begin ≤ step ≤ end (end −1 = forever for ConstantSparsity) and
 *   (step − begin) % frequency == 0;
 * - PolynomialDecay: p = clip((step − begin)/(end − begin), 0, 1),
 *   s = final + (initial − final)·(1 − p)^power, every operation rounded to float32 as the
 *   TF graph does (Math.fround after each step; pow as Grappler rewrites it, see powF32).
 *
 * Also here: resolving `endStep: 'auto'` and the warnings for schedules that cannot reach
 * their final sparsity within the real number of training steps (the reference workflow's
 * end_step = ceil(60000/64)·5 ignores the validation split).
 */
import type { PruningSchedule as PruningScheduleConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { keptCount } from './mask';

const f32 = Math.fround;

export interface ScheduleDecision {
  /** True when masks are recomputed at this step. */
  shouldPrune: boolean;
  /** Target sparsity at this step (float32 value). */
  sparsity: number;
}

export interface PruningSchedule {
  readonly kind: 'polynomial_decay' | 'constant_sparsity';
  readonly beginStep: number;
  /** −1 = no end (ConstantSparsity only). */
  readonly endStep: number;
  readonly frequency: number;
  /** The sparsity the schedule ends at (float32). */
  readonly finalSparsity: number;
  at(step: number): ScheduleDecision;
}

function checkSparsity(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new BadInputError(`${name} must be in [0, 1), got ${value}`, `prune.schedule.${name}`);
  }
}

function checkSteps(begin: number, end: number, frequency: number, allowMinus1: boolean): void {
  if (!Number.isInteger(begin) || begin < 0) {
    throw new BadInputError(`beginStep must be an integer ≥ 0, got ${begin}`, 'prune.schedule.beginStep');
  }
  if (!Number.isInteger(end)) {
    throw new BadInputError(`endStep must be an integer, got ${end}`, 'prune.schedule.endStep');
  }
  if (end === -1 && !allowMinus1) {
    throw new BadInputError('endStep cannot be -1 for polynomial_decay (it needs an end to decay to)', 'prune.schedule.endStep');
  }
  if (end !== -1 && end < begin) {
    throw new BadInputError(`endStep (${end}) must be ≥ beginStep (${begin}), or -1`, 'prune.schedule.endStep');
  }
  if (!Number.isInteger(frequency) || frequency <= 0) {
    throw new BadInputError(`frequency must be an integer > 0, got ${frequency}`, 'prune.schedule.frequency');
  }
}

/**
 * float32 pow as TF computes it inside Keras `fit` (a tf.function): Grappler's
 * ConvertPowStage rewrites pow with a constant exponent on CPU — 3 → x·square(x),
 * 2 → square(x), 1 → x, 0.5 → sqrt, 0 → 1, −0.5 → rsqrt, −1 → 1/x — so tfmot's default
 * power 3 is two float32 multiplications, not powf (which can differ by 1 ulp).
 */
export function powF32(x: number, y: number): number {
  switch (y) {
    case 3:
      return f32(x * f32(x * x));
    case 2:
      return f32(x * x);
    case 1:
      return x;
    case 0.5:
      return f32(Math.sqrt(x));
    case 0:
      return 1;
    case -0.5:
      return f32(1 / f32(Math.sqrt(x)));
    case -1:
      return f32(1 / x);
    default:
      return f32(Math.pow(x, y));
  }
}

/** tfmot `PruningSchedule._should_prune_in_step`. */
export function shouldPruneInStep(step: number, begin: number, end: number, frequency: number): boolean {
  const inRange = step >= begin && (step <= end || end < 0);
  // floormod: the result has the sign of the divisor (frequency > 0), so steps before begin
  // are never a pruning turn in range anyway; keep the exact definition.
  const mod = (((step - begin) % frequency) + frequency) % frequency;
  return inRange && mod === 0;
}

export class PolynomialDecay implements PruningSchedule {
  readonly kind = 'polynomial_decay' as const;
  /** float32 value of the final sparsity. */
  readonly finalSparsity: number;
  private readonly finalRaw: number;

  constructor(
    readonly initialSparsity: number,
    finalSparsity: number,
    readonly beginStep: number,
    readonly endStep: number,
    readonly power = 3,
    readonly frequency = 100,
  ) {
    checkSteps(beginStep, endStep, frequency, false);
    if (endStep === beginStep) {
      throw new BadInputError(`endStep must be > beginStep for polynomial_decay (both ${beginStep})`, 'prune.schedule.endStep');
    }
    checkSparsity(initialSparsity, 'initialSparsity');
    checkSparsity(finalSparsity, 'finalSparsity');
    if (!Number.isFinite(power)) {
      throw new BadInputError(`power must be a number, got ${power}`, 'prune.schedule.power');
    }
    this.finalRaw = finalSparsity;
    this.finalSparsity = f32(finalSparsity);
  }

  /** The float32 sparsity value at `step` (whether or not masks update there). */
  sparsityAt(step: number): number {
    // p = min(1, max(0, float32(step − begin) / float32(end − begin)))
    let p = f32(f32(step - this.beginStep) / f32(this.endStep - this.beginStep));
    p = Math.min(1, Math.max(0, p));
    const oneMinusP = f32(1 - p);
    const pw = powF32(oneMinusP, f32(this.power));
    // (initial − final) is a Python float subtraction, then a float32 constant.
    const scaled = f32(f32(this.initialSparsity - this.finalRaw) * pw);
    return f32(scaled + this.finalSparsity);
  }

  at(step: number): ScheduleDecision {
    return {
      shouldPrune: shouldPruneInStep(step, this.beginStep, this.endStep, this.frequency),
      sparsity: this.sparsityAt(step),
    };
  }
}

export class ConstantSparsity implements PruningSchedule {
  readonly kind = 'constant_sparsity' as const;
  readonly finalSparsity: number;

  constructor(
    readonly targetSparsity: number,
    readonly beginStep: number,
    readonly endStep = -1,
    readonly frequency = 100,
  ) {
    checkSteps(beginStep, endStep, frequency, true);
    checkSparsity(targetSparsity, 'targetSparsity');
    this.finalSparsity = f32(targetSparsity);
  }

  at(step: number): ScheduleDecision {
    return { shouldPrune: shouldPruneInStep(step, this.beginStep, this.endStep, this.frequency), sparsity: this.finalSparsity };
  }
}

/** Batches per epoch as Keras counts them (the last batch may be partial). */
export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  return Math.ceil(trainCount / batchSize);
}

/**
 * Resolves 'auto' to the last training step at which a mask update is due
 * (beginStep + a multiple of frequency, ≤ the last training step). Ending the decay on an
 * update step is what makes the schedule land exactly on its final sparsity; ending it on
 * the last training step (the reference's intent) stops at the update before, e.g.
 * 0.4992 instead of 0.5 when the step count is not a multiple of the frequency.
 */
export function effectiveEndStep(config: PruningScheduleConfig, totalSteps: number): number {
  if (config.kind === 'polynomial_decay') {
    if (config.endStep !== 'auto') {
      return config.endStep;
    }
    const alignedEnd = config.beginStep + Math.floor((totalSteps - config.beginStep) / config.frequency) * config.frequency;
    // Fewer steps than one frequency period: no aligned end exists; the plan's warnings say so.
    return alignedEnd > config.beginStep ? alignedEnd : totalSteps;
  }
  return config.endStep;
}

export function createSchedule(config: PruningScheduleConfig, totalSteps: number): PruningSchedule {
  const end = effectiveEndStep(config, totalSteps);
  switch (config.kind) {
    case 'polynomial_decay':
      return new PolynomialDecay(config.initialSparsity, config.finalSparsity, config.beginStep, end, config.power, config.frequency);
    case 'constant_sparsity':
      return new ConstantSparsity(config.targetSparsity, config.beginStep, end, config.frequency);
  }
}

/** The last step ≤ totalSteps at which masks update, or null when they never do. */
export function lastUpdateStep(schedule: PruningSchedule, totalSteps: number): number | null {
  const { beginStep: b, endStep: e, frequency: f } = schedule;
  const last = e < 0 ? totalSteps : Math.min(e, totalSteps);
  const first = Math.max(b, 1);
  if (last < first) {
    return null;
  }
  // Largest s in [first, last] with (s − b) % f == 0.
  const s = b + Math.floor((last - b) / f) * f;
  return s >= first ? s : null;
}

/** Shortest decimal that reads back as the same float32 (what numpy prints for float32). */
export function formatF32(x: number): string {
  for (let p = 1; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (f32(t) === f32(x)) {
      return String(t);
    }
  }
  return String(x);
}

/** Why no step in 1..totalSteps is a mask-update step, with the fix. */
function neverUpdatesReason(schedule: PruningSchedule, totalSteps: number): string {
  const { beginStep: b, endStep: e, frequency: f } = schedule;
  if (b > totalSteps) {
    return `begin_step ${b} lies beyond the last training step ${totalSteps}; lower beginStep or add epochs`;
  }
  if (e >= 0 && e < Math.max(b, 1)) {
    return `end_step ${e} ends before the first training step; raise endStep`;
  }
  const firstUpdate = b + Math.max(1, Math.ceil((Math.max(b, 1) - b) / f)) * f;
  return `the first update would be at step ${firstUpdate} (begin_step ${b} + a multiple of frequency ${f}), after the last training step ${totalSteps}; lower frequency below ${totalSteps - b + 1} or add epochs`;
}

export interface ScheduleWarning {
  code: string;
  message: string;
}

export interface SchedulePlan {
  schedule: PruningSchedule;
  /** The end step in force: 'auto' resolved; −1 (ConstantSparsity's "forever") = the last training step. */
  effectiveEndStep: number;
  stepsPerEpoch: number;
  totalSteps: number;
  lastUpdateStep: number | null;
  /** Target sparsity at the last mask update (0 when masks never update). */
  reachedSparsity: number;
  warnings: ScheduleWarning[];
}

/**
 * Builds the schedule for a pruning fit and says what it will really do.
 * `tensorSizes` are the element counts of the pruned kernels: the final masks of those
 * sizes tell whether a target a hair below the final value still gives the final mask
 * (e.g. 0.49999994 keeps 640 of 1280 weights, exactly like 0.5).
 */
export function planSchedule(
  config: PruningScheduleConfig,
  opts: { trainCount: number; batchSize: number; epochs: number; tensorSizes: Record<string, number> },
): SchedulePlan {
  const spe = stepsPerEpoch(opts.trainCount, opts.batchSize);
  const totalSteps = spe * opts.epochs;
  const schedule = createSchedule(config, totalSteps);
  const end = schedule.endStep;
  const last = lastUpdateStep(schedule, totalSteps);
  const reached = last === null ? 0 : schedule.at(last).sparsity;
  const warnings: ScheduleWarning[] = [];
  const fmt = (x: number): string => String(Number(x.toPrecision(8)));

  if (last === null) {
    warnings.push({
      code: 'prune-never-updates',
      message:
        `The pruning schedule never updates the masks in ${opts.epochs} epoch${opts.epochs === 1 ? '' : 's'} × ${spe} steps ` +
        `(steps counted from 1): ${neverUpdatesReason(schedule, totalSteps)}.`,
    });
    return { schedule, effectiveEndStep: end < 0 ? totalSteps : end, stepsPerEpoch: spe, totalSteps, lastUpdateStep: last, reachedSparsity: reached, warnings };
  }

  const perLayer = Object.entries(opts.tensorSizes).map(([name, size]) => {
    const got = 1 - keptCount(size, reached) / size;
    const want = 1 - keptCount(size, schedule.finalSparsity) / size;
    return { name, size, got, want };
  });
  const layerText = perLayer.map((l) => `${l.name} ${fmt(l.got)} instead of ${fmt(l.want)}`).join(', ');

  if (end >= 0 && end > totalSteps) {
    const needed = Math.ceil(end / spe);
    warnings.push({
      code: 'prune-end-step-beyond-training',
      message:
        `end_step ${end} lies beyond the last training step ${totalSteps} (${opts.epochs} epoch${opts.epochs === 1 ? '' : 's'} × ${spe} steps of ` +
        `${opts.batchSize} from ${opts.trainCount} training samples). The schedule never reaches its final sparsity ` +
        `${formatF32(schedule.finalSparsity)}: its last mask update is at step ${last} with target ${formatF32(reached)}` +
        (layerText ? ` (measured masks: ${layerText})` : '') +
        `. Use endStep "auto" (the last mask-update step within training) or set endStep ≤ ${totalSteps}.`,
    });
    warnings.push({
      code: 'prune-too-few-epochs',
      message:
        `The schedule needs ${needed} epochs of ${spe} steps to reach end_step ${end}, but prune.epochs is ${opts.epochs}.`,
    });
  } else if (perLayer.some((l) => l.got !== l.want) || (perLayer.length === 0 && reached !== schedule.finalSparsity)) {
    warnings.push({
      code: 'prune-final-sparsity-not-reached',
      message:
        `The last mask update is at step ${last} (updates every ${schedule.frequency} steps from ${schedule.beginStep}), ` +
        `before end_step ${end}; its target is ${formatF32(reached)} instead of ${formatF32(schedule.finalSparsity)}` +
        (layerText ? ` (measured masks: ${layerText})` : '') +
        `. Choose endStep so that endStep − beginStep is a multiple of frequency.`,
    });
  }
  return { schedule, effectiveEndStep: end < 0 ? totalSteps : end, stepsPerEpoch: spe, totalSteps, lastUpdateStep: last, reachedSparsity: reached, warnings };
}
