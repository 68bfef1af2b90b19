// Compiles the AssemblyScript SIMD training kernel (src/engine/kernel/assembly/) to
// dist/kernel.wasm. Skips the compile when the wasm is newer than every source file, so
// esbuild.mjs can call it on every build at no cost. Usable as a module or a script.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/engine/kernel/assembly');
const outFile = join(root, 'dist/kernel.wasm');
/** 1 GiB: the host creates the shared memory with the same maximum (kernelTrainer.ts MAX_PAGES). */
export const MAX_PAGES = 16384;

function newestSourceMs() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const f of readdirSync(srcDir)) {
    newest = Math.max(newest, statSync(join(srcDir, f)).mtimeMs);
  }
  return newest;
}

/** Builds dist/kernel.wasm if missing or stale; returns true if it compiled. */
export async function buildKernel({ force = false } = {}) {
  if (!force && existsSync(outFile) && statSync(outFile).mtimeMs >= newestSourceMs()) {
    return false;
  }
  mkdirSync(dirname(outFile), { recursive: true });
  // Compile to a temp name and rename: a concurrent reader (parallel test files) never sees half a file.
  const tmpFile = `${outFile}.${process.pid}.tmp`;
  const asc = (await import('assemblyscript/asc')).default;
  const { error, stderr } = await asc.main(
    [
      join(srcDir, 'index.ts'),
      '--outFile', tmpFile,
      '--optimizeLevel', '3',
      '--shrinkLevel', '0',
      '--runtime', 'stub',
      '--noAssert',
      '--enable', 'simd',
      '--enable', 'threads',
      // One shared memory, created by the host, so a worker thread can run half of each batch.
      '--importMemory',
      '--sharedMemory',
      '--initialMemory', '16',
      '--maximumMemory', String(MAX_PAGES),
    ],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    rmSync(tmpFile, { force: true });
    throw new Error(`kernel build failed: ${error.message}\n${stderr.toString()}`);
  }
  renameSync(tmpFile, outFile);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const built = await buildKernel({ force: process.argv.includes('--force') });
  console.log(built ? `kernel: built dist/kernel.wasm in ${Math.round(performance.now() - t0)} ms` : 'kernel: dist/kernel.wasm up to date');
}
