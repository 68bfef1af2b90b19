/**
 * How many worker processes a sweep runs its points in (`sweep.workers`).
 *
 * 'auto' = max(1, ⌊available cores ÷ threads one worker uses⌋): a worker trains on the SIMD
 * Dense kernel (1 thread, 2 with MODEL_OPTIMIZER_KERNEL_THREADS=2) or on the wasm backend
 * (1 thread); native TensorFlow (tfjs-node) already spreads one training over every core, so
 * there 'auto' is 1. The count never exceeds the number of points, and it is lowered, with a
 * message, when that many workers would not fit in memory: each worker holds the dataset, the
 * model being fine-tuned (weights, gradients, Adam moments, masks, batch activations) and its
 * own runtime (Node, TF.js wasm, the TFLite runtimes).
 */
import { availableParallelism } from 'node:os';
import type { BackendInfo } from '../../protocol/engine';
import { kernelThreads } from '../kernel/kernelTrainer';
import { formatBytes } from '../memory/estimate';

/**
 * Resident memory of a sweep worker beyond what estimateTrainingMemory counts: Node, the
 * engine bundle, TF.js with its wasm heap, the TFLite runtimes, float copies of the batches
 * being evaluated. Measured (the worker's peak RSS, logged when a point ends, minus the point's
 * training estimate): full-MNIST MLP points with dynamic-int8 + full-int8 files 260 MiB − 57 MiB
 * = 203 MiB; 3 000-sample points 111–129 MiB − 3 MiB. Rounded up.
 */
export const WORKER_RUNTIME_BYTES = 256 * 1024 * 1024;

/** Threads one worker keeps busy while it trains. */
export function threadsPerWorker(backend: BackendInfo, cores = availableParallelism()): number {
  if (backend.tfjs === 'tensorflow') {
    return Math.max(1, cores);
  }
  return backend.trainer === 'simd-kernel' ? kernelThreads() : 1;
}

export interface WorkerPlanInputs {
  /** sweep.workers. */
  requested: number | 'auto';
  /** os.availableParallelism(). */
  cores: number;
  threadsPerWorker: number;
  /** Points to run (never more workers than points). */
  points: number;
  /** Estimated memory of one worker (training estimate + WORKER_RUNTIME_BYTES). */
  perWorkerBytes: number;
  /** What the engine process itself holds now (its RSS). */
  parentBytes: number;
  /** train.memoryLimitMB, or half the machine's memory. */
  limitBytes: number;
  /** Memory the OS reports available now (os.freemem()). */
  freeBytes: number;
}

export interface WorkerPlan {
  workers: number;
  /** What 'auto' means on this machine. */
  auto: number;
  /** Said to the user: why the count differs from what was asked. */
  notes: string[];
}

export function planSweepWorkers(p: WorkerPlanInputs): WorkerPlan {
  const auto = Math.max(1, Math.floor(p.cores / Math.max(1, p.threadsPerWorker)));
  const notes: string[] = [];
  let n = p.requested === 'auto' ? auto : p.requested;
  if (p.requested !== 'auto' && p.requested > auto) {
    notes.push(
      `sweep.workers ${p.requested} is more than this machine runs side by side (${p.cores} core(s), ${p.threadsPerWorker} thread(s) per worker: "auto" would be ${auto}); the workers share the cores, so expect no speed-up beyond ${auto}.`,
    );
  }
  n = Math.max(1, Math.min(n, p.points));
  if (n > 1) {
    const budget = Math.min(p.limitBytes - p.parentBytes, p.freeBytes);
    const fit = Math.max(1, Math.floor(budget / p.perWorkerBytes));
    if (fit < n) {
      notes.push(
        `Running ${fit === 1 ? 'the points one after another' : `${fit} sweep workers instead of ${n}`}: each worker needs about ${formatBytes(p.perWorkerBytes)} ` +
          `(dataset, the model with its gradients, optimizer state and masks, batch activations, and its runtime), and ${formatBytes(Math.max(0, budget))} is available ` +
          `(limit ${formatBytes(p.limitBytes)} minus ${formatBytes(p.parentBytes)} this process holds, at most the ${formatBytes(p.freeBytes)} free now). ` +
          'Set sweep.workers lower to silence this, or raise train.memoryLimitMB if the machine really has the memory.',
      );
      n = fit;
    }
  }
  return { workers: n, auto, notes };
}
