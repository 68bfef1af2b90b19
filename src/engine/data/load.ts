/**
 * `loadData`: reads the configured source (see DataConfig.source) and prepares the splits
 * (limits, validation split, normalisation) into the SplitData every job uses.
 */
import type { RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import type { SplitData } from './dataset';
import { loadIdxData } from './mnist';
import { prepareData, type RawData } from './prepare';

/** Progress while files are read and decoded (image folders report per file). */
export interface LoadProgress {
  phase: string;
  done: number;
  total: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

export async function readRawData(config: RunConfig, _opts: LoadOptions = {}): Promise<RawData> {
  const source = config.data.source;
  switch (source) {
    case 'mnist':
    case 'idx':
      return loadIdxData(config);
    default:
      // The config schema offers only the sources implemented so far.
      throw new BadInputError(`data.source "${source}" is not supported by this version. Use "mnist" or "idx".`, 'data.source');
  }
}

export async function loadData(config: RunConfig, opts: LoadOptions = {}): Promise<SplitData> {
  const raw = await readRawData(config, opts);
  return prepareData(raw, {
    trainLimit: config.data.trainLimit,
    testLimit: config.data.testLimit,
    validationSplit: config.train.validationSplit,
    validation: config.data.validation,
    seed: config.train.seed,
    normalize: config.data.normalize,
  });
}
