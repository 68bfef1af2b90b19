/**
 * The prune stage with `prune.structured` (issue 16): whole Dense neurons and Conv2D filters are
 * removed by L1/L2 norm (prune/structured.ts), then ALL remaining weights are fine-tuned for
 * prune.epochs with a fresh optimizer, as the magnitude path does. The pruned model is a smaller
 * graph: every exporter writes it smaller, and it runs faster.
 */
import * as path from 'node:path';
import type { PruneConfig } from '../../protocol/config';
import type { StructuredRecord } from '../../protocol/engine';
import { FitLogger, contextWithLogger, removeOldEventFiles } from '../export/tensorboard';
import { BadInputError } from '../errors';
import type { ModelGraph } from '../graph/types';
import { removeChannels } from '../prune/structured';
import { NM_RUNTIMES_NOTE, nmReport } from '../sensitivity/nm';
import { fit } from '../train/fit';
import { saveStageOutputs } from './stageOutputs';
import type { StageContext } from './types';

const params = (g: ModelGraph): number => g.layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0);

export async function runStructuredPruneStage(ctx: StageContext, baseline: ModelGraph, cfg: PruneConfig, modelName: string, modelRel: string, logRun: string): Promise<ModelGraph> {
  const t0 = performance.now();
  const s = cfg.structured;
  if (!s) {
    throw new Error('runStructuredPruneStage without prune.structured');
  }
  const norm = s.norm ?? 'l1';
  const cut = removeChannels(baseline, { fraction: s.fraction, norm, layers: s.layers ?? 'all' }, modelName);
  if (cut.layers.length === 0) {
    throw new BadInputError(
      `prune.structured: no layer of ${baseline.name} can lose channels (${cut.skipped.map((x) => `${x.layer}: ${x.reason}`).join('; ') || 'it has no Dense or Conv2D layer'}).`,
      'prune.structured',
    );
  }
  const data = await ctx.data();
  const train = ctx.config.train;
  ctx.emit({ type: 'stageStarted', stage: 'prune', model: modelName, epochs: cfg.epochs, stepsPerEpoch: Math.ceil(data.train.count / train.batchSize) });
  ctx.log(
    `structured pruning (${norm.toUpperCase()} norm, ${s.fraction} of each layer's channels): ` +
      cut.layers.map((l) => `${l.layer} ${l.before} → ${l.after} ${l.className === 'Dense' ? 'units' : 'filters'}`).join(', ') +
      `; parameters ${params(baseline)} → ${params(cut.graph)}` +
      (cut.skipped.length ? `; kept whole: ${cut.skipped.map((x) => `${x.layer} (${x.reason})`).join(', ')}` : ''),
  );

  const logDir = path.join(ctx.outDir, ctx.config.output.logsDir, logRun);
  await removeOldEventFiles(logDir);
  const logger = new FitLogger(ctx.outDir, ctx.config.output.logsDir, logRun);
  // A frozen layer named in prune.structured.layers fine-tunes after losing channels, as in magnitude pruning.
  const shrunk = new Set(cut.layers.map((l) => l.layer));
  for (const l of cut.graph.layers) {
    if (shrunk.has(l.name) && l.trainable === false) {
      delete l.trainable;
      ctx.log(`structured pruning: the frozen layer ${l.name} is fine-tuned after losing channels (it could not recover otherwise)`);
    }
  }
  const trainer = await ctx.createTrainer(cut.graph, train.learningRate);
  try {
    const result = await fit(contextWithLogger(ctx, logger), trainer, data, { stage: 'prune', model: modelName, epochs: cfg.epochs, batchSize: train.batchSize, shuffle: train.shuffle, seed: train.seed });
    const pruned = trainer.getModel(modelName);
    const test = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
    ctx.log(`${modelName}: test accuracy ${test.accuracy.toFixed(4)}, loss ${test.loss.toFixed(4)} after ${cfg.epochs} fine-tuning epoch(s)`);
    ctx.throwIfCancelled();
    // Through the shared tail, so this model.json takes raw input like the run's other files (it used to be saved without the normalisation).
    await saveStageOutputs(ctx, pruned, modelName, modelRel, logger);
    const structured: StructuredRecord = {
      fraction: s.fraction,
      norm,
      layers: cut.layers,
      skipped: cut.skipped,
      paramsBefore: params(baseline),
      paramsAfter: params(pruned),
    };
    ctx.addStageRecord({
      stage: 'prune',
      model: modelName,
      epochs: result.epochs,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      durationMs: performance.now() - t0,
      structured,
      nm: { rows: nmReport(pruned), note: NM_RUNTIMES_NOTE },
    });
    return pruned;
  } finally {
    await logger.settle();
    trainer.dispose();
  }
}
