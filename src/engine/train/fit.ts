/**
 * The training loop shared by baseline training and pruning fine-tuning (Keras `fit`
 * semantics): reshuffle every epoch (seeded), batches of `batchSize` with the last partial
 * batch kept (steps per epoch = ceil(n / batch)), epoch metrics = sample-weighted means
 * over the epoch's batches, validation after each epoch. Batches are gathered from the
 * data set's arrays into two reused buffers; nothing is sliced from a big tensor.
 */
import type { EpochRecord } from '../../protocol/engine';
import type { SplitData } from '../data/dataset';
import type { FitOptions, FitResult, StageContext } from '../jobs/types';
import { Rng } from '../util/random';
import type { Trainer } from './trainer';

/** At most this many batchProgress events per second (plus the last batch of each epoch). */
export const PROGRESS_PER_SECOND = 4;
/** Yield to the event loop at least this often so IPC messages (cancel) are handled. */
const YIELD_MS = 50;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function fit(ctx: StageContext, trainer: Trainer, data: SplitData, opts: FitOptions): Promise<FitResult> {
  const train = data.train;
  const n = train.count;
  const f = train.features;
  const batch = opts.batchSize;
  if (n === 0) {
    throw new Error('fit: the training set is empty');
  }
  const stepsPerEpoch = Math.ceil(n / batch);
  // A stream of its own: the same seed also initialises the weights (initMlp).
  const rng = new Rng((opts.seed ^ 0x2545f491) >>> 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
  }
  // The batch buffer has the set's element type: uint8 bytes stay bytes (the SIMD kernel's input).
  const images = train.images instanceof Uint8Array ? new Uint8Array(batch * f) : new Float32Array(batch * f);
  const labels = new Int32Array(batch);
  const hooks = opts.hooks ?? {};
  const minGap = 1000 / PROGRESS_PER_SECOND;
  const records: EpochRecord[] = [];
  let step = 0;
  // Transfer learning: a frozen, deterministic base runs once per data set instead of every step.
  const cache = trainer.cacheFeatures?.(train.images, n) ?? null;
  if (cache) {
    ctx.log(`${opts.model}: ${cache.used ? 'feature cache: ' : 'feature cache not used: '}${cache.detail}`);
    if (cache.used && data.validation.count > 0) {
      trainer.cacheFeatures?.(data.validation.images, data.validation.count);
    }
  }

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    if (opts.shuffle) {
      rng.shuffle(order);
    }
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lastEmit = -Infinity;
    let lastYield = performance.now();
    for (let b = 0; b < stepsPerEpoch; b++) {
      ctx.throwIfCancelled();
      step++;
      hooks.beforeBatch?.(step);
      const start = b * batch;
      const count = Math.min(batch, n - start);
      for (let k = 0; k < count; k++) {
        labels[k] = train.labels[order[start + k]];
      }
      const fromCache = cache?.used ? (trainer.trainBatchCached?.(train.images, order.subarray(start, start + count), labels, count) ?? null) : null;
      if (!fromCache) {
        for (let k = 0; k < count; k++) {
          const idx = order[start + k];
          images.set(train.images.subarray(idx * f, idx * f + f), k * f);
        }
      }
      const r = fromCache ?? trainer.trainBatch(images, labels, count);
      if (!Number.isFinite(r.loss)) {
        throw new Error(`Training diverged: the loss became ${r.loss} at epoch ${epoch}, batch ${b + 1}. Lower train.learningRate.`);
      }
      lossSum += r.loss * count;
      correct += r.correct;
      seen += count;
      const now = performance.now();
      const lastBatch = b === stepsPerEpoch - 1;
      if (lastBatch || now - lastEmit >= minGap) {
        lastEmit = now;
        ctx.emit({ type: 'batchProgress', stage: opts.stage, epoch, epochs: opts.epochs, batch: b + 1, batches: stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen });
      }
      if (now - lastYield >= YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    ctx.throwIfCancelled();
    hooks.afterEpoch?.(epoch, step);
    const val = data.validation.count > 0 ? trainer.evaluate(data.validation.images, data.validation.labels, data.validation.count) : { loss: NaN, accuracy: NaN };
    const extras = hooks.epochExtras?.() ?? {};
    const metrics = { loss: lossSum / seen, accuracy: correct / seen, valLoss: val.loss, valAccuracy: val.accuracy };
    const durationMs = performance.now() - t0;
    ctx.emit({ type: 'epochEnd', stage: opts.stage, model: opts.model, epoch, epochs: opts.epochs, step, metrics, durationMs, ...(extras.sparsity ? { sparsity: extras.sparsity } : {}) });
    records.push({ epoch, step, durationMs, ...metrics, ...(extras.sparsity ? { sparsity: extras.sparsity } : {}) });
    await yieldToEventLoop();
  }
  return { epochs: records, steps: step, stepsPerEpoch, ...(cache ? { featureCache: cache } : {}) };
}
