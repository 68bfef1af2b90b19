/**
 * What every stage of a job receives. The engine reports only through `emit`, so the same
 * stage code serves the child process, the CLI and the tests.
 */
import type { RunConfig } from '../../protocol/config';
import type { ArtifactKind, BackendInfo, EngineEvent, StageKind, StageRecord } from '../../protocol/engine';
import type { SplitData } from '../data/dataset';
import type { ModelGraph } from '../graph/types';
import type { FeatureCacheInfo, Trainer } from '../train/trainer';

export interface StageContext {
  runId: string;
  config: RunConfig;
  /**
   * Absolute folder this run writes into (`<out>/runs/<runId>/`, laid out like the top of the
   * output folder): every file written goes inside it, via atomic writes.
   */
  outDir: string;
  /** The output folder itself (the top, where completed runs are published), when known. */
  outRoot?: string;
  backend: BackendInfo;
  emit(event: EngineEvent): void;
  /** Aborted by `cancel`; check with `throwIfCancelled()` between batches. */
  signal: AbortSignal;
  throwIfCancelled(): void;
  /** Loads (once) the configured data with the validation split applied. */
  data(): Promise<SplitData>;
  /** A trainer for this model on the selected backend, optimizer freshly created. */
  createTrainer(model: ModelGraph, learningRate: number): Promise<Trainer>;
  /** Collected into the run record. */
  addStageRecord(record: StageRecord): void;
  /** Records and emits an artifact written under outDir (path relative, POSIX). */
  addArtifact(kind: ArtifactKind, model: string, relPath: string, bytes: number): void;
  warn(code: string, message: string): void;
  log(message: string): void;
  /** Adds to the record's timing of a phase ('data', 'train', 'prune', 'export', 'evaluate'). */
  addTiming(phase: string, ms: number): void;
}

/** Hooks a fit loop calls; pruning uses them to update and apply masks. */
export interface FitHooks {
  /** Before each training batch, with the 1-based global step of that batch. */
  beforeBatch?(step: number): void;
  /** After each epoch, before validation: e.g. re-apply masks so saved weights are sparse. */
  afterEpoch?(epoch: number, step: number): void;
  /** Extra fields for the epochEnd event / record (e.g. per-layer sparsity). */
  epochExtras?(): { sparsity?: Record<string, number> };
}

export interface FitOptions {
  stage: StageKind;
  /** Model name for events ('mnist_model', 'pruned_mnist_model'). */
  model: string;
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  hooks?: FitHooks;
}

export interface FitResult {
  epochs: StageRecord['epochs'];
  /** Global steps run (batches). */
  steps: number;
  stepsPerEpoch: number;
  /** Whether a frozen base's features were cached (transfer learning), and why not; absent without frozen layers. */
  featureCache?: FeatureCacheInfo;
}
