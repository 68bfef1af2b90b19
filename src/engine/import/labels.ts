/**
 * The class names a model file carries beside it: Google Teachable Machine exports
 * `keras_model.h5` (or `model_unquant.tflite`) with a `labels.txt` of lines "<index> <name>"
 * ("0 Flask\n1 Mug\n"), and its TF.js export (model.json, weights.bin) with a `metadata.json`
 * whose `labels` list them; TFLite apps often use a plain one-name-per-line labels.txt. Looked
 * for next to the model as `<stem>_labels.txt`, then `labels.txt`; for a TF.js model.json then
 * `metadata.json`, then the folder above (where this engine writes labels.txt, next to the .h5
 * and .tflite files).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CLASS_NAME_LIMITS, classNamesProblem } from '../data/classNames';
import { BadInputError } from '../errors';
import { readTextLimited } from '../util/safeRead';

/** Teachable Machine's TF.js export keeps its class names in metadata.json's `labels`. */
const TM_METADATA = 'metadata.json';

/** A labels file is a few KB; 1 MiB holds 10 000 names of 100 characters. */
const MAX_LABELS_BYTES = 1024 * 1024;

export interface ModelLabels {
  /** The labels file read. */
  file: string;
  names: string[];
}

/** Candidate labels files for `modelFile`, most specific first. */
export function labelsCandidates(modelFile: string): string[] {
  const dir = path.dirname(modelFile);
  const base = path.basename(modelFile);
  const stem = base.replace(/\.(h5|hdf5|keras|json|tflite)$/i, '');
  const out = [path.join(dir, `${stem}_labels.txt`), path.join(dir, 'labels.txt')];
  if (base.toLowerCase() === 'model.json') {
    out.push(path.join(dir, TM_METADATA), path.join(path.dirname(dir), `${path.basename(dir)}_labels.txt`), path.join(path.dirname(dir), 'labels.txt'));
  }
  return [...new Set(out)];
}

/**
 * Parses a labels file: every line "<i> <name>" with i = its line number (Teachable Machine),
 * or every line just a name. Blank lines at the end, a BOM and CRLF line ends are accepted.
 */
export function parseLabels(text: string, where: string): string[] {
  const fix = `Write one class per line in the model's output order, as Teachable Machine does ("0 Flask", "1 Mug", …) or just the names.`;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') {
    lines.pop();
  }
  if (lines.length === 0) {
    throw new BadInputError(`${where} is empty. ${fix}`, where);
  }
  if (lines.length > CLASS_NAME_LIMITS.count) {
    throw new BadInputError(`${where} has ${lines.length} lines, more than the ${CLASS_NAME_LIMITS.count} classes a model may have here. ${fix}`, where);
  }
  const indexed = lines.map((l) => /^\s*(\d+)\s+(\S.*?)\s*$/.exec(l));
  const names =
    indexed.every((m) => m !== null) && indexed.some((m, i) => Number(m?.[1]) === i)
      ? indexed.map((m, i) => {
          if (Number(m?.[1]) !== i) {
            throw new BadInputError(`${where}: line ${i + 1} gives class ${m?.[1]}, but line ${i + 1} is class ${i} (the lines must be in the model's output order 0, 1, 2, …). ${fix}`, where);
          }
          return m?.[2] ?? '';
        })
      : lines.map((l) => l.trim());
  const problem = classNamesProblem(names);
  if (problem) {
    throw new BadInputError(`${where} cannot name the model's classes: ${problem}. ${fix}`, where);
  }
  return names;
}

/**
 * The `labels` of a Teachable Machine metadata.json, or null when the file has none (another
 * tool's metadata.json is not a labels file). Labels that are there must be usable names.
 */
export function metadataLabels(text: string, where: string): string[] | null {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  const labels = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { labels?: unknown }).labels : undefined;
  if (labels === undefined) {
    return null;
  }
  const problem = Array.isArray(labels) ? classNamesProblem(labels) : 'it is not a list of names';
  if (problem) {
    throw new BadInputError(`${where}: its "labels" cannot name the model's classes: ${problem}. Export the model from Teachable Machine again, or fix "labels" (one distinct name per class, in output order).`, where);
  }
  return labels as string[];
}

/** The labels file beside `modelFile` with its names, or null when there is none. */
export async function findModelLabels(modelFile: string): Promise<ModelLabels | null> {
  for (const file of labelsCandidates(modelFile)) {
    const st = await fs.stat(file).catch(() => null);
    if (!st?.isFile()) {
      continue;
    }
    const text = await readTextLimited(file, {
      what: 'labels file',
      maxBytes: MAX_LABELS_BYTES,
      tooLargeFix: `A labels file holds one class name per line; ${path.basename(file)} is not one: move it away from the model or replace it.`,
    });
    if (path.basename(file) === TM_METADATA) {
      const names = metadataLabels(text, `${path.basename(path.dirname(file))}/${TM_METADATA}`);
      if (names) {
        return { file, names };
      }
      continue;
    }
    return { file, names: parseLabels(text, path.basename(file)) };
  }
  return null;
}

/** Refuses labels whose count is not the model's number of classes (its output width). */
export function checkLabelsFitModel(labels: ModelLabels, classes: number, modelFile: string): void {
  if (labels.names.length !== classes) {
    throw new BadInputError(
      `${path.basename(labels.file)} beside ${path.basename(modelFile)} names ${labels.names.length} classes, but the model has ${classes} outputs. ` +
        `It belongs to another model: put the model's own labels file beside it (one name per output), or remove it (then the classes are numbered).`,
      labels.file,
    );
  }
}
