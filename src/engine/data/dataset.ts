/**
 * Image classification data kept as bytes: 60 000 MNIST images are 47 MB as uint8 and
 * 188 MB as float32, so scaling to [0, 1] happens per batch, never for the whole set.
 */
export interface ImageSet {
  /** count × features bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** Pixels per sample (784 for MNIST). */
  features: number;
  numClasses: number;
}

export interface SplitData {
  name: string;
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
}
