// One build script for every bundle: extension host, engine child + CLI, webview.
import * as esbuild from 'esbuild';
// PERF: compile the SIMD training kernel to dist/kernel.wasm first (skipped when up to date).
await (await import('./scripts/build-kernel.mjs')).buildKernel();

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  target: 'es2022',
};

/**
 * tfjs-core's CommonJS build registers no gradients, and its ESM `register_all_gradients`
 * cannot be loaded by Node (extensionless relative imports), so the engine bundle includes
 * that one module and the tfjs-core sources it imports. They share tfjs-core's engine and
 * registries, which live on the global object, with the external copy. (test/unit/child-helpers.ts
 * builds its bundles the same way.)
 */
const bundleTfjsGradients = {
  name: 'bundle-tfjs-gradients',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, async (args) => {
      const r = await build.resolve('./node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js', { kind: args.kind, resolveDir: process.cwd() });
      return { path: r.path, external: false };
    });
  },
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  {
    ...common,
    // Runtime packages stay external: tfjs-backend-wasm, h5wasm and the TFLite runtime
    // locate their .wasm files next to their own modules.
    // imageWorker: the image-folder loader's decoding threads (src/engine/data/imageFolder.ts).
    entryPoints: { engine: 'src/engine/child.ts', cli: 'src/cli/main.ts', imageWorker: 'src/engine/data/image/worker.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    plugins: [bundleTfjsGradients],
  },
  {
    ...common,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
