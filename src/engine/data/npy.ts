/**
 * Source 'npy': NumPy arrays, as `.npy` files (trainImages, trainLabels, testImages,
 * testLabels, optionally valImages/valLabels) or one `.npz` (data.npzFile) holding x_train,
 * y_train, x_test, y_test (and x_val, y_val when present), the way keras.datasets caches them.
 *
 * Samples: uint8 (normalize defaults to "scale") or float32/float64 (read as float32, default
 * "none"), any per-sample shape; (N, H, W) arrays get a channel axis, [H, W, 1]. Labels: any
 * integer type, or strings ('<U…', '|S…'). Little-endian, C order only: a Fortran-order
 * array or another dtype is an error saying how to convert it.
 */
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { LIMITS, readFileLimited } from '../util/safeRead';
import { ZipReader } from '../util/zip';
import { indexClassNames } from './dataset';
import { inferClasses } from './mnist';
import type { RawData, RawSet } from './prepare';

export interface NpyArray {
  /** '|u1', '<f4', '<i8', '<U5', … as in the header. */
  descr: string;
  shape: number[];
  /** The payload, element type decoded: numbers, or strings for '<U'/'|S' arrays. */
  data: Uint8Array | Float32Array | Float64Array | Int32Array | string[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function fail(file: string, problem: string, fix: string): never {
  throw new BadInputError(`${file}: ${problem}. ${fix}`, file);
}

/** Reads the header dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(file, `has a .npy header without descr, fortran_order and shape (${JSON.stringify(text.slice(0, 80))})`, 'Save the array again with numpy.save');
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) {
    fail(file, `has an unreadable shape (${shapeText})`, 'Save the array again with numpy.save');
  }
  return { descr, fortran: fortran === 'True', shape };
}

/** Parses a .npy file's bytes (format versions 1.0, 2.0, 3.0). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail(file, 'is not a .npy file (no \\x93NUMPY signature)', 'Save the array with numpy.save(file, array)');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : major === 2 || major === 3 ? (bytes.length >= 12 ? view.getUint32(8, true) : Infinity) : NaN;
  const start = major === 1 ? 10 : 12;
  if (!Number.isFinite(headerLen)) {
    fail(file, `has .npy format version ${major}, which is not known`, 'Save the array with numpy.save');
  }
  if (start + headerLen > bytes.length) {
    fail(file, 'is cut short inside its header', 'Save the array again; the file is truncated');
  }
  const header = parseHeader(Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1'), file);
  const { descr, shape } = header;
  const count = shape.reduce((a, b) => a * b, 1);
  if (header.fortran && shape.filter((d) => d > 1).length > 1) {
    fail(file, `is stored in Fortran (column-major) order`, 'Save it in C order: numpy.save(file, numpy.ascontiguousarray(array))');
  }
  const body = bytes.subarray(start + headerLen);
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) {
    fail(file, `has dtype ${descr}, which cannot be read (structured or object arrays are not supported)`, 'Save a plain numeric array: uint8 or float32 samples, integer or string labels');
  }
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  if (order === '>' && size > 1) {
    fail(file, `has big-endian dtype ${descr}`, "Convert it to little-endian: array.astype(array.dtype.newbyteorder('<'))");
  }
  const elemBytes = kind === 'U' ? size * 4 : size;
  if (body.length !== count * elemBytes) {
    fail(file, `holds ${body.length} bytes of data but its header declares ${shape.join(' × ') || 'a scalar'} of ${descr} = ${count * elemBytes} bytes`, 'Save the array again; the file is truncated or corrupted');
  }
  // Copy into an aligned buffer: a typed-array view needs its byte offset to be a multiple of the element size.
  const aligned = (n: number): ArrayBuffer => body.buffer.slice(body.byteOffset, body.byteOffset + n * elemBytes) as ArrayBuffer;
  switch (`${kind}${size}`) {
    case 'u1':
      return { descr, shape, data: new Uint8Array(aligned(count)) };
    case 'f4':
      return { descr, shape, data: new Float32Array(aligned(count)) };
    case 'f8':
      return { descr, shape, data: new Float64Array(aligned(count)) };
    case 'i1':
      return { descr, shape, data: Int32Array.from(new Int8Array(aligned(count))) };
    case 'i2':
      return { descr, shape, data: Int32Array.from(new Int16Array(aligned(count))) };
    case 'u2':
      return { descr, shape, data: Int32Array.from(new Uint16Array(aligned(count))) };
    case 'i4':
      return { descr, shape, data: new Int32Array(aligned(count)) };
    case 'u4':
    case 'i8':
    case 'u8': {
      const out = new Int32Array(count);
      const dv = new DataView(body.buffer, body.byteOffset, count * size);
      for (let i = 0; i < count; i++) {
        const v = size === 4 ? dv.getUint32(i * 4, true) : Number(kind === 'i' ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true));
        out[i] = v > 0x7fffffff ? -1 : v < -0x80000000 ? -1 : v;
      }
      return { descr, shape, data: out };
    }
    default:
      if (kind === 'U' || kind === 'S') {
        const out: string[] = [];
        for (let i = 0; i < count; i++) {
          const cell = body.subarray(i * elemBytes, (i + 1) * elemBytes);
          const s = kind === 'S' ? Buffer.from(cell).toString('latin1') : decodeUtf32(cell);
          out.push(s.replace(/\0+$/, ''));
        }
        return { descr, shape, data: out };
      }
      fail(file, `has dtype ${descr}, which is not supported`, 'Save samples as uint8 or float32 (array.astype("float32")) and labels as integers or strings');
  }
}

function decodeUtf32(cell: Uint8Array): string {
  let s = '';
  const dv = new DataView(cell.buffer, cell.byteOffset, cell.byteLength);
  for (let i = 0; i + 4 <= cell.length; i += 4) {
    const cp = dv.getUint32(i, true);
    if (cp === 0) {
      break;
    }
    s += String.fromCodePoint(Math.min(cp, 0x10ffff));
  }
  return s;
}

/**
 * The members of a .npz (a zip archive, stored or deflated, zip64 sizes as numpy writes them),
 * by name without '.npy', read by the one bounds-checked zip reader (util/zip.ts): sizes capped
 * at `maxBytes` before inflating, CRC-32 checked.
 */
export function readNpz(buf: Uint8Array, file: string, maxBytes: number = LIMITS.data): Map<string, Uint8Array> {
  const zip = new ZipReader(buf, file, 'Save it again with numpy.savez(file, x_train=…, y_train=…, x_test=…, y_test=…).', '.npz (zip) archive');
  const out = new Map<string, Uint8Array>();
  for (const entry of zip.entries) {
    out.set(entry.name.replace(/\.npy$/, ''), zip.read(entry, maxBytes, 'Split the data into smaller arrays.'));
  }
  return out;
}

interface NamedArray {
  array: NpyArray;
  /** 'x.npz:x_train' or the .npy path. */
  where: string;
}

function samples(a: NamedArray): { x: Uint8Array | Float32Array; shape: number[]; count: number } {
  const { array, where } = a;
  if (array.shape.length < 2) {
    fail(where, `has shape (${array.shape.join(', ')}), but samples need at least 2 axes (samples first, then the features)`, 'Reshape it to (count, features) or (count, height, width[, channels])');
  }
  const [count, ...rest] = array.shape;
  const shape = rest.length === 2 ? [...rest, 1] : rest;
  const d = array.data;
  if (d instanceof Uint8Array || d instanceof Float32Array) {
    return { x: d, shape, count };
  }
  if (d instanceof Float64Array) {
    return { x: Float32Array.from(d), shape, count };
  }
  return fail(where, `has dtype ${array.descr}; samples must be uint8 or float32 (float64 is converted)`, 'Convert it: array.astype("float32") (or "uint8" for 0…255 pixels)');
}

/** Label cells as integers or strings, checked to be one per sample. */
function labelCells(a: NamedArray, count: number, samplesWhere: string): number[] | string[] {
  const { array, where } = a;
  const n = array.shape.reduce((x, y) => x * y, 1);
  if (array.shape.length > 2 || (array.shape.length === 2 && array.shape[1] !== 1) || n !== count) {
    fail(where, `has shape (${array.shape.join(', ')}) but ${samplesWhere} holds ${count} samples`, 'Give one integer or string label per sample, shape (count,)');
  }
  const d = array.data;
  if (Array.isArray(d)) {
    return d;
  }
  if (d instanceof Float32Array || d instanceof Float64Array) {
    const at = d.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (at >= 0) {
      fail(where, `label ${d[at]} at index ${at} is not a class index (a whole number ≥ 0)`, 'Store labels as integers (array.astype("int64")) or strings; one-hot labels must be converted with argmax(axis=1)');
    }
  }
  return Array.from(d as ArrayLike<number>);
}

function classIndices(cells: number[] | string[], classes: readonly string[], where: string): Int32Array {
  const out = new Int32Array(cells.length);
  const index = new Map(classes.map((c, i) => [c, i]));
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    const k = typeof c === 'number' ? (c >= 0 && c < classes.length ? c : undefined) : index.get(c);
    if (k === undefined) {
      fail(where, `label ${JSON.stringify(c)} at index ${i} is not one of the ${classes.length} training classes (${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', …' : ''})`, 'Correct the label, or add samples of that class to the training set');
    }
    out[i] = k;
  }
  return out;
}

function classesOf(cells: number[] | string[], where: string): string[] {
  if (cells.length > 0 && typeof cells[0] === 'number') {
    const values = cells as number[];
    const k = inferClasses(values);
    const at = values.findIndex((v) => v >= k || v < 0);
    if (at >= 0) {
      fail(
        where,
        `label ${values[at]} at index ${at} is out of range: ${k === 0 ? 'no sample has label 0 (labels must start at 0)' : `the other labels make ${k} classes (0…${k - 1}) and no sample has label ${k}`}`,
        'Correct that label (an out-of-range label would silently add classes to the model)',
      );
    }
    return indexClassNames(k);
  }
  return [...new Set(cells as string[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function readNpyFile(file: string): Promise<NamedArray> {
  const bytes = await readFileLimited(file, { what: '.npy file', maxBytes: LIMITS.data });
  return { array: parseNpy(bytes, file), where: file };
}

export async function loadNpy(config: RunConfig): Promise<RawData> {
  const d = config.data;
  let pairs: { x: NamedArray; y: NamedArray }[];
  let name: string;
  if (d.npzFile) {
    const file = path.resolve(d.npzFile);
    const members = readNpz(await readFileLimited(file, { what: '.npz file', maxBytes: LIMITS.data }), file);
    const get = (key: string): NamedArray => {
      const m = members.get(key);
      if (!m) {
        fail(file, `has no array ${key} (it holds ${[...members.keys()].join(', ') || 'nothing'})`, 'Save it with numpy.savez(file, x_train=…, y_train=…, x_test=…, y_test=…), the names keras.datasets uses');
      }
      const where = `${file}:${key}`;
      return { array: parseNpy(m, where), where };
    };
    pairs = [
      { x: get('x_train'), y: get('y_train') },
      { x: get('x_test'), y: get('y_test') },
      ...(members.has('x_val') && members.has('y_val') ? [{ x: get('x_val'), y: get('y_val') }] : []),
    ];
    name = path.basename(file);
  } else {
    const need = (v: string | undefined, key: string): string => {
      if (!v) {
        throw new BadInputError(`data.source is 'npy' but data.${key} is not set. Set it to a .npy file, or set data.npzFile to one .npz.`, `data.${key}`);
      }
      return path.resolve(v);
    };
    const files = [
      [need(d.trainImages, 'trainImages'), need(d.trainLabels, 'trainLabels')],
      [need(d.testImages, 'testImages'), need(d.testLabels, 'testLabels')],
      ...(d.valImages && d.valLabels ? [[path.resolve(d.valImages), path.resolve(d.valLabels)]] : []),
    ];
    pairs = [];
    for (const [x, y] of files) {
      pairs.push({ x: await readNpyFile(x), y: await readNpyFile(y) });
    }
    name = path.basename(files[0][0]);
  }
  const parts = pairs.map((p) => ({ ...samples(p.x), p }));
  const [train] = parts;
  for (const part of parts.slice(1)) {
    if (part.shape.join(',') !== train.shape.join(',')) {
      fail(part.p.x.where, `holds samples of shape (${part.shape.join(', ')}) but ${train.p.x.where} holds (${train.shape.join(', ')})`, 'Give every split samples of the same shape');
    }
    if ((part.x instanceof Uint8Array) !== (train.x instanceof Uint8Array)) {
      fail(part.p.x.where, `has dtype ${part.p.x.array.descr} but ${train.p.x.where} has ${train.p.x.array.descr}`, 'Store every split with the same dtype');
    }
  }
  const trainCells = labelCells(train.p.y, train.count, train.p.x.where);
  const classes = classesOf(trainCells, train.p.y.where);
  const sets: RawSet[] = parts.map((part, i) => ({
    x: part.x,
    labels: classIndices(i === 0 ? trainCells : labelCells(part.p.y, part.count, part.p.x.where), classes, part.p.y.where),
    count: part.count,
    source: part.p.x.where,
  }));
  return { name, shape: train.shape, classNames: classes, train: sets[0], test: sets[1], ...(sets[2] ? { validation: sets[2] } : {}) };
}
