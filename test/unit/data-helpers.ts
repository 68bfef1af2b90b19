/**
 * Fixtures for the data loader tests, written and read back by tools independent of ours:
 * Debian's Python with NumPy (/usr/bin/python3, not the first python3 on PATH) writes PNG
 * (zlib + struct), .npy/.npz and CSV; libjpeg-turbo's cjpeg/djpeg write and decode JPEG.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, type DataConfig, type RunConfig } from '../../src/protocol/config';

export const PYTHON = '/usr/bin/python3';

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `mo-data-${tag}-`));
}

/** Runs a Python script (stdin) with NumPy; returns its stdout parsed as JSON when it prints any. */
export function python<T = unknown>(script: string, ...args: string[]): T {
  const out = execFileSync(PYTHON, ['-c', `import sys, json, os, zlib, struct\nimport numpy as np\n${script}`, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return (out.trim() ? JSON.parse(out) : undefined) as T;
}

/** Python: png(path, array uint8 HxW or HxWxC (C = 1, 2, 3, 4)) written with zlib and struct only. */
export const PY_PNG = `
def png(path, a):
    a = np.asarray(a, dtype=np.uint8)
    if a.ndim == 2: a = a[:, :, None]
    h, w, c = a.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = b''.join(b'\\x00' + a[r].tobytes() for r in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    data = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, 'wb').write(data)
`;

export function config(data: Partial<DataConfig>, train: Partial<RunConfig['train']> = {}): RunConfig {
  return { ...DEFAULT_CONFIG, data: { ...DEFAULT_CONFIG.data, ...data }, train: { ...DEFAULT_CONFIG.train, ...train } };
}
