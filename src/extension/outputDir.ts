/**
 * Where a run may write: a folder INSIDE the workspace folder, never outside it (also not
 * through a symlink). No `vscode` import, so it is unit-tested in plain Node.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

export class OutputDirError extends Error {
  constructor(
    message: string,
    /** Which setting the value came from, e.g. 'modelOptimizer.outputDirectory'. */
    readonly where: string,
  ) {
    super(message);
    this.name = 'OutputDirError';
  }
}

/** True when `child` is `parent` itself or lies below it (after resolving both). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The longest existing prefix of `p`, with symlinks resolved, plus the part that does not exist yet. */
function realpathOfExistingPrefix(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) {
        return p;
      }
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Resolves the configured output folder against the workspace folder and refuses anything
 * that leads outside it: '..' segments, absolute paths elsewhere, or a symlink pointing out.
 * The workspace folder itself is refused too: runs would litter the project's root.
 */
export function resolveOutputDir(workspaceRoot: string, configured: string, where: string): string {
  const value = configured.trim();
  if (value === '') {
    throw new OutputDirError(`${where} is empty. Set it to a folder inside the workspace, e.g. "model-optimizer-output".`, where);
  }
  const root = path.resolve(workspaceRoot);
  const out = path.resolve(root, value);
  if (!isInside(root, out)) {
    throw new OutputDirError(
      `${where} is "${value}", which resolves to ${out}, outside the workspace folder ${root}. ` +
        'Model Optimizer only writes inside the workspace: use a relative path such as "model-optimizer-output".',
      where,
    );
  }
  if (out === root) {
    throw new OutputDirError(`${where} points at the workspace folder itself. Use a subfolder such as "model-optimizer-output".`, where);
  }
  const realRoot = realpathOfExistingPrefix(root);
  const realOut = realpathOfExistingPrefix(out);
  if (!isInside(realRoot, realOut) || realOut === realRoot) {
    throw new OutputDirError(
      `${where} is "${value}", but a symbolic link makes it lead to ${realOut}, outside the workspace folder ${realRoot}. ` +
        'Choose a folder that really lies inside the workspace.',
      where,
    );
  }
  return out;
}

/**
 * Resolves a path the webview or a tree item named (relative to a run's output folder) and
 * makes sure it stays inside that folder. Returns null otherwise.
 */
export function artifactPath(outDir: string, rel: string): string | null {
  if (rel === '' || path.isAbsolute(rel) || rel.includes('\0')) {
    return null;
  }
  const p = path.resolve(outDir, ...rel.split('/'));
  return isInside(outDir, p) && p !== path.resolve(outDir) ? p : null;
}
