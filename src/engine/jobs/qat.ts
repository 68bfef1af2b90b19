/**
 * The quantization-aware training stage (tfmot `quantize_model` + fit): fine-tunes a copy of
 * the model (the pruned one in a pipeline) with fake-quantized int8 weights and activations
 * (src/engine/qat), starting from ranges observed on the representative samples, with a
 * fresh Adam. Pruned zeros stay zero (qat.preserveSparsity). Returns the fine-tuned float
 * weights and the trained activation ranges; the export stage writes them as
 * `<model>_qat_full_int8.tflite`.
 *
 * Always on the generic graph trainer: the SIMD Dense kernel and the TF.js Dense loop have
 * hand-written gradients with no fake quantization, so a Dense stack trains here too.
 */
import { cloneGraph } from '../graph/stats';
import type { ModelGraph } from '../graph/types';
import { BadInputError } from '../errors';
import { createQatTrainer, observeRanges, zeroMasks } from '../qat/trainer';
import type { Range } from '../qat/forward';
import { missingGradientKernels } from '../train/createTrainer';
import { fit } from '../train/fit';
import type { StageContext } from './types';

/** Name of the QAT model of `model`: its files are `<model>_qat_full_int8.tflite`. */
export function qatName(model: string): string {
  return `${model}_qat`;
}

/** Adds a note to the run's backend detail (shown with the backend and kept in the run record). */
export function noteTrainer(ctx: StageContext, note: string): void {
  if (!ctx.backend.detail?.includes(note)) {
    ctx.backend.detail = ctx.backend.detail ? `${ctx.backend.detail}; ${note}` : note;
  }
}

export interface QatResult {
  model: ModelGraph;
  /** Trained activation ranges by site (Lowered.sites), for the full-int8 export. */
  ranges: Record<string, Range>;
  /** Accuracy of the fake-quantized model on the test set (the int8 model simulated in float). */
  testAccuracy: number;
}

export async function runQatStage(ctx: StageContext, source: ModelGraph): Promise<QatResult> {
  const t0 = performance.now();
  const cfg = ctx.config.qat;
  const train = ctx.config.train;
  const name = qatName(source.name);
  const missing = missingGradientKernels(source);
  if (missing.length) {
    throw new BadInputError(
      `Quantization-aware training of this model on the '${ctx.backend.tfjs}' backend needs gradient kernels it does not have (${missing.join(', ')}). Set backend to 'cpu' in model-optimizer.json (correct but slow), or leave qat.enabled false.`,
      'backend',
    );
  }
  const data = await ctx.data();
  ctx.throwIfCancelled();
  const lr = cfg.learningRate ?? train.learningRate;
  const { trainer, state } = createQatTrainer(cloneGraph(source, name), lr, train.seed, { perChannel: ctx.config.quantize.perChannel, emaDecay: cfg.emaDecay });
  try {
    // The fast Dense loops cannot fake-quantize: say which trainer really runs (log and run record).
    noteTrainer(ctx, `QAT on the generic graph trainer (${trainer.name}, TF.js autodiff)`);
    ctx.log(`${name}: quantization-aware training on the generic graph trainer (${trainer.name}, TF.js autodiff on ${ctx.backend.tfjs}); fake-quantized weights in ${state.plan.weights.size} layers (${state.plan.perChannel ? 'per channel' : 'per tensor'}), ${state.plan.trained.length} activation ranges (moving average, decay ${cfg.emaDecay})`);
    let preserved = 0;
    if (cfg.preserveSparsity) {
      const masks = zeroMasks(source, state);
      trainer.setMasks(masks);
      preserved = [...masks.values()].reduce((n, m) => n + m.filter((v) => v === 0).length, 0);
      if (preserved) {
        ctx.log(`${name}: keeping ${preserved} pruned weights at zero (qat.preserveSparsity)`);
      }
    }
    const n = Math.min(ctx.config.quantize.representativeSamples, data.train.count);
    observeRanges(trainer, state, data.train.images.subarray(0, n * data.train.features), n);
    const ptq = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
    ctx.log(`${name}: before fine-tuning (ranges from ${n} samples, as post-training quantization) simulated int8 test accuracy ${ptq.accuracy.toFixed(4)}`);

    ctx.emit({ type: 'stageStarted', stage: 'qat', model: name, epochs: cfg.epochs, stepsPerEpoch: Math.ceil(data.train.count / train.batchSize) });
    const tFit = performance.now();
    const result = await fit(ctx, trainer, data, { stage: 'qat', model: name, epochs: cfg.epochs, batchSize: train.batchSize, shuffle: train.shuffle, seed: train.seed });
    ctx.addTiming('qat', performance.now() - tFit);
    const test = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
    ctx.log(`${name}: after ${cfg.epochs} epoch(s) of QAT simulated int8 test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)}`);
    ctx.addStageRecord({ stage: 'qat', model: name, epochs: result.epochs, testAccuracy: test.accuracy, testLoss: test.loss, durationMs: performance.now() - t0 });
    return { model: trainer.getModel(name), ranges: state.toRecord(), testAccuracy: test.accuracy };
  } finally {
    trainer.dispose();
  }
}
