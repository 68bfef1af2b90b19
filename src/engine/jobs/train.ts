/**
 * The train stage: the baseline 'mnist_model' (reference: Dense 128 relu → Dense 10
 * softmax, Adam 1e-3, batch 64, 5 epochs, validation split 0.1), evaluated on the test set
 * and saved as a TF.js layers model under `<out>/mnist_model/`.
 */
import * as path from 'node:path';
import { evaluateSet } from '../evaluate';
import { FitLogger, contextWithLogger, removeOldEventFiles } from '../export/tensorboard';
import { analyzeGraph } from '../graph/analyze';
import { applyFreeze, describeFreeze, frozenRecord } from '../graph/freeze';
import { initialModel } from '../graph/fromConfig';
import { isTrainableLayer, type ModelGraph } from '../graph/types';
import { BadInputError } from '../errors';
import { fit } from '../train/fit';
import { REFERENCE_MODEL } from './names';
import { saveStageOutputs } from './stageOutputs';
import type { StageContext } from './types';

/** The baseline trained from scratch (see names.ts). */
export const BASELINE_MODEL = REFERENCE_MODEL;
/** TensorBoard run folder of the baseline fit, under `<out>/<logsDir>/` (beside 'prune'). */
export const TRAIN_LOG_RUN = 'train';

/** Trains `initial` (fine-tuning an input model, named after its file) or a fresh model of the config. */
export async function runTrainStage(ctx: StageContext, initial?: ModelGraph): Promise<ModelGraph> {
  const t0 = performance.now();
  const cfg = ctx.config;
  const name = initial?.name ?? BASELINE_MODEL;
  const data = await ctx.data();
  ctx.throwIfCancelled();
  const stepsPerEpoch = Math.ceil(data.train.count / cfg.train.batchSize);
  ctx.emit({ type: 'stageStarted', stage: 'train', model: name, epochs: cfg.train.epochs, stepsPerEpoch });
  const model = applyFreeze(initial ?? initialModel(cfg.model, data.shape, data.numClasses, cfg.train.seed, name), cfg.train.freeze);
  if (!model.layers.some((l) => isTrainableLayer(l) && l.weights.some((w) => w.trainable))) {
    throw new BadInputError(`Every layer of ${name} with weights is frozen (train.freeze or the file's trainable: false), so training would change nothing. Freeze fewer layers (e.g. leave the classifier head out of train.freeze), or use "none" to train every layer.`, 'train.freeze');
  }
  const frozen = describeFreeze(model);
  if (frozen) {
    ctx.log(`${name}: ${frozen}`);
  }
  // A new run replaces the baseline's curves instead of mixing two runs in one TensorBoard series.
  await removeOldEventFiles(path.join(ctx.outDir, cfg.output.logsDir, TRAIN_LOG_RUN));
  const logger = new FitLogger(ctx.outDir, cfg.output.logsDir, TRAIN_LOG_RUN);
  const trainer = await ctx.createTrainer(model, cfg.train.learningRate);
  try {
    ctx.log(
      `training ${name} (${describeModel(model)}) on ${data.train.count} samples, validating on ${data.validation.count}: ` +
        `${cfg.train.epochs} epochs × ${stepsPerEpoch} steps, loop ${trainer.name}, backend ${ctx.backend.tfjs}`,
    );
    const tFit = performance.now();
    const result = await fit(contextWithLogger(ctx, logger), trainer, data, {
      stage: 'train',
      model: name,
      epochs: cfg.train.epochs,
      batchSize: cfg.train.batchSize,
      shuffle: cfg.train.shuffle,
      seed: cfg.train.seed,
    });
    const fitMs = performance.now() - tFit;
    ctx.throwIfCancelled();
    const tEval = performance.now();
    const test = evaluateSet(trainer, data.test, data.test.numClasses);
    const evalMs = performance.now() - tEval;
    ctx.log(`${name}: test accuracy ${test.accuracy.toFixed(4)}, test loss ${test.loss.toFixed(4)} on ${data.test.count} samples (fit ${(fitMs / 1000).toFixed(2)} s, evaluation ${evalMs.toFixed(0)} ms)`);
    const trained = trainer.getModel(name);
    ctx.throwIfCancelled();
    await saveStageOutputs(ctx, trained, name, name, logger);
    ctx.addStageRecord({
      stage: 'train',
      model: name,
      epochs: result.epochs,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      durationMs: performance.now() - t0,
      ...frozenRecord(model, result.featureCache),
    });
    return trained;
  } finally {
    await logger.settle();
    trainer.dispose();
  }
}

/** 'Dense 784-128-10' style summary for logs: input shape then each layer with weights. */
export function describeModel(model: ModelGraph): string {
  const a = analyzeGraph(model);
  return [`[${a.inputShape.join('×')}]`, ...a.layers.filter((l) => l.node.weights.length > 0).map((l) => `${l.node.className} ${l.outputShape.join('×')}`)].join(' → ');
}
