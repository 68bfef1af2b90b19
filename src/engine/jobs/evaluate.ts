/**
 * The evaluate stage: measures one model file (.h5, .tflite or TF.js model.json / folder)
 * from disk and in its runtime, and returns its comparison row.
 */
import * as path from 'node:path';
import type { ModelReport } from '../../protocol/engine';
import { evaluateModelFile } from '../report/evaluateFile';
import type { StageContext } from './types';
import { exportInputDescription } from '../export/inputNormalization';
import { takesRawInput } from '../report/rawInput';
import { testSetFor } from './exportInput';

export async function runEvaluateStage(ctx: StageContext, modelPath: string): Promise<ModelReport[]> {
  ctx.throwIfCancelled();
  // Shown relative to the output folder the user knows (the run writes into a folder of its own).
  const base = ctx.outRoot ?? ctx.outDir;
  const abs = path.resolve(base, modelPath);
  const rel = path.relative(base, abs);
  const shown = rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel.split(path.sep).join('/');
  ctx.emit({ type: 'stageStarted', stage: 'evaluate', model: path.basename(abs) });
  const data = await ctx.data();
  const t0 = performance.now();
  // A file with the data's normalisation built in takes the raw values.
  const raw = await takesRawInput(abs, base);
  ctx.log(`${shown} takes ${exportInputDescription(data.normalization, raw)}`);
  const row: ModelReport = { ...(await evaluateModelFile(abs, { relPath: shown, test: testSetFor(data, raw) })), input: raw ? 'raw' : 'normalized' };
  ctx.addTiming('evaluate', performance.now() - t0);
  ctx.log(`${shown}: ${row.format} ${row.variant}, ${row.bytes} bytes (gzip ${row.gzipBytes}), accuracy ${row.accuracy === null ? 'n/a' : row.accuracy.toFixed(4)} in ${row.runtime}`);
  const rows = [row];
  ctx.emit({ type: 'report', rows });
  ctx.addStageRecord({ stage: 'evaluate', model: row.model, epochs: [], testAccuracy: row.accuracy ?? undefined, durationMs: performance.now() - t0 });
  return rows;
}
