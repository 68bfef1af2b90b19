/**
 * Source 'csv': one sample per row, one column holds the label (data.labelColumn: a header
 * name or a 0-based index, default "label"), every other column is a feature. The header row
 * is optional (data.header: "auto" takes the first row as a header when the label column is
 * named in it, or when it has a non-number where the second row has a number).
 *
 * Features are read as float32 (the source dtype is float: normalize defaults to "none").
 * Labels are integers (class i = label i; the classes are 0…K−1 for the K the training labels
 * imply) or strings (classes = the sorted distinct training labels, names kept). Every cell is
 * validated: an empty cell, a row with another number of columns or a cell that is not a
 * number is an error naming the file, the line and the column; so is a test label that is not
 * one of the training classes.
 */
import * as path from 'node:path';
import type { RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { openRegularFile, readAt, readTextLimited } from '../util/safeRead';
import { indexClassNames } from './dataset';
import { inferClasses } from './mnist';
import type { RawData, RawSet } from './prepare';

/** A decimal number as Python's float() and NumPy's loadtxt read it (no hex, no empty, no 'nan'). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^\+?\d+$/;

/** Splits one CSV line (RFC 4180 quotes, "" inside quotes; no line breaks inside a cell). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  if (!line.includes('"')) {
    return line.split(delimiter).map((c) => c.trim());
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur.trim());
  return out;
}

/** V8 cannot hold one string much larger than this; bigger data sets belong in .npy files. */
const MAX_CSV_BYTES = 512 * 1024 * 1024;

interface Header {
  file: string;
  /** Column names (header, or 'column 0', …). */
  columns: string[];
  hasHeader: boolean;
}

/** Calls `fn` with each non-empty line and its 1-based number, without splitting the whole text at once. */
function forEachLine(text: string, fn: (line: string, n: number) => boolean | void): void {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let n = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) {
      end = text.length;
    }
    n++;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) {
      line = line.slice(0, -1);
    }
    pos = end + 1;
    if (line.trim() !== '' && fn(line, n) === false) {
      return;
    }
  }
}

function readHeader(text: string, file: string, header: 'auto' | boolean, labelColumn: string | number): Header {
  const firstTwo: string[][] = [];
  forEachLine(text, (line) => {
    firstTwo.push(splitCsvLine(line));
    return firstTwo.length < 2;
  });
  if (firstTwo.length === 0) {
    throw new BadInputError(`${file} is empty. Give a CSV file with one sample per row.`, file);
  }
  const [first, second] = firstTwo;
  const hasHeader =
    header === 'auto'
      ? (typeof labelColumn === 'string' && first.includes(labelColumn)) || first.some((c, j) => !NUMBER.test(c) && (second === undefined || NUMBER.test(second[j] ?? '')))
      : header;
  if (hasHeader && second === undefined) {
    throw new BadInputError(`${file} has a header but no data rows. Add the samples, one per row.`, file);
  }
  return { file, columns: hasHeader ? first : first.map((_, j) => `column ${j}`), hasHeader };
}

function labelIndex(t: Header, labelColumn: string | number): number {
  if (typeof labelColumn === 'number') {
    if (labelColumn >= t.columns.length) {
      throw new BadInputError(`data.labelColumn is ${labelColumn} but ${t.file} has ${t.columns.length} columns (0…${t.columns.length - 1}). Set data.labelColumn to the 0-based index of the label column.`, 'data.labelColumn');
    }
    return labelColumn;
  }
  if (!t.hasHeader) {
    throw new BadInputError(`data.labelColumn is "${labelColumn}" but ${t.file} has no header row to find it in. Set data.labelColumn to the 0-based index of the label column (e.g. 0), or add a header row.`, 'data.labelColumn');
  }
  const j = t.columns.indexOf(labelColumn);
  if (j < 0) {
    throw new BadInputError(`${t.file} has no column "${labelColumn}" (its columns: ${t.columns.slice(0, 8).join(', ')}${t.columns.length > 8 ? ', …' : ''}). Set data.labelColumn to the label column's name or 0-based index.`, 'data.labelColumn');
  }
  return j;
}

interface ParsedCsv {
  x: Float32Array;
  /** Label cells as written. */
  labels: string[];
  lines: number[];
  columns: string[];
  labelAt: number;
  file: string;
}

function readRows(text: string, t: Header, labelAt: number): ParsedCsv {
  const width = t.columns.length;
  const features = width - 1;
  if (features < 1) {
    throw new BadInputError(`${t.file} has only the label column. Add feature columns.`, t.file);
  }
  let x = new Float32Array(1024 * features);
  const labels: string[] = [];
  const lines: number[] = [];
  const colName = (j: number): string => (t.hasHeader ? `column ${j} ("${t.columns[j]}")` : `column ${j}`);
  let skipHeader = t.hasHeader;
  let r = 0;
  forEachLine(text, (lineText, line) => {
    if (skipHeader) {
      skipHeader = false;
      return;
    }
    const row = splitCsvLine(lineText);
    if (row.length !== width) {
      throw new BadInputError(`${t.file}, line ${line}: ${row.length} cells, but the ${t.hasHeader ? 'header has' : 'first row has'} ${width}. Fix the row (a missing or extra comma) so every row has ${width} cells.`, t.file);
    }
    if ((r + 1) * features > x.length) {
      const bigger = new Float32Array(x.length * 2);
      bigger.set(x);
      x = bigger;
    }
    let k = r * features;
    for (let j = 0; j < width; j++) {
      const cell = row[j];
      if (cell === '') {
        throw new BadInputError(`${t.file}, line ${line}, ${colName(j)}: the value is missing. Fill it in or remove the row (missing values are not imputed).`, t.file);
      }
      if (j === labelAt) {
        labels.push(cell);
        continue;
      }
      const v = Number(cell);
      if (!NUMBER.test(cell)) {
        throw new BadInputError(`${t.file}, line ${line}, ${colName(j)}: "${cell.length > 20 ? `${cell.slice(0, 20)}…` : cell}" is not a number. Every column except the label (data.labelColumn) must hold numbers.`, t.file);
      }
      if (Math.abs(v) > 3.4e38) {
        throw new BadInputError(`${t.file}, line ${line}, ${colName(j)}: ${cell} is outside the float32 range. Rescale the column.`, t.file);
      }
      x[k++] = v;
    }
    lines.push(line);
    r++;
  });
  return { x: x.slice(0, r * features), labels, lines, columns: t.columns, labelAt, file: t.file };
}

/** Class names and per-row class indices: integer labels 0…K−1, or sorted distinct strings. */
function trainClasses(p: ParsedCsv): string[] {
  if (p.labels.every((l) => INTEGER.test(l))) {
    const values = p.labels.map(Number);
    const k = inferClasses(values);
    const at = values.findIndex((v) => v >= k);
    if (at >= 0) {
      throw new BadInputError(
        `${p.file}, line ${p.lines[at]}: label ${values[at]} is out of range: ${k === 0 ? 'no row has label 0 (integer labels must start at 0)' : `the other labels make ${k} classes (0…${k - 1}) and no row has label ${k}`}. Correct that label, or use string labels.`,
        p.file,
      );
    }
    return indexClassNames(k);
  }
  return [...new Set(p.labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function toIndices(p: ParsedCsv, classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const out = new Int32Array(p.labels.length);
  for (let r = 0; r < p.labels.length; r++) {
    // Integer labels may be written 01 or +1: compare by value.
    const key = INTEGER.test(p.labels[r]) && classes[0] === '0' ? String(Number(p.labels[r])) : p.labels[r];
    const i = index.get(key);
    if (i === undefined) {
      throw new BadInputError(
        `${p.file}, line ${p.lines[r]}: label "${p.labels[r]}" is not one of the ${classes.length} training classes (${classes.slice(0, 10).join(', ')}${classes.length > 10 ? ', …' : ''}). Correct the label, or add samples of that class to the training file.`,
        p.file,
      );
    }
    out[r] = i;
  }
  return out;
}

async function readCsv(file: string, header: 'auto' | boolean, labelColumn: string | number, train?: ParsedCsv): Promise<ParsedCsv> {
  const text = await readTextLimited(file, {
    what: 'CSV file',
    maxBytes: MAX_CSV_BYTES,
    tooLargeFix: 'Save the data as NumPy .npy/.npz (data.source "npy"), which has no such limit, or split the file.',
  });
  const t = readHeader(text, file, header, labelColumn);
  if (train) {
    if (t.columns.length !== train.columns.length) {
      throw new BadInputError(`${file} has ${t.columns.length} columns but the training file has ${train.columns.length}. Use the same columns in every CSV file.`, file);
    }
    if (t.hasHeader && train.columns.join(',') !== t.columns.join(',')) {
      const j = t.columns.findIndex((c, i) => c !== train.columns[i]);
      throw new BadInputError(`${file}: column ${j} is "${t.columns[j]}" but in the training file it is "${train.columns[j]}". Use the same columns, in the same order, in every CSV file.`, file);
    }
  }
  return readRows(text, t, train ? train.labelAt : labelIndex(t, labelColumn));
}

export async function loadCsv(config: RunConfig): Promise<RawData> {
  const d = config.data;
  const need = (v: string | undefined, key: string): string => {
    if (!v) {
      throw new BadInputError(`data.source is 'csv' but data.${key} is not set. Set it to the path of a CSV file.`, `data.${key}`);
    }
    return path.resolve(v);
  };
  const trainFile = need(d.trainFile, 'trainFile');
  const testFile = need(d.testFile, 'testFile');
  const train = await readCsv(trainFile, d.header, d.labelColumn);
  const classes = trainClasses(train);
  const test = await readCsv(testFile, d.header, d.labelColumn, train);
  const val = d.valFile ? await readCsv(path.resolve(d.valFile), d.header, d.labelColumn, train) : undefined;
  const features = train.columns.length - 1;
  const set = (p: ParsedCsv): RawSet => ({ x: p.x, labels: toIndices(p, classes), count: p.labels.length, source: p.file });
  return {
    name: path.basename(trainFile),
    shape: [features],
    classNames: classes,
    train: set(train),
    test: set(test),
    ...(val ? { validation: set(val) } : {}),
  };
}

/**
 * The first `maxBytes` of a CSV file parsed as the loader parses it (whole rows only), for a
 * preview: features, class indices (classes of the rows read) and names.
 */
export async function csvHeadSamples(file: string, header: 'auto' | boolean, labelColumn: string | number, maxBytes: number): Promise<{ x: Float32Array; labels: Int32Array; classNames: string[]; features: number }> {
  // Size cap of the whole file as for a run; only the first maxBytes are read.
  const { fh, size } = await openRegularFile(file, { what: 'CSV file', maxBytes: Number.MAX_SAFE_INTEGER });
  let text: string;
  try {
    const n = Math.min(size, maxBytes);
    text = (await readAt(fh, n, 0)).toString('utf8');
    if (n < size) {
      // Whole rows only: cut after the last line break read.
      text = text.slice(0, text.lastIndexOf('\n') + 1);
    }
  } finally {
    await fh.close();
  }
  const t = readHeader(text, file, header, labelColumn);
  const parsed = readRows(text, t, labelIndex(t, labelColumn));
  let classes: string[];
  try {
    classes = trainClasses(parsed);
  } catch {
    // The rows read may lack some integer classes the whole file has: name those that are there.
    classes = [...new Set(parsed.labels)].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1));
  }
  return { x: parsed.x, labels: toIndices(parsed, classes), classNames: classes, features: t.columns.length - 1 };
}
