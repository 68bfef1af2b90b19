/**
 * Which files "Optimize This Model" accepts, and how its argument arrives. Pure (no `vscode`
 * import) so the rules are unit-tested: the Explorer passes (clicked Uri, selected Uris), the
 * palette passes nothing, other callers may pass a path string.
 */
import * as path from 'node:path';

/** The input formats the engine's --model reads: Keras legacy .h5, Keras 3 .keras, TF.js model.json. */
export const MODEL_FILE_FILTERS: Record<string, string[]> = { 'Keras or TF.js model': ['h5', 'keras', 'json'] };

export function isModelFile(file: string): boolean {
  const base = path.basename(file);
  const ext = path.extname(base).toLowerCase();
  return ext === '.h5' || ext === '.keras' || base === 'model.json';
}

/** Something with a file-system path, like a vscode.Uri. */
interface UriLike {
  scheme: string;
  fsPath: string;
}

function isUriLike(x: unknown): x is UriLike {
  return typeof x === 'object' && x !== null && typeof (x as UriLike).fsPath === 'string' && typeof (x as UriLike).scheme === 'string';
}

export type ModelArg = { kind: 'none' } | { kind: 'file'; file: string } | { kind: 'error'; message: string };

/**
 * The model file a command invocation names. The clicked resource wins over the rest of a
 * multi-selection (one pipeline runs at a time); a non-local or unsupported file is an error
 * that says what is accepted.
 */
export function modelArg(arg: unknown): ModelArg {
  let file: string | undefined;
  if (typeof arg === 'string' && arg.length > 0) {
    file = path.resolve(arg);
  } else if (isUriLike(arg)) {
    if (arg.scheme !== 'file') {
      return { kind: 'error', message: `${arg.fsPath} is not a local file (${arg.scheme}:); Model Optimizer reads models from disk.` };
    }
    file = arg.fsPath;
  } else {
    return { kind: 'none' }; // palette (no argument) or a caller we don't know: ask
  }
  if (!isModelFile(file)) {
    return { kind: 'error', message: `${path.basename(file)} is not a model file Model Optimizer reads. Choose a Keras .h5 or .keras file, or a TF.js model.json.` };
  }
  return { kind: 'file', file };
}
