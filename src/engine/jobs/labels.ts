/**
 * Class names through a run: read from the labels file beside the input model (Teachable
 * Machine's labels.txt) unless data.classNames is set, checked against the model's outputs
 * before anything starts, and written back as labels.txt (Teachable Machine's format) next to
 * the exported files, so an app that reads the model with its labels.txt keeps working.
 */
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { labelsText, namedClasses } from '../data/classNames';
import { readTflite } from '../export/tflite/reader';
import { analyzeGraph } from '../graph/analyze';
import { checkLabelsFitModel, findModelLabels } from '../import/labels';
import { writeFileAtomic } from '../util/atomic';
import { LIMITS, readFileLimited } from '../util/safeRead';
import type { StageContext } from './types';
import { loadInputModel, modelNameOf } from './inputs';

export const LABELS_FILE = 'labels.txt';

/** The number of classes `modelFile` outputs (its last output dimension). */
async function modelClasses(modelFile: string): Promise<number> {
  if (modelFile.toLowerCase().endsWith('.tflite')) {
    const g = readTflite(new Uint8Array(await readFileLimited(modelFile, { what: 'TFLite model', maxBytes: LIMITS.model })), path.basename(modelFile));
    const shape = g.tensors[g.outputs[0]]?.shape ?? [];
    return shape[shape.length - 1] ?? 0;
  }
  const out = analyzeGraph(await loadInputModel(modelFile, modelNameOf(modelFile))).outputShape;
  return out[out.length - 1];
}

/**
 * `config` with data.classNames from the labels file beside `modelFile`, when there is one and
 * the config names no classes itself; `from` describes the file for messages.
 */
export async function withModelLabels(config: RunConfig, modelFile: string | undefined): Promise<{ config: RunConfig; from?: string }> {
  if (!modelFile || config.data.classNames) {
    return { config };
  }
  const labels = await findModelLabels(modelFile);
  if (!labels) {
    return { config };
  }
  checkLabelsFitModel(labels, await modelClasses(modelFile), modelFile);
  return { config: { ...config, data: { ...config.data, classNames: labels.names } }, from: `${path.basename(labels.file)} beside ${path.basename(modelFile)}` };
}

/** Writes labels.txt into the run's folder when the classes have names (not just 0, 1, …). */
export async function writeLabels(ctx: StageContext, model: string): Promise<void> {
  const names = (await ctx.data()).classNames;
  if (!namedClasses(names)) {
    return;
  }
  const bytes = await writeFileAtomic(path.join(ctx.outDir, LABELS_FILE), labelsText(names));
  ctx.addArtifact('report', model, LABELS_FILE, bytes);
}
