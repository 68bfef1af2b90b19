/**
 * Picks and initialises the TF.js backend.
 *
 * - 'auto': `@tensorflow/tfjs-node` (native TensorFlow) when it can be loaded, else wasm.
 * - 'wasm': `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD when the CPU has it).
 * - 'cpu':  the plain-JS backend, only when asked (slow; useful for debugging).
 * - 'node': tfjs-node or a clear error.
 *
 * tfjs-node is optional and never installed by us: it is loaded through a computed
 * require so esbuild does not try to bundle it and nothing breaks when it is absent.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from '../protocol/config';
import type { BackendInfo } from '../protocol/engine';
import { BadInputError } from './errors';
import { registerWasmConvKernels } from './kernel/conv/register';
import { convKernelsVariant } from './kernel/conv/wasmConv';

const TFJS_NODE = ['@tensorflow', 'tfjs-node'].join('/');

/** Tries to load tfjs-node; returns null on success or the reason it is unusable. */
function tryLoadTfjsNode(): string | null {
  try {
    // Computed name: esbuild leaves it alone, and a missing package is just a fallback.
    const load = require as (id: string) => unknown;
    load(TFJS_NODE);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'MODULE_NOT_FOUND' ? `${TFJS_NODE} is not installed` : `${TFJS_NODE} failed to load: ${e.message.split('\n')[0]}`;
  }
  if (tf.findBackend('tensorflow') === null) {
    return `${TFJS_NODE} loaded but registered its backend in another copy of @tensorflow/tfjs-core (install a tfjs-node version matching tfjs-core ${tf.version_core})`;
  }
  return null;
}

/** The folder holding tfjs-backend-wasm's .wasm binaries, resolved from the installed package. */
export function wasmBinariesDir(): string {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

let wasmPathsSet = false;

async function initWasm(): Promise<string> {
  if (!wasmPathsSet) {
    setWasmPaths(wasmBinariesDir());
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend('wasm');
  if (!ok) {
    throw new Error('The TF.js wasm backend failed to initialise (see the log above for the reason).');
  }
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  // PERF: our SIMD convolution gradients (the backend ships none for filters/depthwise, and a
  // scalar Conv2DBackpropInput), so CNNs train on wasm through every TF.js path.
  const convMissing = registerWasmConvKernels();
  const conv = convMissing === '' ? `conv gradients: SIMD kernels (${convKernelsVariant()})` : `no conv gradients (${convMissing})`;
  return `wasm ${simd ? 'SIMD' : 'without SIMD'}, 1 thread; ${conv}`;
}

async function use(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new Error(`The TF.js '${name}' backend failed to initialise.`);
  }
  await tf.ready();
}

export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  // Production mode: no console banners ("Hi, looks like you are running TensorFlow.js in
  // Node.js…") on the CLI's output, no debug-only checks.
  tf.enableProdMode();
  switch (choice) {
    case 'auto': {
      const reason = tryLoadTfjsNode();
      if (reason === null) {
        await use('tensorflow');
        return { tfjs: 'tensorflow', trainer: 'tfjs', requested: choice, detail: 'native TensorFlow (tfjs-node)' };
      }
      const wasm = await initWasm();
      return { tfjs: 'wasm', trainer: 'tfjs', requested: choice, detail: `${wasm}; ${reason}` };
    }
    case 'node': {
      const reason = tryLoadTfjsNode();
      if (reason !== null) {
        throw new BadInputError(`backend 'node' was requested but ${reason}. Run \`npm install @tensorflow/tfjs-node\` in the extension folder, or set backend to 'auto' or 'wasm'.`, 'backend');
      }
      await use('tensorflow');
      return { tfjs: 'tensorflow', trainer: 'tfjs', requested: choice, detail: 'native TensorFlow (tfjs-node)' };
    }
    case 'wasm':
      return { tfjs: 'wasm', trainer: 'tfjs', requested: choice, detail: await initWasm() };
    case 'cpu':
      await use('cpu');
      return { tfjs: 'cpu', trainer: 'tfjs', requested: choice, detail: 'plain JavaScript backend (slow)' };
    default:
      throw new BadInputError(`Unknown backend '${String(choice)}'. Use 'auto', 'wasm', 'cpu' or 'node'.`, 'backend');
  }
}
