/** A StageContext for engine tests: records events, stage records and artifacts. */
import type { RunConfig } from '../../src/protocol/config';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { EngineEvent, StageRecord } from '../../src/protocol/engine';
import type { SplitData } from '../../src/engine/data/dataset';
import { loadData } from '../../src/engine/data/load';
import { type StageContext } from '../../src/engine/jobs/types';
import { CancelledError } from '../../src/engine/errors';
import { graphToMlp } from '../../src/engine/graph/mlp';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { MlpTrainerAdapter } from '../../src/engine/train/mlpAdapter';
import { TfjsTrainer } from '../../src/engine/train/tfjsTrainer';

export type FakeContext = StageContext & {
  events: EngineEvent[];
  records: StageRecord[];
  artifacts: { kind: string; model: string; path: string; bytes: number }[];
  abort: AbortController;
};

export function fakeContext(config: RunConfig = DEFAULT_CONFIG, outDir = '/nonexistent'): FakeContext {
  const abort = new AbortController();
  const events: EngineEvent[] = [];
  const records: StageRecord[] = [];
  const artifacts: FakeContext['artifacts'] = [];
  let data: Promise<SplitData> | undefined;
  const ctx: FakeContext = {
    runId: 'test',
    config,
    outDir,
    backend: { tfjs: 'wasm', trainer: 'tfjs', requested: 'wasm' },
    events,
    records,
    artifacts,
    abort,
    emit: (e) => events.push(e),
    signal: abort.signal,
    throwIfCancelled: () => {
      if (abort.signal.aborted) {
        throw new CancelledError();
      }
    },
    data: () => (data ??= loadData(config)),
    createTrainer: (model, lr) => {
      const mlp = graphToMlp(model).model;
      return Promise.resolve(mlp ? new MlpTrainerAdapter(new TfjsTrainer(mlp, lr), model) : new GraphTrainer(model, lr, config.train.seed));
    },
    addStageRecord: (r) => records.push(r),
    addArtifact: (kind, model, p, bytes) => {
      artifacts.push({ kind, model, path: p, bytes });
      events.push({ type: 'artifactWritten', kind, model, path: p, bytes });
    },
    warn: () => undefined,
    log: () => undefined,
    addTiming: () => undefined,
  };
  return ctx;
}
