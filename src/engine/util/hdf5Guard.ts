/**
 * Running h5wasm on an untrusted file: HDF5 prints its diagnostics ("HDF5-DIAG: Error
 * detected…", pages of them for a truncated file) straight to file descriptor 2 through
 * `fs.writeSync`, and h5wasm then throws bare Errors such as "error - name not defined!".
 * `guardHdf5` runs a synchronous block of h5wasm calls with those writes captured (they never
 * reach the user's terminal) and turns any failure into one BadInputError that says what is
 * wrong with the file and how to fix it, quoting HDF5's own reason.
 *
 * The block must be synchronous (no await inside): the capture is a temporary wrapper around
 * the process-wide fs.writeSync, restored before returning.
 */
import { BadInputError } from '../errors';

// The CommonJS module object (h5wasm's Emscripten glue calls require('fs').writeSync).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs = require('node:fs') as typeof import('node:fs');

/**
 * HDF5's own reason from captured diagnostics: the first error stack (later ones are
 * follow-on failures on the invalid handle), its innermost entry and that entry's "minor"
 * class, e.g. 'File has been truncated (H5F__super_read(): truncated file: eof = 586016, …)'.
 */
export function hdf5Reason(diag: string): string {
  const block = diag.split('HDF5-DIAG').find((b) => /#\d+:/.test(b));
  if (!block) {
    return '';
  }
  const lines = block.split('\n').map((l) => l.trim());
  let last = -1;
  lines.forEach((l, i) => {
    if (/^#\d+:/.test(l)) {
      last = i;
    }
  });
  const entry = lines[last].replace(/^#\d+:\s*\S+ line \d+ in /, '');
  const minor = lines.slice(last).find((l) => l.startsWith('minor:'));
  return (minor ? `${minor.replace(/^minor:\s*/, '')} (${entry})` : entry).slice(0, 300);
}

export function guardHdf5<T>(file: string, what: string, fn: () => T): T {
  const original = nodeFs.writeSync;
  let diag = '';
  const capture = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]): number {
    if (fd === 1 || fd === 2) {
      if (typeof data === 'string') {
        diag += data;
        return Buffer.byteLength(data);
      }
      const view = data as Uint8Array;
      const offset = typeof rest[0] === 'number' ? rest[0] : 0;
      const length = typeof rest[1] === 'number' ? rest[1] : view.byteLength - offset;
      if (diag.length < 64 * 1024) {
        diag += Buffer.from(view.buffer, view.byteOffset + offset, length).toString('utf8');
      }
      return length;
    }
    return (original as (...a: unknown[]) => number).call(this, fd, data, ...rest);
  };
  nodeFs.writeSync = capture;
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    const reason = hdf5Reason(diag) || (err as Error).message;
    throw new BadInputError(
      `${file} is not a readable ${what}: the HDF5 library reports "${reason}" (the file is truncated, damaged or not HDF5). Save or download the model again (Keras: model.save('model.h5')) and check that the copy is complete.`,
      file,
    );
  } finally {
    nodeFs.writeSync = original;
  }
}
