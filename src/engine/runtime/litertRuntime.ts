/**
 * Google's current TFLite runtime, LiteRT.js (`@litertjs/core`: LiteRT compiled to wasm with
 * the XNNPACK CPU accelerator), run in Node. It is written for browsers and workers: its loader
 * fetches the Emscripten script through `importScripts` and reads the factory off `self`, and
 * that script, once evaluated outside a CommonJS wrapper, needs a global `require` (for
 * node:fs) and `__dirname` (to find its .wasm). Those four globals are all it takes; they are
 * installed only while the module loads and removed again afterwards, so nothing else in the
 * process sees them.
 *
 * It complements tfliteRuntime.ts (the 2022 build inside @tensorflow/tfjs-tflite): files that
 * run in both are proven against today's kernels and operator versions, not only an old build.
 * The package is a devDependency (its four wasm builds are ~38 MB): the engine uses it for
 * verification and measurements when it is installed, and says so when it is not.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { BadInputError } from '../errors';

/** The subset of @litertjs/core's API used here (its own types are ESM-only declarations). */
interface LiteRtTensor {
  readonly type: { dtype: string; layout: { dimensions: ArrayLike<number> } };
  toTypedArray(): ArrayLike<number> & { slice(): ArrayLike<number> };
  delete(): void;
}
interface LiteRtTensorDetails {
  readonly name: string;
  readonly dtype: string;
  readonly shape: Int32Array;
}
interface LiteRtCompiledModel {
  getInputDetails(): readonly LiteRtTensorDetails[];
  getOutputDetails(): readonly LiteRtTensorDetails[];
  run(input: LiteRtTensor[]): Promise<LiteRtTensor[]>;
  delete(): void;
}
interface LiteRtCore {
  loadLiteRt(dir: string, opts?: { threads?: boolean; jspi?: boolean }): Promise<{ loadAndCompile(model: Uint8Array, opts?: object): Promise<LiteRtCompiledModel> }>;
  loadAndCompile(model: Uint8Array, opts?: { accelerator?: 'wasm'; cpuOptions?: { numThreads?: number } }): Promise<LiteRtCompiledModel>;
  Tensor: new (data: ArrayLike<number>, shape?: number[]) => LiteRtTensor;
  supportsFeature(f: 'relaxedSimd'): Promise<boolean>;
}

/** The pinned package (package.json pins the exact version: the Node shims depend on its loader). */
export const LITERT_PACKAGE = '@litertjs/core';

let corePromise: Promise<{ core: LiteRtCore; version: string; wasmFile: string }> | null = null;

/** Whether @litertjs/core is installed (it is a devDependency: absent from the .vsix). */
export function litertAvailable(): boolean {
  try {
    createRequire(__filename).resolve(`${LITERT_PACKAGE}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` (LiteRT.js's loader) with the shims it needs in Node:
 * - `self` and `importScripts` as globals, for the worker-style loader: `importScripts(url)`
 *   evaluates the Emscripten script and leaves its factory on `self.ModuleFactory`;
 * - `require` and `__dirname` for that script's Node branch (node:fs, and where its .wasm
 *   lies), given as the parameters of a CommonJS-style wrapper rather than as globals: the
 *   package is `"type": "module"`, so Node itself would not evaluate the script as CommonJS.
 * Also `self.Module` with quiet print hooks, and WebGPU's "no device" warning filtered (there
 * is no WebGPU in Node; the CPU accelerator is what we use). Everything is undone afterwards.
 */
async function withShims<T>(wasmDir: string, loaded: string[], fn: () => Promise<T>): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  const saved = new Map<string, { had: boolean; value: unknown }>();
  const set = (k: string, v: unknown): void => {
    saved.set(k, { had: k in g, value: g[k] });
    g[k] = v;
  };
  set('self', globalThis);
  set('Module', { print: () => undefined, printErr: () => undefined });
  set('ModuleFactory', undefined);
  set('importScripts', (url: string) => {
    const file = path.resolve(wasmDir, path.basename(String(url)));
    loaded.push(path.basename(file));
    // Synchronous on purpose: importScripts is synchronous in workers and the loader relies on it.
    const code = readFileSync(file, 'utf8');
    const wrapper = vm.compileFunction(code, ['module', 'exports', 'require', '__filename', '__dirname'], { filename: file }) as (
      module: { exports: unknown },
      exports: unknown,
      require: NodeJS.Require,
      filename: string,
      dirname: string,
    ) => void;
    const mod = { exports: {} as unknown };
    wrapper(mod, mod.exports, createRequire(file), file, path.dirname(file));
    g.ModuleFactory = mod.exports;
  });
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && args[0].startsWith('Failed to create default WebGPU device'))) {
      warn(...args);
    }
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
    for (const [k, s] of saved) {
      if (s.had) {
        g[k] = s.value;
      } else {
        delete g[k];
      }
    }
  }
}

/** Loads LiteRT.js once per process (single-threaded build: relaxed-SIMD when the engine has it, else the compat build). */
export function loadLitert(): Promise<{ core: LiteRtCore; version: string; wasmFile: string }> {
  corePromise ??= (async () => {
    if (!litertAvailable()) {
      throw new BadInputError(`the LiteRT.js runtime is not installed: run \`npm install --save-exact ${LITERT_PACKAGE}\` in the extension's folder`);
    }
    const req = createRequire(__filename);
    const pkgDir = path.dirname(req.resolve(`${LITERT_PACKAGE}/package.json`));
    const version = (JSON.parse(await fs.readFile(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
    const wasmDir = path.join(pkgDir, 'wasm');
    // An ESM-only package: the CommonJS bundle's require() of it works from Node 20.19 on.
    const core = (await import('@litertjs/core')) as unknown as LiteRtCore;
    const loaded: string[] = [];
    await withShims(wasmDir, loaded, () => core.loadLiteRt(wasmDir + path.sep));
    return { core, version, wasmFile: loaded[0] ?? '?' };
  })();
  corePromise.catch(() => {
    corePromise = null;
  });
  return corePromise;
}

export interface LitertTensorInfo {
  name: string;
  dataType: string;
  shape: number[];
}

type Typed = Float32Array | Int8Array | Uint8Array | Int32Array;

function typedFor(dtype: string, n: number): Typed {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'int32':
      return new Int32Array(n);
    default:
      throw new BadInputError(`LiteRT.js: input type ${dtype} is not supported by this tool`);
  }
}

/** One compiled model in LiteRT.js (XNNPACK CPU accelerator, one thread). Call dispose() when done. */
export class LitertModel {
  readonly inputs: LitertTensorInfo[];
  readonly outputs: LitertTensorInfo[];
  private disposed = false;

  private constructor(
    private readonly core: LiteRtCore,
    private readonly compiled: LiteRtCompiledModel,
    readonly runtimeVersion: string,
    readonly wasmFile: string,
  ) {
    const info = (d: LiteRtTensorDetails): LitertTensorInfo => ({ name: d.name, dataType: d.dtype, shape: Array.from(d.shape) });
    this.inputs = compiled.getInputDetails().map(info);
    this.outputs = compiled.getOutputDetails().map(info);
    if (this.inputs.length !== 1 || this.outputs.length !== 1) {
      throw new BadInputError(`the TFLite model has ${this.inputs.length} inputs and ${this.outputs.length} outputs; expected one of each`);
    }
  }

  static async load(bytes: Uint8Array, source = 'model'): Promise<LitertModel> {
    const { core, version, wasmFile } = await loadLitert();
    let compiled: LiteRtCompiledModel;
    try {
      // LiteRT keeps a pointer into the bytes it was given only while compiling; pass a copy it may own.
      compiled = await core.loadAndCompile(bytes.slice(), { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
    } catch (e) {
      throw new BadInputError(`LiteRT.js rejected ${source}: ${e instanceof Error ? e.message : String(e)}`, source);
    }
    try {
      return new LitertModel(core, compiled, version, wasmFile);
    } catch (e) {
      compiled.delete();
      const msg = e instanceof Error ? e.message : String(e);
      if (/Element type (\w+) is not supported/.test(msg)) {
        // LiteRT.js's JS tensors are float32, int32 and uint8 only (2.5.x): int8 I/O cannot be fed.
        throw new BadInputError(
          `LiteRT.js ${version} cannot run ${source}: ${msg} (its JavaScript tensors are float32, int32 or uint8; export full-int8 with float I/O to run it there)`,
          source,
        );
      }
      throw e;
    }
  }

  get inputSize(): number {
    return this.inputs[0].shape.reduce((a, b) => a * b, 1);
  }

  get outputSize(): number {
    return this.outputs[0].shape.reduce((a, b) => a * b, 1);
  }

  /** Runs one inference on raw input values (in the input tensor's type and shape); returns a copy of the output. */
  async run(input: ArrayLike<number>): Promise<Typed> {
    if (this.disposed) {
      throw new Error('LitertModel used after dispose()');
    }
    const info = this.inputs[0];
    const data = typedFor(info.dataType, this.inputSize);
    if (input.length !== data.length) {
      throw new BadInputError(`LiteRT.js: the model takes ${data.length} input values, got ${input.length}`);
    }
    data.set(input);
    const t = new this.core.Tensor(data, info.shape);
    let outs: LiteRtTensor[] = [];
    try {
      outs = await this.compiled.run([t]);
      const out = outs[0].toTypedArray();
      return (out as unknown as Typed).slice();
    } finally {
      t.delete();
      for (const o of outs) {
        o.delete();
      }
    }
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.compiled.delete();
  }
}
