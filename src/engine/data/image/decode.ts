/**
 * Image decoding for image-folder data sets, in pure JavaScript (pngjs, jpeg-js) so the .vsix
 * stays platform-neutral: bytes → channels-last uint8 pixels in the requested colour mode,
 * optionally resized bilinearly the way tf.image.resize does (half-pixel centres, no
 * antialiasing), which is what Keras' image_dataset_from_directory applies.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Largest image accepted, in pixels: a header may claim 65 535² before a byte is inflated. */
export const MAX_PIXELS = 40_000_000;

export type ImageFormat = 'png' | 'jpeg';

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, width × height × 4. */
  rgba: Uint8Array;
}

/** An image the decoder refused, with the reason in words (the caller names the file). */
export class ImageDecodeError extends Error {}

/** PNG or JPEG by signature (the extension can lie); null = neither. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return 'png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'jpeg';
  }
  return null;
}

/** Width and height from a PNG's IHDR chunk, checked before anything is inflated. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) {
    throw new ImageDecodeError('is cut short inside its PNG header');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16, false), height: view.getUint32(20, false) };
}

export function decodeImage(bytes: Uint8Array): DecodedImage {
  const format = sniffFormat(bytes);
  if (format === 'png') {
    const { width, height } = pngSize(bytes);
    if (width * height > MAX_PIXELS || width === 0 || height === 0) {
      throw new ImageDecodeError(`declares ${width}×${height} pixels (at most ${MAX_PIXELS / 1e6} megapixels are read)`);
    }
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (err) {
      throw new ImageDecodeError(`is not a readable PNG (${(err as Error).message})`);
    }
  }
  if (format === 'jpeg') {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 512 });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (err) {
      throw new ImageDecodeError(`is not a readable JPEG (${(err as Error).message})`);
    }
  }
  throw new ImageDecodeError('is neither a PNG nor a JPEG (by its first bytes)');
}

/**
 * RGBA → `channels` (1 = grayscale, 3 = RGB) channels-last; alpha is dropped as TensorFlow's
 * decoders do. Grayscale from colour uses the ITU-R BT.601 luma weights (what libjpeg and
 * tf.image.rgb_to_grayscale use); a pixel with R = G = B keeps its value exactly.
 */
export function toChannels(img: DecodedImage, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height;
  const src = img.rgba;
  const out = new Uint8Array(n * channels);
  if (channels === 3) {
    for (let p = 0; p < n; p++) {
      out[p * 3] = src[p * 4];
      out[p * 3 + 1] = src[p * 4 + 1];
      out[p * 3 + 2] = src[p * 4 + 2];
    }
  } else {
    for (let p = 0; p < n; p++) {
      const r = src[p * 4];
      const g = src[p * 4 + 1];
      const b = src[p * 4 + 2];
      out[p] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  return out;
}

/**
 * Bilinear resize of channels-last uint8 pixels as tf.image.resize(method='bilinear',
 * antialias=False) computes it (half-pixel centres: x_in = (x_out + 0.5)·in/out − 0.5, the
 * neighbours clamped to the edge), rounded to the nearest byte (Keras keeps float32; the
 * difference is at most 0.5/255 after scaling).
 */
export function resizeBilinear(src: Uint8Array, h: number, w: number, c: number, outH: number, outW: number, out: Uint8Array = new Uint8Array(outH * outW * c)): Uint8Array {
  if (h === outH && w === outW) {
    out.set(src.subarray(0, h * w * c));
    return out;
  }
  const sy = h / outH;
  const sx = w / outW;
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  const fx = new Float64Array(outW);
  for (let x = 0; x < outW; x++) {
    const inX = (x + 0.5) * sx - 0.5;
    const fl = Math.floor(inX);
    x0[x] = Math.max(fl, 0);
    x1[x] = Math.min(Math.ceil(inX), w - 1);
    fx[x] = inX - fl;
  }
  for (let y = 0; y < outH; y++) {
    const inY = (y + 0.5) * sy - 0.5;
    const fl = Math.floor(inY);
    const y0 = Math.max(fl, 0);
    const y1 = Math.min(Math.ceil(inY), h - 1);
    const fy = inY - fl;
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < c; ch++) {
        const tl = src[(y0 * w + x0[x]) * c + ch];
        const tr = src[(y0 * w + x1[x]) * c + ch];
        const bl = src[(y1 * w + x0[x]) * c + ch];
        const br = src[(y1 * w + x1[x]) * c + ch];
        const top = tl + (tr - tl) * fx[x];
        const bottom = bl + (br - bl) * fx[x];
        out[(y * outW + x) * c + ch] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return out;
}
