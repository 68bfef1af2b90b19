/**
 * The preview Choose Dataset… shows before writing anything (issue 11): classes and counts, a
 * grid of sample images, the sample shape and the value range, for a suggested `data` section
 * (suggest.ts). Cheap enough for the extension host: an image folder is listed and only the
 * shown samples are decoded; a .npy/.npz is read as the run would read it; a CSV is read up to
 * its first CSV_PREVIEW_BYTES (counts and range then say so).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG, type DataConfig, type RunConfig } from '../../protocol/config';
import { PREVIEW_MAX_CLASSES, PREVIEW_MAX_SIDE, PREVIEW_PER_CLASS, type DatasetPreview, type PreviewClass, type PreviewImage } from '../../protocol/datasetPreview';
import { BadInputError } from '../errors';
import { formatBytes } from '../../protocol/format';
import { readFileLimited } from '../util/safeRead';
import { scanClassFolders } from './classFolders';
import { csvHeadSamples } from './csv';
import { decodeImage, resizeBilinear, toChannels } from './image/decode';
import { loadNpy } from './npy';
import type { DataSuggestion } from './suggest';

/** How much of a CSV the preview parses (the run reads it all). */
export const CSV_PREVIEW_BYTES = 8 * 1024 * 1024;

const count = (n: number): string => n.toLocaleString('en-US');

/** `pixels` (h × w × c bytes) scaled so the longer side is at most PREVIEW_MAX_SIDE. */
function shrink(pixels: Uint8Array, h: number, w: number, c: 1 | 3): { pixels: Uint8Array; height: number; width: number } {
  const s = Math.min(1, PREVIEW_MAX_SIDE / Math.max(h, w));
  if (s === 1) {
    return { pixels, height: h, width: w };
  }
  const oh = Math.max(1, Math.round(h * s));
  const ow = Math.max(1, Math.round(w * s));
  return { pixels: resizeBilinear(pixels, h, w, c, oh, ow), height: oh, width: ow };
}

function image(classIndex: number, pixels: Uint8Array, h: number, w: number, c: 1 | 3): PreviewImage {
  const small = shrink(pixels, h, w, c);
  return { classIndex, width: small.width, height: small.height, channels: c, pixels: Array.from(small.pixels) };
}

/** Sample indices to show: the first PREVIEW_PER_CLASS of each of the first PREVIEW_MAX_CLASSES classes. */
function pickSamples(labels: ArrayLike<number>, numClasses: number): number[] {
  const taken = new Array<number>(numClasses).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < PREVIEW_PER_CLASS * Math.min(numClasses, PREVIEW_MAX_CLASSES); i++) {
    const c = labels[i];
    if (c < PREVIEW_MAX_CLASSES && taken[c] < PREVIEW_PER_CLASS) {
      taken[c]++;
      out.push(i);
    }
  }
  return out.sort((a, b) => labels[a] - labels[b] || a - b);
}

/** How rows of `features` values can be drawn: an [h, w, c] image, a square grayscale image, or not at all. */
function drawable(shape: readonly number[]): { h: number; w: number; c: 1 | 3; note: string } | null {
  if (shape.length === 3 && (shape[2] === 1 || shape[2] === 3)) {
    return { h: shape[0], w: shape[1], c: shape[2], note: '' };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const side = Math.round(Math.sqrt(n));
  if (shape.length === 1 && side * side === n && side >= 4) {
    return { h: side, w: side, c: 1, note: `the ${count(n)} features of each row drawn as ${side} × ${side} grayscale` };
  }
  return null;
}

/** Bytes for drawing: uint8 as is; other values mapped linearly from [lo, hi] to 0…255. */
function toBytes(x: ArrayLike<number>, from: number, n: number, lo: number, hi: number, isBytes: boolean): Uint8Array {
  const out = new Uint8Array(n);
  const span = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < n; i++) {
    const v = x[from + i];
    out[i] = isBytes ? v : Math.max(0, Math.min(255, Math.round((v - lo) * span)));
  }
  return out;
}

function range(x: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }
  return x.length ? { min, max } : { min: 0, max: 0 };
}

/** Samples, shape and range from arrays already read (npy, CSV). */
function fromArrays(x: Uint8Array | Float32Array, labels: Int32Array, shape: number[], classNames: readonly string[]): Pick<DatasetPreview, 'samples' | 'samplesNote' | 'valueRange' | 'dtype' | 'shape'> {
  const features = shape.reduce((a, b) => a * b, 1);
  const r = range(x);
  const isBytes = x instanceof Uint8Array;
  const d = drawable(shape);
  const samples: PreviewImage[] = [];
  if (d) {
    for (const i of pickSamples(labels, classNames.length)) {
      samples.push(image(labels[i], toBytes(x, i * features, features, r.min, r.max, isBytes), d.h, d.w, d.c));
    }
  }
  const scaled = !isBytes && d ? ` (values mapped from [${r.min.toPrecision(4)}, ${r.max.toPrecision(4)}] to black…white)` : '';
  return {
    samples,
    samplesNote: d ? `${d.note || `${shape.join(' × ')} images`}${scaled}` : `Samples of shape [${shape.join(', ')}] are not images: no pictures to show.`,
    valueRange: { min: r.min, max: r.max, over: 'the training samples read' },
    dtype: isBytes ? 'uint8' : 'float32',
    shape,
  };
}

function classCounts(labels: Int32Array, names: readonly string[], test: Int32Array | null): PreviewClass[] {
  const tr = new Array<number>(names.length).fill(0);
  const te = new Array<number>(names.length).fill(0);
  for (const l of labels) {
    tr[l]++;
  }
  for (const l of test ?? []) {
    te[l]++;
  }
  return names.map((name, i) => ({ name, train: tr[i], test: test ? te[i] : null }));
}

async function imageFolderPreview(d: Partial<DataConfig>, abs: (p: string) => string): Promise<Omit<DatasetPreview, 'id' | 'target' | 'data' | 'summary'>> {
  const train = await scanClassFolders(abs(d.trainDir ?? ''), 'the training folder');
  const test = d.testDir ? await scanClassFolders(abs(d.testDir), 'the test folder', train.classes).catch(() => null) : null;
  const c: 1 | 3 = d.colorMode === 'grayscale' ? 1 : 3;
  const samples: PreviewImage[] = [];
  let min = 255;
  let max = 0;
  let shape: number[] = [];
  for (const [k, files] of train.files.slice(0, PREVIEW_MAX_CLASSES).entries()) {
    for (const f of files.slice(0, PREVIEW_PER_CLASS)) {
      let px: Uint8Array;
      let h: number;
      let w: number;
      try {
        const img = decodeImage(new Uint8Array(await readFileLimited(f, { what: 'image', maxBytes: 64 * 1024 * 1024 })));
        px = toChannels(img, c);
        [h, w] = [img.height, img.width];
      } catch (err) {
        throw new BadInputError(`${f} ${(err as Error).message}. Remove or replace that file.`, f);
      }
      if (d.imageSize) {
        px = resizeBilinear(px, h, w, c, d.imageSize[0], d.imageSize[1]);
        [h, w] = d.imageSize;
      }
      if (shape.length === 0) {
        shape = [h, w, c];
      }
      const r = range(px);
      min = Math.min(min, r.min);
      max = Math.max(max, r.max);
      samples.push(image(k, px, h, w, c));
    }
  }
  const counts = train.classes.map((name, i) => ({ name, train: train.files[i].length, test: test ? (test.files[test.classes.indexOf(name)]?.length ?? 0) : null }));
  return {
    classes: counts,
    countsOver: 'every image file',
    shape,
    dtype: 'uint8',
    valueRange: { min, max, over: `the ${samples.length} images shown` },
    samples,
    samplesNote: `${c === 1 ? 'grayscale' : 'RGB'} (data.colorMode "${c === 1 ? 'grayscale' : 'rgb'}")${d.imageSize ? `, resized to ${d.imageSize[0]} × ${d.imageSize[1]} (data.imageSize)` : ''}`,
  };
}

async function npyPreview(d: Partial<DataConfig>, abs: (p: string) => string): Promise<Omit<DatasetPreview, 'id' | 'target' | 'data' | 'summary'>> {
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    data: {
      ...DEFAULT_CONFIG.data,
      ...d,
      source: 'npy',
      ...(d.npzFile ? { npzFile: abs(d.npzFile) } : {}),
      ...Object.fromEntries((['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const).filter((k) => d[k]).map((k) => [k, abs(d[k] as string)])),
    },
  };
  const raw = await loadNpy(config);
  return { classes: classCounts(raw.train.labels, raw.classNames, raw.test.labels), countsOver: 'every sample', ...fromArrays(raw.train.x, raw.train.labels, [...raw.shape], raw.classNames) };
}

async function csvPreview(d: Partial<DataConfig>, abs: (p: string) => string): Promise<Omit<DatasetPreview, 'id' | 'target' | 'data' | 'summary'>> {
  const file = abs(d.trainFile ?? '');
  const size = (await fs.stat(file)).size;
  const head = await csvHeadSamples(file, d.header ?? DEFAULT_CONFIG.data.header, d.labelColumn ?? DEFAULT_CONFIG.data.labelColumn, CSV_PREVIEW_BYTES);
  const over = size > CSV_PREVIEW_BYTES ? `the first ${count(head.labels.length)} rows (${formatBytes(CSV_PREVIEW_BYTES)} of ${formatBytes(size)}; the run reads them all)` : `all ${count(head.labels.length)} rows`;
  const arrays = fromArrays(head.x, head.labels, [head.features], head.classNames);
  return { classes: classCounts(head.labels, head.classNames, null), countsOver: over, ...arrays, valueRange: { ...arrays.valueRange, over } };
}

let nextId = 1;

/** The preview of `suggestion` (paths in it relative to `base`). */
export async function previewDataset(suggestion: DataSuggestion, target: string, base: string): Promise<DatasetPreview> {
  const d = suggestion.data;
  const abs = (p: string): string => path.resolve(base, p);
  const body = d.source === 'image-folder' ? await imageFolderPreview(d, abs) : d.source === 'npy' ? await npyPreview(d, abs) : d.source === 'csv' ? await csvPreview(d, abs) : null;
  if (!body) {
    throw new BadInputError(`There is no preview for data.source "${d.source}".`, 'data.source');
  }
  return { id: `preview-${process.pid}-${nextId++}`, target, data: d, summary: suggestion.summary, ...body };
}
