/**
 * What `data` section a picked folder or file stands for (VS Code's Choose Dataset… and
 * Use as Training Data): a folder of class subfolders → image-folder, a .csv → csv, a .npz or
 * x_train.npy → npy, with the test (and validation) counterpart found beside it by the usual
 * names (train/ + test/ + val/, train.csv + test.csv, x_train.npy + x_test.npy …). The summary
 * lines describe what was found (classes and image counts, columns), for the user to confirm.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DataConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { scanClassFolders } from './classFolders';

export interface DataSuggestion {
  /** The fields to write into `data` (paths relative to `base` when inside it). */
  data: Partial<DataConfig>;
  summary: string[];
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function isFile(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isFile() ?? false;
}

/** The first existing sibling of `p` among `names` (same folder). */
async function sibling(p: string, names: string[], dir: boolean): Promise<string | undefined> {
  for (const n of names) {
    const q = path.join(path.dirname(p), n);
    if (q !== p && (dir ? await isDir(q) : await isFile(q))) {
      return q;
    }
  }
  return undefined;
}

const TEST_NAMES = ['test', 'testing', 'val', 'validation'];

/**
 * Whether an image file is stored as grayscale, from its header alone: a PNG's colour type
 * (0 or 4) or a JPEG frame with one component. Unknown = false (Keras' default, RGB, stays).
 */
export async function isGrayscale(file: string): Promise<boolean> {
  let head: Buffer;
  try {
    const fh = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
  if (head.length >= 26 && head.readUInt32BE(0) === 0x89504e47) {
    return head[25] === 0 || head[25] === 4;
  }
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) {
    // Walk the markers to the first start-of-frame (SOF0…SOF15 except DHT/JPG/DAC): its component count.
    let o = 2;
    while (o + 9 < head.length && head[o] === 0xff) {
      const marker = head[o + 1];
      const len = head.readUInt16BE(o + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return head[o + 9] === 1;
      }
      o += 2 + len;
    }
  }
  return false;
}

export async function suggestDataConfig(picked: string, base: string): Promise<DataSuggestion> {
  const abs = path.resolve(picked);
  const rel = (p: string): string => {
    const r = path.relative(base, p);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r.split(path.sep).join('/') : p;
  };
  if (await isDir(abs)) {
    // A folder that holds train/ and test/ is the data set's root.
    const trainDir = (await isDir(path.join(abs, 'train'))) ? path.join(abs, 'train') : abs;
    const train = await scanClassFolders(trainDir, 'the training folder');
    const testDir = await sibling(trainDir, TEST_NAMES, true);
    const valDir = testDir && path.basename(testDir).startsWith('test') ? await sibling(trainDir, ['val', 'validation'], true) : undefined;
    const counts = train.classes.map((c, i) => `${c} (${train.files[i].length})`);
    const total = train.files.reduce((a, f) => a + f.length, 0);
    const summary = [`${total} training images in ${train.classes.length} classes: ${counts.slice(0, 12).join(', ')}${counts.length > 12 ? ', …' : ''}`];
    if (testDir) {
      const test = await scanClassFolders(testDir, 'the test folder', train.classes);
      summary.push(`${test.files.reduce((a, f) => a + f.length, 0)} test images in ${rel(testDir)}`);
    } else {
      summary.push('No test folder found beside it (test/): set data.testDir before running.');
    }
    const gray = await isGrayscale(train.files[0][0]);
    if (gray) {
      summary.push('The images are grayscale: colorMode "grayscale" (1 channel).');
    }
    return {
      data: {
        source: 'image-folder',
        trainDir: rel(trainDir),
        ...(testDir ? { testDir: rel(testDir) } : {}),
        ...(valDir ? { valDir: rel(valDir) } : {}),
        ...(gray ? { colorMode: 'grayscale' } : {}),
        validation: 'stratified',
      },
      summary,
    };
  }
  const ext = path.extname(abs).toLowerCase();
  if (ext === '.csv') {
    const name = path.basename(abs);
    const testFile = /train/i.test(name) ? await sibling(abs, [name.replace(/train/i, 'test'), name.replace(/train/i, 'val')], false) : undefined;
    return {
      data: { source: 'csv', trainFile: rel(abs), ...(testFile ? { testFile: rel(testFile) } : {}), validation: 'stratified' },
      summary: [`CSV training file ${name}${testFile ? `, test file ${path.basename(testFile)}` : '; no test file found beside it (test.csv): set data.testFile before running'}`],
    };
  }
  if (ext === '.npz') {
    return { data: { source: 'npy', npzFile: rel(abs) }, summary: [`NumPy archive ${path.basename(abs)} (x_train, y_train, x_test, y_test)`] };
  }
  if (ext === '.npy') {
    const dir = path.dirname(abs);
    const names = { trainImages: 'x_train.npy', trainLabels: 'y_train.npy', testImages: 'x_test.npy', testLabels: 'y_test.npy' };
    const found: Partial<DataConfig> = { source: 'npy' };
    for (const [key, n] of Object.entries(names)) {
      if (await isFile(path.join(dir, n))) {
        (found as Record<string, string>)[key] = rel(path.join(dir, n));
      }
    }
    const present = Object.entries(names).filter(([key]) => key in found).map(([, n]) => n);
    return { data: found, summary: [`NumPy arrays in ${rel(dir) || '.'}: ${present.join(', ') || 'none of x_train.npy, y_train.npy, x_test.npy, y_test.npy'}`] };
  }
  throw new BadInputError(`${abs} is not a data set Model Optimizer reads. Pick a folder with one subfolder per class, a .csv file, a .npz archive or a .npy array.`, abs);
}
