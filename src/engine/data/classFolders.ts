/**
 * The class folders of an image-folder data set (Keras' image_dataset_from_directory layout):
 * sorted subfolder names are the classes; PNG and JPEG files in them (and below) the samples.
 * No decoding here, so the extension can preview a folder without the image decoders.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { BadInputError } from '../errors';

const IMAGE_EXT = /\.(png|jpe?g)$/i;
const MAX_FILES = 5_000_000;

export interface ClassFiles {
  /** Sorted class folder names. */
  classes: string[];
  /** Files per class, sorted, in class order. */
  files: string[][];
}

async function readDir(dir: string, what: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? (err as Error).message})`;
    throw new BadInputError(`${dir} (${what}) ${problem}. Point ${what} at a folder with one subfolder per class, e.g. train/cat/*.png and train/dog/*.png.`, dir);
  }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every image file under `dir`, recursively, sorted (symlinks and hidden entries skipped). */
async function imagesUnder(dir: string, what: string, out: string[]): Promise<void> {
  const entries = (await readDir(dir, what)).filter((e) => !e.name.startsWith('.')).sort((a, b) => byName(a.name, b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      await imagesUnder(p, what, out);
    } else if (e.isFile() && IMAGE_EXT.test(e.name)) {
      out.push(p);
      if (out.length > MAX_FILES) {
        throw new BadInputError(`${dir} holds more than ${MAX_FILES} images. Point ${what} at a smaller folder.`, dir);
      }
    }
  }
}

/** The class folders of `dir` and their image files; `classes` = the training classes (for test/validation folders). */
export async function scanClassFolders(dir: string, what: string, classes?: readonly string[]): Promise<ClassFiles> {
  const subdirs = (await readDir(dir, what))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byName);
  if (subdirs.length === 0) {
    throw new BadInputError(`${dir} (${what}) has no class subfolders. Put the images of each class in a subfolder named after the class, e.g. ${path.join(dir, 'cat')}/, ${path.join(dir, 'dog')}/.`, dir);
  }
  if (classes) {
    const unknown = subdirs.filter((s) => !classes.includes(s));
    if (unknown.length > 0) {
      throw new BadInputError(
        `${path.join(dir, unknown[0])} is a class folder that the training folder does not have (its classes: ${classes.join(', ')}). Rename it to one of those classes or remove it; a model cannot predict a class it was not trained on.`,
        path.join(dir, unknown[0]),
      );
    }
  }
  const files: string[][] = [];
  for (const name of subdirs) {
    const list: string[] = [];
    await imagesUnder(path.join(dir, name), what, list);
    if (list.length === 0) {
      throw new BadInputError(`${path.join(dir, name)} (class "${name}") holds no PNG or JPEG images. Add its images or remove the folder.`, path.join(dir, name));
    }
    files.push(list);
  }
  return { classes: subdirs, files };
}
