/**
 * Source 'image-folder': Keras' image_dataset_from_directory layout, one subfolder per class
 * (class names = the sorted subfolder names), PNG and JPEG files in it and below it.
 *
 * Decoding runs in worker threads (one per core, at most 8) that write straight into one
 * shared uint8 array per split: memory is the decoded data set plus one image per worker.
 * Symlinks and hidden folders (.ipynb_checkpoints) are skipped, as is any file that is not
 * .png/.jpg/.jpeg; an empty class folder, a corrupt image or (without data.imageSize) an
 * image of another size is an error naming the file.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RunConfig } from '../../protocol/config';
import { BadInputError, CancelledError } from '../errors';
import { LIMITS, readFileLimited } from '../util/safeRead';
import { decodeImage, ImageDecodeError } from './image/decode';
import type { WorkerReply, WorkerRequest } from './image/protocol';
import { scanClassFolders, type ClassFiles } from './classFolders';
import type { LoadOptions } from './load';
import type { RawData, RawSet } from './prepare';

/** Files per worker task: large enough to amortise messages, small enough to balance. */
const TASK_FILES = 128;

function resolveDir(value: string | undefined, key: string): string {
  if (!value) {
    throw new BadInputError(`data.source is 'image-folder' but data.${key} is not set. Set it to a folder with one subfolder per class.`, `data.${key}`);
  }
  return path.resolve(value);
}

/**
 * A decoding worker: the bundled dist/imageWorker.js beside the engine bundle, or (tests and
 * scripts run from source under tsx) the TypeScript source loaded through tsx's CommonJS hook.
 */
function startWorker(): Worker {
  if (__filename.endsWith('.ts')) {
    const source = path.join(__dirname, 'image', 'worker.ts');
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true });
  }
  return new Worker(path.join(__dirname, 'imageWorker.js'));
}

interface Job {
  files: string[];
  /** Class index per file. */
  labels: Int32Array;
  shared: SharedArrayBuffer;
  source: string;
}

/** Decodes every job's files with a pool of workers; resolves when all are in their shared arrays. */
async function decodeAll(jobs: Job[], shape: [number, number, number], resize: boolean, opts: LoadOptions): Promise<void> {
  const tasks: WorkerRequest[] = [];
  let id = 0;
  for (const job of jobs) {
    for (let s = 0; s < job.files.length; s += TASK_FILES) {
      tasks.push({ id: id++, shared: job.shared, shape, resize, start: s, files: job.files.slice(s, s + TASK_FILES) });
    }
  }
  const total = jobs.reduce((a, j) => a + j.files.length, 0);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const n = Math.max(1, Math.min(cores, 8, tasks.length));
  const workers: Worker[] = [];
  let done = 0;
  let next = 0;
  let lastReport = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      let running = 0;
      const fail = (err: Error): void => {
        if (!finished) {
          finished = true;
          reject(err);
        }
      };
      const onAbort = (): void => fail(new CancelledError());
      if (opts.signal?.aborted) {
        onAbort();
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (w: Worker): void => {
        if (finished) {
          return;
        }
        if (next >= tasks.length) {
          if (running === 0) {
            finished = true;
            opts.signal?.removeEventListener('abort', onAbort);
            resolve();
          }
          return;
        }
        running++;
        w.postMessage(tasks[next++]);
      };
      for (let i = 0; i < n; i++) {
        const w = startWorker();
        workers.push(w);
        w.on('message', (reply: WorkerReply) => {
          running--;
          if (reply.error) {
            fail(imageError(reply.error, shape));
            return;
          }
          done += reply.done;
          const now = Date.now();
          if (opts.onProgress && (now - lastReport >= 1000 || done === total)) {
            lastReport = now;
            opts.onProgress({ phase: 'decoding images', done, total });
          }
          feed(w);
        });
        w.on('error', (err) => fail(new Error(`image decoding worker failed: ${err.message}`)));
        w.on('exit', (code) => {
          if (code !== 0) {
            fail(new Error(`image decoding worker exited with code ${code}`));
          }
        });
      }
      for (const w of workers) {
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function imageError(e: { file: string; message: string }, shape: [number, number, number]): BadInputError {
  if (e.message.startsWith('mixed-size:')) {
    const got = e.message.slice('mixed-size:'.length);
    return new BadInputError(
      `${e.file} is ${got} pixels (height × width) but the first training image is ${shape[0]}×${shape[1]}. Set data.imageSize to [height, width] to resize every image (bilinear, like Keras), or make the images the same size.`,
      e.file,
    );
  }
  if (e.message.startsWith('decode:')) {
    return new BadInputError(`${e.file} ${e.message.slice('decode:'.length)}. Replace or remove the file (it may be truncated or not an image).`, e.file);
  }
  return new BadInputError(e.message, e.file);
}

function flatten(cf: ClassFiles, classes: readonly string[]): { files: string[]; labels: Int32Array } {
  const files: string[] = [];
  const labels: number[] = [];
  cf.classes.forEach((name, i) => {
    const index = classes.indexOf(name);
    for (const f of cf.files[i]) {
      files.push(f);
      labels.push(index);
    }
  });
  return { files, labels: Int32Array.from(labels) };
}

export async function loadImageFolder(config: RunConfig, opts: LoadOptions = {}): Promise<RawData> {
  const d = config.data;
  const trainDir = resolveDir(d.trainDir, 'trainDir');
  const testDir = resolveDir(d.testDir, 'testDir');
  const train = await scanClassFolders(trainDir, 'data.trainDir');
  const test = await scanClassFolders(testDir, 'data.testDir', train.classes);
  const val = d.valDir ? await scanClassFolders(path.resolve(d.valDir), 'data.valDir', train.classes) : undefined;
  const channels = d.colorMode === 'grayscale' ? 1 : 3;
  let h: number;
  let w: number;
  if (d.imageSize) {
    [h, w] = d.imageSize;
  } else {
    // The first training image sets the size every other image must have.
    const first = train.files[0][0];
    const bytes = await readFileLimited(first, { what: 'image', maxBytes: LIMITS.data });
    try {
      const img = decodeImage(bytes);
      [h, w] = [img.height, img.width];
    } catch (err) {
      if (err instanceof ImageDecodeError) {
        throw new BadInputError(`${first} ${err.message}. Replace or remove the file (it may be truncated or not an image).`, first);
      }
      throw err;
    }
  }
  const shape: [number, number, number] = [h, w, channels];
  const per = h * w * channels;
  const parts = [flatten(train, train.classes), flatten(test, train.classes), ...(val ? [flatten(val, train.classes)] : [])];
  const sources = [trainDir, testDir, ...(d.valDir ? [path.resolve(d.valDir)] : [])];
  const jobs: Job[] = parts.map((p, i) => {
    const bytes = p.files.length * per;
    if (bytes > 8 * 1024 ** 3) {
      throw new BadInputError(`${sources[i]}: ${p.files.length} images of ${h}×${w}×${channels} would take ${(bytes / 1024 ** 3).toFixed(1)} GiB. Set a smaller data.imageSize or use data.colorMode "grayscale".`, sources[i]);
    }
    return { ...p, shared: new SharedArrayBuffer(bytes), source: sources[i] };
  });
  await decodeAll(jobs, shape, d.imageSize !== undefined, opts);
  const sets: RawSet[] = jobs.map((j) => ({ x: new Uint8Array(j.shared), labels: j.labels, count: j.files.length, source: j.source }));
  return {
    name: path.basename(trainDir),
    shape,
    classNames: train.classes,
    train: sets[0],
    test: sets[1],
    ...(sets[2] ? { validation: sets[2] } : {}),
  };
}
