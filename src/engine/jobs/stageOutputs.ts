/**
 * The files every training stage (train, prune, structured prune) ends with: the model as
 * TF.js — with the run's normalisation built in, like every other file of the run — and the
 * stage's TensorBoard log. One place, so no stage writes a file that takes different input.
 */
import * as path from 'node:path';
import type { FitLogger } from '../export/tensorboard';
import { saveTfjsGraph } from '../export/tfjsGraph';
import type { ModelGraph } from '../graph/types';
import { builtInNormalization, graphToWrite } from './exportInput';
import type { StageContext } from './types';

/** Saves `graph` as TF.js under `rel` (a '/'-separated folder in the output folder) and closes the stage's log; both become artifacts of `model`. */
export async function saveStageOutputs(ctx: StageContext, graph: ModelGraph, model: string, rel: string, logger: FitLogger): Promise<void> {
  const saved = await saveTfjsGraph(graphToWrite(graph, await builtInNormalization(ctx), 'tfjs'), path.join(ctx.outDir, ...rel.split('/')));
  ctx.addArtifact('tfjs', model, `${rel}/model.json`, saved.bytes);
  const tb = await logger.close();
  ctx.addArtifact('tensorboard', model, tb.relPath, tb.bytes);
}
