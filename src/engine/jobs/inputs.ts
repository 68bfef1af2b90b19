/**
 * What a job works on: the input model files found before it starts, and how one is loaded
 * (through the importers) and named. Shared by the pipeline and the sweep.
 */
import * as path from 'node:path';
import { BadInputError } from '../errors';
import type { SplitData } from '../data/dataset';
import { analyzeGraph } from '../graph/analyze';
import { checkInputShape } from '../graph/input';
import type { ModelGraph } from '../graph/types';
import { loadModelFile } from '../import';
import { stripInputNormalization } from '../export/inputNormalization';
import { checkClasses, checkInputSize } from '../util/modelFit';

/** What a job works on, found before it starts (so a missing input is bad input, not a failed run). */
export interface JobInputs {
  /** Input model files (absolute): for prune / quantize / evaluate / sweep, and `--model` of train (fine-tune) and pipeline (skips training). */
  models: string[];
}

/**
 * Loads an input model (Keras .h5 / .keras, TF.js model.json) as a graph, through the
 * importers (src/engine/import/); anything wrong with the file is the user's to fix, including
 * an input shape or class count that does not fit the data it will be trained and evaluated on.
 */
export async function loadInputModel(file: string, name: string, data?: () => Promise<SplitData>): Promise<ModelGraph> {
  let model: ModelGraph;
  try {
    model = await loadModelFile(file, { name });
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    throw new BadInputError(`Cannot load the model ${file}: ${(err as Error).message}. Pass a Keras .h5 / .keras file or a TF.js model.json.`, file);
  }
  if (data) {
    const d = await data();
    const a = analyzeGraph(model);
    // A different number of values: the message every format gives (util/modelFit.ts); same count, other layout: the shape check.
    checkInputSize(file, a.inputShape.reduce((x, y) => x * y, 1), d.train, d.name);
    checkInputShape(d.shape, a.inputShape, `${d.name} (${file})`);
    checkClasses(file, a.outputShape[a.outputShape.length - 1], d.train);
    // A file this engine wrote with the data's normalisation built in: the engine trains on normalised values.
    return stripInputNormalization(model, d.normalization, file).graph;
  }
  return stripInputNormalization(model, null, file).graph;
}

export function modelNameOf(file: string): string {
  const base = path.basename(file);
  return base === 'model.json' ? path.basename(path.dirname(file)) : base.replace(/\.[^.]+$/, '');
}
