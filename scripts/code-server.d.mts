import type * as fsModule from 'node:fs';
import type * as pathModule from 'node:path';

export function codeServerLayout(
  fs: typeof fsModule,
  path: typeof pathModule,
  dir: string,
  port: number,
): { userDataDir: string; extensionsDir: string; dirArgs: string[] };

export function codeServerServeArgs(port: number, dirArgs: string[], opts?: { disableTrust?: boolean }): string[];
