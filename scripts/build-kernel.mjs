// Compiles the AssemblyScript SIMD kernels to wasm: the Dense training kernel
// (src/engine/kernel/assembly/ → dist/kernel.wasm) and the convolution kernels registered for
// the TF.js wasm backend (src/engine/kernel/conv/assembly/ → dist/conv-kernel.wasm). Skips a
// compile when its wasm is newer than every source file, so esbuild.mjs can call it on every
// build at no cost. Usable as a module or a script.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src/engine/kernel/assembly');
const outFile = join(root, 'dist/kernel.wasm');
const convSrcDir = join(root, 'src/engine/kernel/conv/assembly');
const convOutFile = join(root, 'dist/conv-kernel.wasm');
/** The same source with relaxed SIMD (fused multiply-add): loaded where the runtime validates it. */
const convRelaxedOutFile = join(root, 'dist/conv-kernel-relaxed.wasm');
/** 1 GiB: the host creates the shared memory with the same maximum (kernelTrainer.ts MAX_PAGES). */
export const MAX_PAGES = 16384;

function newestSourceMs(dir) {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  for (const f of readdirSync(dir)) {
    newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  }
  return newest;
}

/** Builds dist/kernel.wasm, dist/conv-kernel.wasm and dist/conv-kernel-relaxed.wasm if missing or stale; returns true if any compiled. */
export async function buildKernel({ force = false } = {}) {
  const dense = await compile(srcDir, outFile, force, [
    // One shared memory, created by the host, so a worker thread can run half of each batch.
    '--enable', 'threads',
    '--importMemory',
    '--sharedMemory',
    '--initialMemory', '16',
    '--maximumMemory', String(MAX_PAGES),
  ]);
  // The conv kernels run inside tfjs-backend-wasm's memory (imported, any size, not shared): they
  // read and write tensors where the backend keeps them. The module has no data segment, so
  // instantiating it writes nothing into that memory.
  const conv = await compile(convSrcDir, convOutFile, force, ['--importMemory', '--initialMemory', '1']);
  const relaxed = await compile(convSrcDir, convRelaxedOutFile, force, ['--importMemory', '--initialMemory', '1', '--enable', 'relaxed-simd']);
  return dense || conv || relaxed;
}

async function compile(dir, out, force, memoryArgs) {
  if (!force && existsSync(out) && statSync(out).mtimeMs >= newestSourceMs(dir)) {
    return false;
  }
  mkdirSync(dirname(out), { recursive: true });
  // Compile to a temp name and rename: a concurrent reader (parallel test files) never sees half a file.
  const tmpFile = `${out}.${process.pid}.tmp`;
  const asc = (await import('assemblyscript/asc')).default;
  const { error, stderr } = await asc.main(
    [
      join(dir, 'index.ts'),
      '--outFile', tmpFile,
      '--optimizeLevel', '3',
      '--shrinkLevel', '0',
      '--runtime', 'stub',
      '--noAssert',
      '--enable', 'simd',
      ...memoryArgs,
    ],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    rmSync(tmpFile, { force: true });
    throw new Error(`kernel build failed: ${error.message}\n${stderr.toString()}`);
  }
  renameSync(tmpFile, out);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t0 = performance.now();
  const built = await buildKernel({ force: process.argv.includes('--force') });
  console.log(built ? `kernel: built dist/kernel.wasm + dist/conv-kernel(-relaxed).wasm in ${Math.round(performance.now() - t0)} ms` : 'kernel: dist/kernel.wasm + dist/conv-kernel(-relaxed).wasm up to date');
}
