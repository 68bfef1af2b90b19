/**
 * Whether a model file takes raw values (the data's normalisation built in by the export stage,
 * export/inputNormalization.ts) or normalised ones: Keras and TF.js files by their
 * `input_normalization…` layers, TFLite files by the tensors those layers were lowered to.
 */
import * as path from 'node:path';
import { hasInputNormalization, INPUT_NORMALIZATION } from '../export/inputNormalization';
import { readTflite } from '../export/tflite/reader';
import { loadModelFile } from '../import';
import { LIMITS, readFileLimited } from '../util/safeRead';
import { detectKind } from './evaluateFile';

export async function takesRawInput(file: string): Promise<boolean> {
  const kind = await detectKind(file);
  if (kind === 'tflite') {
    const bytes = new Uint8Array(await readFileLimited(file, { what: 'TFLite model', maxBytes: LIMITS.model }));
    return readTflite(bytes, path.basename(file)).tensors.some((t) => t.name.startsWith(INPUT_NORMALIZATION));
  }
  return hasInputNormalization(await loadModelFile(file));
}
