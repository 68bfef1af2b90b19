/**
 * Whether a model file takes raw values (the data's normalisation built in by the export stage,
 * export/inputNormalization.ts) or normalised ones. Keras and TF.js files say it themselves
 * (their `input_normalization…` layers). A float .tflite keeps the lowered layer's tensor names;
 * a full-int8 file may have the transform folded into its input quantization and weights (no
 * trace left in the file), so for a .tflite the run records of the output folder are asked too:
 * the comparison row of the run that wrote the file says `input: "raw"`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { hasInputNormalization, INPUT_NORMALIZATION } from '../export/inputNormalization';
import { readTflite } from '../export/tflite/reader';
import { loadModelFile } from '../import';
import { RUNS_DIR } from '../output/publish';
import { LIMITS, readFileLimited, readTextLimited } from '../util/safeRead';
import { detectKind } from './evaluateFile';

interface RecordRows {
  job?: unknown;
  runDir?: unknown;
  report?: unknown;
}

/** What the run records in `outRoot` say about `file` (a row with `input`), or null when none wrote it. */
async function recordedInput(file: string, outRoot: string): Promise<'raw' | 'normalized' | null> {
  const dir = path.join(outRoot, RUNS_DIR);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const target = path.resolve(file);
  let found: 'raw' | 'normalized' | null = null;
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    let rec: RecordRows;
    try {
      rec = JSON.parse(await readTextLimited(path.join(dir, name), { what: 'run record', maxBytes: 64 * 1024 * 1024 })) as RecordRows;
    } catch {
      continue; // not a record this can read: it says nothing about the file
    }
    // The runs that wrote files (an evaluate run only repeats what it was told).
    if (!Array.isArray(rec.report) || rec.job === 'evaluate') {
      continue;
    }
    const runDir = typeof rec.runDir === 'string' ? rec.runDir : '';
    for (const row of rec.report as { path?: unknown; input?: unknown }[]) {
      if (typeof row?.path !== 'string' || (row.input !== 'raw' && row.input !== 'normalized')) {
        continue;
      }
      // The file in its run folder, or its published copy at the top of the output folder.
      if (path.resolve(outRoot, runDir, row.path) === target || path.resolve(outRoot, row.path) === target) {
        found = row.input; // records sort by run id (time): the newest run that wrote this path wins
      }
    }
  }
  return found;
}

export async function takesRawInput(file: string, outRoot?: string): Promise<boolean> {
  const kind = await detectKind(file);
  if (kind === 'tflite') {
    const bytes = new Uint8Array(await readFileLimited(file, { what: 'TFLite model', maxBytes: LIMITS.model }));
    if (readTflite(bytes, path.basename(file)).tensors.some((t) => t.name.startsWith(INPUT_NORMALIZATION))) {
      return true;
    }
    return outRoot ? (await recordedInput(file, outRoot)) === 'raw' : false;
  }
  return hasInputNormalization(await loadModelFile(file));
}
