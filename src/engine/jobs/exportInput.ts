/**
 * What the files a run writes take as input (issue 11): the data's normalisation built in
 * (raw values) or not (normalised values), decided once per run from output.includeNormalization
 * and the data source, and how a written file is evaluated accordingly.
 */
import { rawInputSet, type Normalization, type SampleSet, type SplitData } from '../data/dataset';
import { includesNormalization, withInputNormalization, type NormalizationForm } from '../export/inputNormalization';
import type { ModelGraph } from '../graph/types';
import type { StageContext } from './types';

/** The normalisation to build into this run's files, or null (files take normalised values). */
export async function builtInNormalization(ctx: Pick<StageContext, 'config' | 'data'>): Promise<Normalization | null> {
  const data = await ctx.data();
  return includesNormalization(ctx.config.output.includeNormalization, ctx.config.data.source, data.normalization) ? data.normalization : null;
}

/** The graph a writer saves: with the normalisation layers when the run builds them in. */
export function graphToWrite(graph: ModelGraph, norm: Normalization | null, form: NormalizationForm): ModelGraph {
  return norm ? withInputNormalization(graph, norm, form) : graph;
}

/** The test set a file is evaluated on: raw values for a file with the normalisation built in. */
export function testSetFor(data: SplitData, rawInput: boolean): SampleSet {
  return rawInput ? rawInputSet(data.test, data.normalization, data.sourceDtype) : data.test;
}
