/**
 * `loadData`: reads the configured source (see DataConfig.source) and prepares the splits
 * (limits, validation split, normalisation) into the SplitData every job uses.
 */
import type { RunConfig } from '../../protocol/config';
import { applyClassNames } from './classNames';
import type { SplitData } from './dataset';
import { loadCsv } from './csv';
import { loadImageFolder } from './imageFolder';
import { loadIdxData } from './mnist';
import { loadNpy } from './npy';
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
  /** Where data.classNames came from, for messages (a labels file beside the model); default 'data.classNames'. */
  classNamesFrom?: string;
}

export async function readRawData(config: RunConfig, opts: LoadOptions = {}): Promise<RawData> {
  const source = config.data.source;
  switch (source) {
    case 'mnist':
    case 'idx':
      return loadIdxData(config);
    case 'image-folder':
      return loadImageFolder(config, opts);
    case 'csv':
      return loadCsv(config);
    case 'npy':
      return loadNpy(config);
  }
}

export async function loadData(config: RunConfig, opts: LoadOptions = {}): Promise<SplitData> {
  const read = await readRawData(config, opts);
  const names = config.data.classNames;
  const raw = names ? applyClassNames(read, names, opts.classNamesFrom ?? 'data.classNames') : read;
  return prepareData(raw, {
    trainLimit: config.data.trainLimit,
    testLimit: config.data.testLimit,
    validationSplit: config.train.validationSplit,
    validation: config.data.validation,
    seed: config.train.seed,
    normalize: config.data.normalize,
  });
}
