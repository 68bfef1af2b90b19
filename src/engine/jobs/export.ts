/**
 * The export stage: writes every deployment format of the given models (Keras .h5 for
 * each; TFLite variants and weight-quantized TF.js for the pruned model, or the last one),
 * evaluates each file in the runtime that would run it, emits `report` and writes
 * `<out>/comparison.md` / `comparison.json`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TfjsQuantMode, TfliteMode } from '../../protocol/config';
import type { ArtifactKind, ModelReport } from '../../protocol/engine';
import { saveKerasH5Graph } from '../export/kerasH5Graph';
import { analyzeGraph } from '../graph/analyze';
import { layerTable } from '../graph/stats';
import { saveTflite } from '../export/tflite';
import { MAX_FOLD_RESOLUTION_LOSS } from '../export/tflite/foldInput';
import { saveTfjsQuantizedGraph } from '../export/tfjsQuantized';
import { exportInputDescription, INPUT_NORMALIZATION } from '../export/inputNormalization';
import { mlpToGraph } from '../graph/mlp';
import { rawInputSet } from '../data/dataset';
import { takesRawInput } from '../report/rawInput';
import { builtInNormalization, graphToWrite, testSetFor } from './exportInput';
import type { ModelGraph } from '../graph/types';
import { withDeltas, writeComparison } from '../report/comparison';
import { evaluateModelFile } from '../report/evaluateFile';
import { writeLabels } from './labels';
import { runFloatFallback } from './fallback';
import { prunedName } from './names';
import type { SiteRanges } from '../export/tflite/graphExport';
import type { QatResult } from './qat';
import type { StageContext } from './types';


/** File name of a TFLite variant; dynamic-range int8 keeps the reference's `_quant` name. */
export function tfliteFileName(model: string, mode: TfliteMode): string {
  return mode === 'dynamic-int8' ? `${model}_quant.tflite` : `${model}_${mode.replace('-', '_')}.tflite`;
}

export function tfjsQuantDirName(model: string, mode: TfjsQuantMode): string {
  return `${model}_${mode}`;
}

/** A model file written (or found) under the output folder, to be evaluated. */
export interface Written {
  kind: ArtifactKind;
  model: string;
  /** Relative to the output folder, POSIX. */
  rel: string;
  /** For TF.js: the folder; else the file. */
  evalPath: string;
  /** The file has the data's normalisation built in: it is evaluated on raw values. */
  rawInput?: boolean;
}

/** Tells the UI which file the export stage works on (`done` of `total` finished). */
function exportProgress(ctx: StageContext, task: string, done: number, total: number): void {
  ctx.emit({ type: 'stageProgress', stage: 'export', task, done, total });
}

/**
 * Writes `model` in each TFLite variant into `<out>/<subdir>/` (atomically, announced as
 * artifacts); full-int8 is calibrated on the first quantize.representativeSamples training images.
 * The stage hands the exporter the layer graph itself; the exporter decides the form (a plain
 * Dense stack keeps the MLP writer's XNNPACK-tuned files, byte for byte; everything else is
 * lowered op by op).
 */
export async function writeTfliteVariants(
  ctx: StageContext,
  model: ModelGraph,
  modes: readonly TfliteMode[],
  subdir = '',
  progress = { done: 0, total: modes.length },
  ranges?: SiteRanges,
): Promise<Written[]> {
  const q = ctx.config.quantize;
  const data = await ctx.data();
  const n = Math.min(q.representativeSamples, data.train.count);
  const head = { ...data.train, images: data.train.images.subarray(0, n * data.train.features), count: n };
  // With the normalisation built in, the file's input (and so its calibration) is the raw values.
  const norm = await builtInNormalization(ctx);
  const representative = { images: norm ? rawInputSet(head, data.normalization, data.sourceDtype).images : head.images, count: n };
  if (norm) {
    model = graphToWrite('inputs' in model ? model : mlpToGraph(model), norm, 'keras');
    if (ranges?.[':input']) {
      // QAT trained its input range on normalised values: that is now the normalisation layer's output; the raw input is calibrated.
      const { [':input']: normalised, ...rest } = ranges;
      ranges = { ...rest, [INPUT_NORMALIZATION]: normalised };
    }
  }
  const written: Written[] = [];
  for (const mode of modes) {
    ctx.throwIfCancelled();
    const rel = subdir ? `${subdir}/${tfliteFileName(model.name, mode)}` : tfliteFileName(model.name, mode);
    const abs = path.join(ctx.outDir, ...rel.split('/'));
    exportProgress(ctx, `${mode === 'full-int8' ? (ranges ? 'writing (QAT ranges)' : 'calibrating and writing') : 'writing'} ${rel}`, progress.done++, progress.total);
    const { bytes, inputResolutionLoss } = await saveTflite(model, mode, abs, {
      representative,
      perChannel: q.perChannel,
      int8Io: q.int8Io,
      perChannelAs: q.perChannelDenseAs === 'fully_connected' ? 'fully-connected' : 'conv2d',
      dynamicForm: q.dynamicRangeForm,
      calibration: q.calibration === 'percentile' ? { kind: 'percentile', percentile: q.calibrationPercentile } : { kind: 'min-max' },
      ranges,
    });
    if (q.int8Io && inputResolutionLoss !== undefined && inputResolutionLoss > MAX_FOLD_RESOLUTION_LOSS) {
      ctx.warn(
        'int8-input-resolution',
        `${rel} takes raw int8 input (quantize.int8Io), but the input values have very different ranges: with one int8 scale for them all, the narrowest is ${Math.round(inputResolutionLoss)}× coarser than if the normalised values were quantized, so accuracy may drop. Use float I/O (quantize.int8Io: false; the normalisation then runs in float before QUANTIZE), or output.includeNormalization: false and normalise before calling the model.`,
      );
    }
    ctx.addArtifact('tflite', model.name, rel, bytes);
    written.push({ kind: 'tflite', model: model.name, rel, evalPath: abs, rawInput: !!norm });
  }
  return written;
}

/** Measures each file from disk and in its runtime on the test set (cancel is checked between files). */
export async function evaluateWritten(ctx: StageContext, items: readonly Written[]): Promise<ModelReport[]> {
  const data = await ctx.data();
  const rows: ModelReport[] = [];
  for (const [i, w] of items.entries()) {
    ctx.throwIfCancelled();
    exportProgress(ctx, `evaluating ${w.rel}`, i, items.length);
    const raw = w.rawInput ?? false;
    const row: ModelReport = { ...(await evaluateModelFile(w.evalPath, { model: w.model, relPath: w.rel, test: testSetFor(data, raw) })), input: raw ? 'raw' : 'normalized' };
    ctx.log(`${w.rel}: ${row.bytes} bytes (gzip ${row.gzipBytes}), accuracy ${row.accuracy === null ? 'n/a' : row.accuracy.toFixed(4)} in ${row.runtime}`);
    rows.push(row);
  }
  return rows;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** How a row names a file the run did not write: relative to the output folder when inside it, else absolute (POSIX). */
export function inputDisplayPath(outDir: string, file: string): string {
  const rel = path.relative(outDir, file);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  return (inside ? rel : path.resolve(file)).split(path.sep).join('/');
}

/** Models of the optional stages: the QAT model (written as full-int8 with its trained ranges) and the clustered model. */
export interface ExportExtras {
  qat?: QatResult;
  clustered?: ModelGraph;
  /**
   * The file models[0] was read from (`pipeline --model F`): F itself is evaluated as the
   * baseline row (accuracy, sizes, per-layer table) and every export's Δ is against it.
   */
  inputFile?: string;
}

/** One writer for every model; a Dense stack's file is the one the reference run has always written. */
async function writeH5(ctx: StageContext, m: ModelGraph, rel: string): Promise<number> {
  const bytes = await saveKerasH5Graph(m, path.join(ctx.outDir, rel), { learningRate: ctx.config.train.learningRate });
  ctx.addArtifact('keras-h5', m.name, rel, bytes);
  return bytes;
}

export async function runExportStage(ctx: StageContext, models: ModelGraph[], extras: ExportExtras = {}): Promise<ModelReport[]> {
  if (models.length === 0) {
    return [];
  }
  const cfg = ctx.config;
  const q = cfg.quantize;
  // The pruned model when there is one (pruned_<baseline>), else the last one.
  const target = models.find((m) => models.some((b) => m.name === prunedName(b.name))) ?? models[models.length - 1];
  ctx.emit({ type: 'stageStarted', stage: 'export', model: target.name });
  const tWrite = performance.now();
  const data = await ctx.data();
  const norm = await builtInNormalization(ctx);
  ctx.log(`exported files take ${exportInputDescription(data.normalization, norm !== null)}`);
  const written: Written[] = [];
  const abs = (rel: string): string => path.join(ctx.outDir, rel);

  const progress = {
    done: 0,
    total: models.length + q.tflite.length + q.tfjs.length + (extras.qat ? 1 : 0) + (extras.clustered ? 1 + q.tflite.length : 0),
  };
  for (const m of models) {
    ctx.throwIfCancelled();
    const rel = `${m.name}.h5`;
    exportProgress(ctx, `writing ${rel}`, progress.done++, progress.total);
    await writeH5(ctx, graphToWrite(m, norm, 'keras'), rel);
    // Every .h5 is read back and measured (Dense stacks by the plain forward pass, other graphs through the importers).
    written.push({ kind: 'keras-h5', model: m.name, rel, evalPath: abs(rel), rawInput: !!norm });
  }

  written.push(...(await writeTfliteVariants(ctx, target, q.tflite, '', progress)));
  for (const mode of q.tfjs) {
    ctx.throwIfCancelled();
    const dir = tfjsQuantDirName(target.name, mode);
    exportProgress(ctx, `writing ${dir}/`, progress.done++, progress.total);
    const { bytes } = await saveTfjsQuantizedGraph(graphToWrite(target, norm, 'tfjs'), abs(dir), mode, (layer) => layer.startsWith(INPUT_NORMALIZATION));
    ctx.addArtifact('tfjs-quantized', target.name, `${dir}/model.json`, bytes);
    written.push({ kind: 'tfjs-quantized', model: target.name, rel: `${dir}/model.json`, evalPath: abs(dir), rawInput: !!norm });
  }
  // Optional stages' models: the QAT full-int8 file, the clustered model's .h5 and TFLite files.
  const technique = new Map<string, 'qat' | 'clustered'>();
  if (extras.qat) {
    for (const w of await writeTfliteVariants(ctx, extras.qat.model, ['full-int8'], '', progress, extras.qat.ranges)) {
      technique.set(w.rel, 'qat');
      written.push(w);
    }
  }
  if (extras.clustered) {
    const c = extras.clustered;
    const rel = `${c.name}.h5`;
    exportProgress(ctx, `writing ${rel}`, progress.done++, progress.total);
    await writeH5(ctx, c, rel);
    technique.set(rel, 'clustered');
    written.push({ kind: 'keras-h5', model: c.name, rel, evalPath: abs(rel) });
    // The unclustered .h5 beside it (a Dense stack's is measured already; other graphs' are measured here).
    const srcRel = `${target.name}.h5`;
    if (!written.some((w) => w.rel === srcRel) && (await exists(abs(srcRel)))) {
      written.push({ kind: 'keras-h5', model: target.name, rel: srcRel, evalPath: abs(srcRel) });
    }
    for (const w of await writeTfliteVariants(ctx, c, q.tflite, '', progress)) {
      technique.set(w.rel, 'clustered');
      written.push(w);
    }
  }
  ctx.addTiming('export', performance.now() - tWrite);

  // Evaluate: the input file (--model F), the float TF.js models the earlier stages saved (when
  // present), then every file written here.
  const tEval = performance.now();
  const toEvaluate: Written[] = [];
  const input: Written | null = extras.inputFile ? { kind: /\.json$/i.test(extras.inputFile) ? 'tfjs' : 'keras-h5', model: models[0].name, rel: inputDisplayPath(ctx.outDir, extras.inputFile), evalPath: extras.inputFile } : null;
  if (input) {
    // The user's own file takes whatever it takes: raw values when it has our input_normalization layers.
    toEvaluate.push({ ...input, rawInput: await takesRawInput(input.evalPath) });
  }
  for (const [i, m] of models.entries()) {
    const rel = `${m.name}/model.json`;
    // With --model F nothing saved the baseline's TF.js folder in this run: one found there is older, or F itself.
    if (!(input && i === 0) && (await exists(abs(rel)))) {
      // Saved by an earlier stage, maybe by an earlier run with another output.includeNormalization: asked, not assumed.
      toEvaluate.push({ kind: 'tfjs', model: m.name, rel, evalPath: abs(rel), rawInput: await takesRawInput(abs(rel)) });
    }
  }
  toEvaluate.push(...written);
  const evaluated = (await evaluateWritten(ctx, toEvaluate)).map((r) => {
    const t = technique.get(r.path);
    // The technique joins the variant label, so the panel's table and chart tell the rows apart.
    return t ? { ...r, technique: t, variant: `${r.variant} ${t === 'qat' ? 'QAT' : 'clustered'}` } : r;
  });
  const rows = input ? evaluated.map((r, i): ModelReport => (i === 0 ? { ...r, source: 'input' } : r)) : evaluated;
  const fallback = await runFloatFallback(ctx, target, rows, async (f) => (await evaluateWritten(ctx, [{ kind: 'tflite', model: f.model, rel: f.rel, evalPath: f.abs, rawInput: !!norm }]))[0]);
  rows.push(...fallback.rows);
  // The float32 baseline: the input file, else the first model's float file (its TF.js save, else its .h5).
  const baseline = input ? rows[0] : (rows.find((r) => r.model === models[0].name && r.format === 'tfjs') ?? rows.find((r) => r.model === models[0].name && r.format === 'keras-h5'));
  // Each model's per-layer table on its float Keras/TF.js rows (the graph those files were written from or read as).
  const tables = new Map(models.map((m) => [m.name, layerTable(analyzeGraph(m)).map(({ kernelSparsity: _k, ...row }) => row)]));
  const final = withDeltas(rows, baseline?.accuracy ?? null).map((r) => (r.format === 'tfjs' || r.format === 'keras-h5') && r.variant === 'float32' && tables.has(r.model) ? { ...r, layerTable: tables.get(r.model) } : r);
  ctx.addTiming('evaluate', performance.now() - tEval);

  ctx.emit({ type: 'report', rows: final });
  const sizes = await writeComparison(ctx.outDir, final);
  ctx.addArtifact('report', target.name, 'comparison.json', sizes.json);
  ctx.addArtifact('report', target.name, 'comparison.md', sizes.md);
  await writeLabels(ctx, target.name);
  ctx.addStageRecord({ stage: 'export', model: target.name, epochs: [], durationMs: performance.now() - tWrite, ...(fallback.record ? { fallback: fallback.record } : {}) });
  return final;
}
