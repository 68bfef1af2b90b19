/**
 * Dense stacks (MlpModel) to and from model files in tests, through the engine's own paths:
 * the graph writer every run uses (saveTfjsGraph) and the importers (loadModelFile).
 */
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { graphToMlp, mlpToGraph } from '../../src/engine/graph/mlp';
import { loadModelFile } from '../../src/engine/import/index';
import type { MlpModel } from '../../src/engine/model/mlp';

/** Writes `model` as a TF.js model.json + shard under `dir`, as a run's train stage does. */
export function saveMlpTfjs(model: MlpModel, dir: string): Promise<{ bytes: number; modelJson: string }> {
  return saveTfjsGraph(mlpToGraph(model), dir);
}

/** Reads a Keras / TF.js model file that holds a Dense stack, as an MlpModel. */
export async function loadMlpFile(file: string): Promise<MlpModel> {
  const r = graphToMlp(await loadModelFile(file));
  if (!r.model) {
    throw new Error(`${file} is not a Dense stack: ${r.reason}`);
  }
  return r.model;
}
