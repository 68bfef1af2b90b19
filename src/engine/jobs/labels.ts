/**
 * Class names through a run: read from the labels file beside the input model (Teachable
 * Machine's labels.txt) unless data.classNames is set, checked against the model's outputs
 * before anything starts, and written back as labels.txt (Teachable Machine's format) next to
 * the exported files, so an app that reads the model with its labels.txt keeps working.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { labelsText, namedClasses } from '../data/classNames';
import { readTflite } from '../export/tflite/reader';
import { analyzeGraph } from '../graph/analyze';
import { checkLabelsFitModel, findModelLabels, metadataLabels } from '../import/labels';
import { writeFileAtomic } from '../util/atomic';
import { LIMITS, readFileLimited, readTextLimited } from '../util/safeRead';
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

/** The TF.js model folders a run wrote (model.json at depth ≤ 2 of its folder: pruned_S/, sweep/<point>/). */
async function tfjsFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory() && depth < 2) {
        const sub = rel ? `${rel}/${e.name}` : e.name;
        if (await fs.stat(path.join(root, sub, 'model.json')).then((st) => st.isFile(), () => false)) {
          out.push(sub);
        }
        await walk(sub, depth + 1);
      }
    }
  };
  await walk('', 0);
  return out;
}

/**
 * A Teachable Machine TF.js model (model.json + metadata.json) in: every TF.js folder this run
 * wrote gets the input's metadata.json with the run's class names, so the Teachable Machine
 * library (which loads model.json and metadata.json from one folder) takes the new files as they are.
 */
export async function writeTmMetadata(ctx: StageContext, inputModel: string | undefined): Promise<void> {
  if (!inputModel || path.basename(inputModel).toLowerCase() !== 'model.json') {
    return;
  }
  const source = path.join(path.dirname(inputModel), 'metadata.json');
  const text = await readTextLimited(source, { what: 'Teachable Machine metadata.json', maxBytes: 1024 * 1024 }).catch(() => null);
  if (text === null || metadataLabels(text, source) === null) {
    return;
  }
  const meta = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const names = (await ctx.data()).classNames;
  const data = JSON.stringify({ ...meta, labels: [...names] });
  for (const dir of await tfjsFolders(ctx.outDir)) {
    const rel = `${dir}/metadata.json`;
    const bytes = await writeFileAtomic(path.join(ctx.outDir, ...rel.split('/')), data);
    ctx.addArtifact('report', path.basename(dir), rel, bytes);
  }
}
