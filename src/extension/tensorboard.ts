/** Finding `tensorboard` on PATH and the log folder of a run's event files. No `vscode` import. */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/** The `tensorboard` executable on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) {
          return candidate;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The deepest folder holding every event file (POSIX paths relative to outDir), e.g. 'logs'. */
export function commonLogDir(relPaths: string[]): string {
  if (relPaths.length === 0) {
    return 'logs';
  }
  const dirs = relPaths.map((p) => p.split('/').slice(0, -1));
  const common: string[] = [];
  for (let i = 0; dirs.every((d) => i < d.length && d[i] === dirs[0][i]); i++) {
    common.push(dirs[0][i]);
  }
  // logs/train/events… and logs/prune/events… → logs; one fit → its parent, so the run is named.
  if (relPaths.length === 1 && common.length > 1) {
    common.pop();
  }
  return common.join('/');
}
