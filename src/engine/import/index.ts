/**
 * One entry point for a user's model file: `loadModelFile(path)` → ModelGraph.
 *
 * The format is recognised from the content (HDF5 signature, zip signature, JSON), not the
 * extension, so a renamed file still loads and a wrong one is named for what it is:
 *   .h5 (any name)          Keras legacy HDF5 (tf.keras 2.x, Keras 3's legacy saver, Keras < 2.4)
 *   .keras (zip)            Keras 3
 *   model.json (or folder)  TF.js layers model + shards
 * Every reader produces the same intermediate (Keras JSON + weights by layer, types.ts) and
 * buildGraph turns it into the graph, refusing unsupported models before any work starts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import type { ModelGraph } from '../graph/types';
import { LIMITS, openRegularFile, readAt } from '../util/safeRead';
import { buildGraph } from './build';
import { readKerasLegacyH5 } from './kerasLegacyH5';
import { readKerasV3 } from './kerasV3';
import { readTfjsLayersModel } from './tfjsModel';
import type { ImportedModel, ModelFormat } from './types';

export type { ImportedModel, ModelFormat } from './types';

const HDF5_SIGNATURE = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');

/** What a file holds, from its first bytes. */
export type Sniffed = ModelFormat | 'unknown';

export async function sniffModelFile(file: string): Promise<Sniffed> {
  const { fh } = await openRegularFile(file, { what: 'model file', maxBytes: LIMITS.model });
  let head: Buffer;
  try {
    head = await readAt(fh, 64, 0);
  } finally {
    await fh.close();
  }
  if (head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
    return 'keras-h5';
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) {
    return 'keras-v3';
  }
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{')) {
    return 'tfjs-layers';
  }
  return 'unknown';
}

const PASS = 'Pass a Keras model (.h5 from model.save, or .keras) or a TF.js layers model.json.';

/** The model's file (model.json for a folder), refusing what is not a model. */
async function modelPathOf(p: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(p);
  } catch {
    throw new BadInputError(`The model file ${p} does not exist. ${PASS}`, p);
  }
  if (st.isDirectory()) {
    const json = path.join(p, 'model.json');
    if (await fs.stat(json).then((s) => s.isFile(), () => false)) {
      return json;
    }
    const saved = await fs.stat(path.join(p, 'saved_model.pb')).then(() => true, () => false);
    throw new BadInputError(
      saved
        ? `${p} is a TensorFlow SavedModel folder: it holds a TensorFlow graph, not Keras layers. Load it in Keras and save it with model.save('model.keras') (or .h5), then pass that file.`
        : `${p} is a folder without a model.json. ${PASS}`,
      p,
    );
  }
  return p;
}

/** The logical name of an input model: the file stem, or the folder name of a model.json. */
export function modelNameOf(p: string): string {
  const base = path.basename(p);
  if (base.toLowerCase() === 'model.json') {
    return path.basename(path.dirname(path.resolve(p)));
  }
  return base.replace(/\.(h5|hdf5|keras|json)$/i, '') || 'model';
}

/** Reads a model file into the format-neutral intermediate (Keras JSON + weights by layer). */
export async function readModelFile(p: string): Promise<ImportedModel> {
  const file = await modelPathOf(p);
  const kind = await sniffModelFile(file);
  switch (kind) {
    case 'keras-h5':
      return readKerasLegacyH5(file);
    case 'keras-v3':
      return readKerasV3(file);
    case 'tfjs-layers':
      return readTfjsLayersModel(file);
    case 'unknown': {
      const ext = path.extname(file).toLowerCase();
      const hint =
        ext === '.tflite'
          ? ' A .tflite file is deployment output (no training graph): pass the Keras or TF.js model it was made from.'
          : ext === '.pb' || ext === '.onnx' || ext === '.pt' || ext === '.pth'
            ? ` ${ext} models are not supported.`
            : '';
      throw new BadInputError(`${path.basename(file)} is not a Keras .h5, .keras or TF.js model.json (its content is none of HDF5, zip or JSON).${hint} ${PASS}`, file);
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** A model read from a file, with where it came from (for logs, run records, reports). */
export interface ModelImport {
  graph: ModelGraph;
  format: ModelFormat;
  /** 'keras 2.15.0', 'keras 3.13.2', 'TensorFlow.js tfjs-layers v4.22.0', … as the file says. */
  writtenBy: string;
  /** The file read (model.json for a folder). */
  file: string;
}

/** Reads a Keras (.h5, .keras) or TF.js (model.json) model: its graph and its provenance. */
export async function importModelFile(p: string, opts: { name?: string } = {}): Promise<ModelImport> {
  const imported = await readModelFile(p);
  const graph = buildGraph(imported, opts.name ?? modelNameOf(p));
  return { graph, format: imported.format, writtenBy: imported.writtenBy, file: await modelPathOf(p) };
}

/** Loads a Keras (.h5, .keras) or TF.js (model.json) model as the engine's ModelGraph. */
export async function loadModelFile(p: string, opts: { name?: string } = {}): Promise<ModelGraph> {
  return (await importModelFile(p, opts)).graph;
}
