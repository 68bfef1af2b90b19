/**
 * Which file Model Optimizer: Deploy analyses, from how it was invoked: the Explorer passes the
 * clicked Uri, the Runs view an artifact `{ runId, path }` (resolved by the command), the
 * palette nothing (the command asks), other callers a path string. Pure (no `vscode` import).
 */
import * as path from 'node:path';

export type TfliteArg = { kind: 'none' } | { kind: 'artifact' } | { kind: 'file'; file: string } | { kind: 'error'; message: string };

export function tfliteArg(arg: unknown): TfliteArg {
  let file: string | undefined;
  if (typeof arg === 'string' && arg.length > 0) {
    file = path.resolve(arg);
  } else if (typeof arg === 'object' && arg !== null && typeof (arg as { fsPath?: unknown }).fsPath === 'string' && typeof (arg as { scheme?: unknown }).scheme === 'string') {
    const u = arg as { fsPath: string; scheme: string };
    if (u.scheme !== 'file') {
      return { kind: 'error', message: `${u.fsPath} is not a local file (${u.scheme}:); the deploy analysis reads models from disk.` };
    }
    file = u.fsPath;
  } else if (typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string') {
    return { kind: 'artifact' };
  } else {
    return { kind: 'none' };
  }
  if (path.extname(file).toLowerCase() !== '.tflite') {
    return { kind: 'error', message: `${path.basename(file)} is not a .tflite file. Deploy analyses TensorFlow Lite models: export one first (Run Full Pipeline or Quantize).` };
  }
  return { kind: 'file', file };
}
