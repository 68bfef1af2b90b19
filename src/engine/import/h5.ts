/**
 * HDF5 access for the importers, on h5wasm: HDF5's own diagnostics become exceptions
 * (h5wasm's throwing error handler) instead of text on the terminal, every dataset's size is
 * checked before it is read, and Keras' name lists are read in all the forms Keras writes
 * (fixed or variable-length strings, bytes, the chunked `layer_names0, layer_names1…`).
 */
import { BadInputError } from '../errors';
import { loadH5wasm } from '../export/kerasH5';

export type H5 = Awaited<ReturnType<typeof loadH5wasm>>;
export type H5Group = InstanceType<H5['Group']>;
export type H5Dataset = InstanceType<H5['Dataset']>;
export type H5File = InstanceType<H5['File']>;

/** 2^28 values (1 GiB of float32) per dataset, 2^29 per file. */
export const MAX_DATASET_VALUES = 2 ** 28;
export const MAX_FILE_VALUES = 2 ** 29;

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

let quiet: Promise<H5> | null = null;

/** h5wasm with HDF5 errors thrown as exceptions (its default prints an error stack to stderr). */
export function h5Quiet(): Promise<H5> {
  quiet ??= loadH5wasm().then((h5) => {
    h5.Module.activate_throwing_error_handler();
    return h5;
  });
  return quiet;
}

/**
 * HDF5's exception text is a multi-line stack from the outermost call inwards; its last reason
 * is the specific one ("File has been truncated", not "Unable to open file").
 */
function h5Reason(err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const minors = [...text.matchAll(/minor: ([^\n]+)/g)];
  return minors.length ? minors[minors.length - 1][1].trim() : text.split('\n')[0].slice(0, 200);
}

/** Opens `file` read-only, runs `body`, always closes it. */
export async function withH5File<T>(file: string, where: string, body: (f: H5File, h5: H5) => T | Promise<T>): Promise<T> {
  const h5 = await h5Quiet();
  let f: H5File;
  try {
    f = new h5.File(file, 'r');
  } catch (err) {
    throw new BadInputError(`${where} cannot be opened as HDF5 (${h5Reason(err)}): the file is damaged or truncated. Save or copy the model again.`, where);
  }
  try {
    return await body(f, h5);
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    throw new BadInputError(`${where}: reading the HDF5 file failed (${h5Reason(err)}). The file is damaged or not a Keras model: save it again.`, where);
  } finally {
    f.close();
  }
}

function asString(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v instanceof Uint8Array) {
    return Buffer.from(v).toString('utf8');
  }
  return String(v);
}

/** An attribute as a string (JSON configs, versions), or undefined when absent. */
export function stringAttr(obj: { attrs: Record<string, { value: unknown }> }, name: string): string | undefined {
  const a = obj.attrs[name];
  if (!a) {
    return undefined;
  }
  const v = a.value;
  return Array.isArray(v) && v.length === 1 ? asString(v[0]) : asString(v);
}

/**
 * A Keras name list (layer_names, weight_names): one attribute, or chunks `name0, name1…`
 * when it was too large for one HDF5 attribute. An empty list may be stored as an empty
 * float array (numpy's default for []).
 */
export function nameList(obj: { attrs: Record<string, { value: unknown }> }, name: string, where: string): string[] {
  const attrs = obj.attrs;
  const parts: unknown[] = [];
  if (attrs[name]) {
    parts.push(attrs[name].value);
  } else {
    for (let i = 0; attrs[`${name}${i}`]; i++) {
      parts.push(attrs[`${name}${i}`].value);
    }
  }
  const out: string[] = [];
  for (const v of parts) {
    if (typeof v === 'string' || v instanceof Uint8Array) {
      out.push(asString(v));
    } else if (Array.isArray(v)) {
      out.push(...v.map(asString));
    } else if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 0) {
      // numpy's empty float array: an empty list.
    } else if (v !== null && v !== undefined) {
      throw new BadInputError(`${where}: the attribute '${name}' is not a list of names. Save the model again from Keras.`, where);
    }
  }
  return out;
}

/** Reads a float dataset as float32, after checking its type and size. */
export function readFloatDataset(ds: H5Dataset, where: string, budget: { values: number }): { shape: number[]; data: Float32Array } {
  const meta = ds.metadata;
  const shape = ds.shape ?? [];
  const n = shape.reduce((a, b) => a * b, 1);
  if (meta.type !== H5T_FLOAT && meta.type !== H5T_INTEGER) {
    throw new BadInputError(`${where} is not a numeric dataset. Save the model again from Keras.`, where);
  }
  if (meta.type === H5T_INTEGER && meta.size > 4) {
    throw new BadInputError(`${where} is a 64-bit integer dataset, which no supported layer has as a weight.`, where);
  }
  if (n > MAX_DATASET_VALUES || budget.values + n > MAX_FILE_VALUES) {
    throw new BadInputError(`${where} has ${n} values; Model Optimizer reads models of up to ${MAX_FILE_VALUES} weights (${MAX_DATASET_VALUES} per tensor).`, where);
  }
  budget.values += n;
  const v = ds.value;
  if (!ArrayBuffer.isView(v) || (v as unknown as ArrayLike<number>).length !== n) {
    throw new BadInputError(`${where} could not be read as ${n} numbers. Save the model again from Keras.`, where);
  }
  return { shape, data: v instanceof Float32Array ? v : Float32Array.from(v as unknown as ArrayLike<number>) };
}
