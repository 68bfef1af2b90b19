/**
 * What Choose Dataset… shows in the panel before anything is written (issue 11): the classes
 * and their counts, a grid of sample images, the sample shape and the value range. Built by
 * the engine's data code (src/engine/data/preview.ts) in the extension host, drawn by the
 * panel (src/webview/datasetPreview.ts): pixels travel as numbers and are painted onto a
 * canvas, never as HTML or URLs.
 */
import type { DataConfig } from './config';

/** One sample image, at most PREVIEW_MAX_SIDE pixels on its longer side. */
export interface PreviewImage {
  /** Index into `DatasetPreview.classes`. */
  classIndex: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** width × height × channels values 0…255, row-major, channels last. */
  pixels: number[];
}

export interface PreviewClass {
  name: string;
  /** Training samples of this class (in the part read, see `countsOver`). */
  train: number;
  /** Test samples, when a test set was found and counted. */
  test: number | null;
}

export interface DatasetPreview {
  /** Names this preview: Confirm / Cancel carry it back, so a stale panel cannot confirm another one. */
  id: string;
  /** What was picked, relative to the workspace folder when inside it. */
  target: string;
  /** The `data` section that Confirm writes into model-optimizer.json. */
  data: Partial<DataConfig>;
  /** Plain sentences: what was found, what is missing. */
  summary: string[];
  classes: PreviewClass[];
  /** What the counts cover: 'all files', 'the first 2,345 rows (8 MiB of 133 MiB)'. */
  countsOver: string;
  /** Per-sample shape, NHWC without the batch: [28, 28, 1], [784]. */
  shape: number[];
  /** Element type of the files. */
  dtype: 'uint8' | 'float32';
  /** Smallest and largest value read, and over what ('the 40 samples shown', 'the training set'). */
  valueRange: { min: number; max: number; over: string };
  samples: PreviewImage[];
  /** How the samples are drawn, e.g. 'the 784 features drawn as 28 × 28 grayscale', or why there are none. */
  samplesNote: string;
}

/** Longest side of a preview image (larger images are scaled down for the panel). */
export const PREVIEW_MAX_SIDE = 64;
/** Sample images per class, and classes shown with samples. */
export const PREVIEW_PER_CLASS = 4;
export const PREVIEW_MAX_CLASSES = 12;

const isStr = (v: unknown, max = 10_000): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 0;

function isImage(v: unknown, classes: number): v is PreviewImage {
  const m = v as Partial<PreviewImage> | null;
  if (typeof m !== 'object' || m === null || !isCount(m.classIndex) || m.classIndex >= classes || (m.channels !== 1 && m.channels !== 3)) {
    return false;
  }
  const { width, height } = m;
  if (!isCount(width) || !isCount(height) || width < 1 || height < 1 || width > PREVIEW_MAX_SIDE || height > PREVIEW_MAX_SIDE) {
    return false;
  }
  return Array.isArray(m.pixels) && m.pixels.length === width * height * m.channels && m.pixels.every((p) => isCount(p) && p <= 255);
}

/**
 * Checks a preview before the panel draws it (the host builds it from the user's files): the
 * shapes the view relies on, bounded sizes, pixels 0…255 matching each image's size. Null = not one.
 */
export function parseDatasetPreview(v: unknown): DatasetPreview | null {
  const p = v as Partial<DatasetPreview> | null;
  if (typeof p !== 'object' || p === null || !isStr(p.id, 100) || !isStr(p.target) || !isStr(p.countsOver) || !isStr(p.samplesNote)) {
    return null;
  }
  if (!Array.isArray(p.summary) || !p.summary.every((s) => isStr(s)) || typeof p.data !== 'object' || p.data === null) {
    return null;
  }
  if (!Array.isArray(p.classes) || p.classes.length > 100_000 || !p.classes.every((c) => isStr(c?.name, 1000) && isCount(c.train) && (c.test === null || isCount(c.test)))) {
    return null;
  }
  if (!Array.isArray(p.shape) || !p.shape.every(isCount) || (p.dtype !== 'uint8' && p.dtype !== 'float32')) {
    return null;
  }
  const r = p.valueRange;
  if (!r || !isNum(r.min) || !isNum(r.max) || !isStr(r.over)) {
    return null;
  }
  const classes = p.classes.length;
  if (!Array.isArray(p.samples) || p.samples.length > PREVIEW_PER_CLASS * PREVIEW_MAX_CLASSES || !p.samples.every((s) => isImage(s, classes))) {
    return null;
  }
  return p as DatasetPreview;
}
