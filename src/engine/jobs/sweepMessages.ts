/**
 * Messages between the engine and its sweep worker processes (sweepPool.ts ↔ sweepWorker.ts),
 * over a Node IPC channel with 'advanced' serialization, so the dataset's typed arrays and the
 * baseline's Float32Array weights arrive exactly as they were.
 *
 * engine → worker: `init` once (everything a point needs), then `point` one at a time;
 * `cancel` stops the running point at its next batch. Closing the channel ends the worker.
 * worker → engine: `ready`, `inited`, then per point its events, stage records and timings in
 * the order they happened, and `pointDone` or `pointFailed`.
 */
import type { RunConfig } from '../../protocol/config';
import type { BackendInfo, EngineEvent, StageRecord } from '../../protocol/engine';
import type { SplitData } from '../data/dataset';
import type { ModelGraph } from '../graph/types';
import type { PointResult, SweepPoint } from './sweepPoints';

/** argv flag that turns the engine bundle (dist/engine.js) into a sweep worker. */
export const SWEEP_WORKER_FLAG = '--sweep-worker';

export interface InitMessage {
  type: 'init';
  runId: string;
  config: RunConfig;
  /** The run's folder (every file of a point goes below it) and the output folder (writes are confined to it). */
  outDir: string;
  outRoot: string;
  /** The engine's backend: the worker initialises the same one. */
  backend: BackendInfo;
  data: SplitData;
  baseline: ModelGraph;
}

export interface PointMessage {
  type: 'point';
  point: SweepPoint;
}

export interface CancelMessage {
  type: 'cancel';
}

export type ToWorker = InitMessage | PointMessage | CancelMessage;

export interface ReadyMessage {
  type: 'ready';
  pid: number;
}

export interface InitedMessage {
  type: 'inited';
  /** What the worker's backend turned out to be (its `detail`). */
  detail?: string;
  /** CPU time the worker spent starting (loading the engine, the backend, receiving the data), ms. */
  cpuMs: number;
}

export interface InitFailedMessage {
  type: 'initFailed';
  message: string;
}

/** Something a point did, in the order it happened: an engine event, a stage record, time spent in a phase. */
export type PointActivity =
  | { kind: 'event'; event: EngineEvent }
  | { kind: 'stageRecord'; record: StageRecord }
  | { kind: 'timing'; phase: string; ms: number };

export interface ActivityMessage {
  type: 'activity';
  index: number;
  activity: PointActivity;
}

export interface PointDoneMessage {
  type: 'pointDone';
  index: number;
  result: PointResult;
  /** The worker's peak resident memory so far (bytes), for the memory estimate's notes. */
  maxRssBytes: number;
}

export interface PointFailedMessage {
  type: 'pointFailed';
  index: number;
  code: 'bad-input' | 'internal' | 'cancelled';
  message: string;
  where?: string;
  stack?: string;
}

export type FromWorker = ReadyMessage | InitedMessage | InitFailedMessage | ActivityMessage | PointDoneMessage | PointFailedMessage;
