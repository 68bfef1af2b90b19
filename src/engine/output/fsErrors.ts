/**
 * File-system failures the user can fix (a full disk, a read-only or unwritable folder, a name
 * too long) as BadInputErrors with the problem and the fix in one paragraph, instead of an
 * "internal error" with a stack trace.
 */
import { BadInputError } from '../errors';

export function userFixableFsError(err: unknown, outDir: string): BadInputError | null {
  if (err instanceof BadInputError || !(err instanceof Error)) {
    return null;
  }
  const e = err as NodeJS.ErrnoException;
  const where = e.path ?? outDir;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new BadInputError(
        `The disk is full (or your quota is used up): could not write ${where}. Free some space on the disk that holds ${outDir}, or choose an output folder on another disk (--out); files of earlier runs were kept.`,
        where,
      );
    case 'EROFS':
      return new BadInputError(`The output folder ${outDir} is on a read-only file system: could not write ${where}. Choose an output folder you can write to (--out, or output.dir in the config).`, where);
    case 'EACCES':
    case 'EPERM':
      return new BadInputError(`No permission to write ${where}. Choose an output folder you can write to (--out, or output.dir in the config), or change the folder's permissions.`, where);
    case 'ENAMETOOLONG':
      return new BadInputError(`A file name or path in the output folder is too long for the file system: ${where}. Choose a shorter output folder path (--out) or shorter names in the config.`, where);
    case 'ENOTDIR':
      return new BadInputError(`A file is in the way of a folder the run needs: ${where}. Move or rename that file, or choose another output folder (--out).`, where);
    case 'EMFILE':
    case 'ENFILE':
      return new BadInputError(`Too many open files (${e.code}) while writing ${where}. Close other programs or raise the open-file limit (ulimit -n), then run again.`, where);
    default:
      return null;
  }
}
