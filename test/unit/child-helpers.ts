/**
 * Shared by the child-process and CLI tests: builds the engine child and CLI bundles exactly
 * as esbuild.mjs does (cjs, node, packages external) into a folder inside the repo (so the
 * bundles resolve node_modules), and a fresh output folder per test.
 */
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BUILD_ROOT = path.join(ROOT, '.test-output');

let built: Promise<{ engine: string; cli: string }> | undefined;

/** Bundles src/engine/child.ts and src/cli/main.ts once per test file. */
export function buildBundles(): Promise<{ engine: string; cli: string }> {
  built ??= (async () => {
    const outdir = path.join(BUILD_ROOT, `bundles-${process.pid}`);
    await esbuild.build({
      // imageWorker: the image-folder loader's decoding threads (as esbuild.mjs bundles them).
      entryPoints: { engine: path.join(ROOT, 'src/engine/child.ts'), cli: path.join(ROOT, 'src/cli/main.ts'), imageWorker: path.join(ROOT, 'src/engine/data/image/worker.ts') },
      outdir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      packages: 'external',
      target: 'es2022',
      sourcemap: true,
      logLevel: 'error',
      // As esbuild.mjs: tfjs-core's gradient registrations are bundled (Node cannot load that ESM module).
      plugins: [
        {
          name: 'bundle-tfjs-gradients',
          setup(build) {
            build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, async (args) => {
              const r = await build.resolve('./node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js', { kind: args.kind, resolveDir: ROOT });
              return { path: r.path, external: false };
            });
          },
        },
      ],
    });
    // The wasm kernels sit next to the bundles, as in dist/ and the .vsix: the bundles look for
    // them beside themselves (npm test builds dist/ first; without a build they report them missing).
    const dist = path.join(ROOT, 'dist');
    for (const wasm of existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith('.wasm')) : []) {
      copyFileSync(path.join(dist, wasm), path.join(outdir, wasm));
    }
    return { engine: path.join(outdir, 'engine.js'), cli: path.join(outdir, 'cli.js') };
  })();
  return built;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI to completion; a run that hangs is killed after `watchdogMs` (then `signal` says so). */
export async function runCli(args: string[], cwd: string, watchdogMs = 20 * 60_000): Promise<CliRun> {
  const { cli } = await buildBundles();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const watchdog = setTimeout(() => child.kill('SIGKILL'), watchdogMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function freshOutDir(tag: string): string {
  mkdirSync(BUILD_ROOT, { recursive: true });
  return mkdtempSync(path.join(BUILD_ROOT, `${tag}-`));
}

/** Tiny but real: 3000 training images (2700 train / 300 validation), 1000 test, 1 epoch. */
export const TINY_CONFIG = {
  data: { trainLimit: 3000, testLimit: 1000 },
  train: { epochs: 1 },
  prune: { epochs: 1 },
  backend: 'wasm' as const,
};
