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

/**
 * The subset of @litertjs/core used here: its lower-level API, the Embind classes of the wasm
 * module (`LiteRt.liteRtWasm`). Its JavaScript `Tensor`/`CompiledModel` wrappers map element
 * types to typed arrays for float32, int32 and uint8 only: in 2.5.3 the wrapper's constructor
 * itself throws "Element type INT8 is not supported" for a model with int8 inputs, before any
 * tensor exists. The wasm classes underneath take any element type: a host-memory
 * `TensorBuffer` is created with `createManaged` for the model's own `RankedTensorType`
 * (INT8 included), filled through `lock(WRITE)` and the wasm heap, and run with
 * `LiteRtCompiledModel.run(signature, buffers)`. That is how int8-I/O files run here.
 */
interface Deletable {
  delete(): void;
}
interface EnumValue {
  value: number;
}
interface WasmVector<T> extends Deletable {
  size(): number;
  get(i: number): T;
}
interface WasmLayout extends Deletable {
  dimensions(): WasmVector<number>;
}
interface WasmRankedTensorType extends Deletable {
  elementType(): EnumValue;
  layout(): WasmLayout;
  bytes(): number;
}
interface WasmTensorBuffer extends Deletable {
  lock(mode: EnumValue): number;
  unlock(): void;
  packedSize(): number;
}
interface WasmModel extends Deletable {
  getInputTensorType(signature: number, index: number): WasmRankedTensorType;
  getOutputTensorType(signature: number, index: number): WasmRankedTensorType;
  getSignature(signature: number): Deletable & { inputNames(): WasmVector<string>; outputNames(): WasmVector<string> };
}
interface WasmCompiledModel extends Deletable {
  run(signature: number, inputs: WasmTensorBuffer[]): WasmTensorBuffer[] | Promise<WasmTensorBuffer[]>;
}
interface LiteRtWasm {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  loadModel(env: unknown, ptr: number, size: number): WasmModel;
  compileModel(env: unknown, model: WasmModel, options: object): WasmCompiledModel | Promise<WasmCompiledModel>;
  LiteRtTensorBuffer: { createManaged(env: unknown, bufferType: EnumValue, type: WasmRankedTensorType, size: number): WasmTensorBuffer };
  LiteRtTensorBufferType: { HOST_MEMORY: EnumValue };
  LiteRtTensorBufferLockMode: { READ: EnumValue; WRITE: EnumValue };
}
interface LiteRtInstance {
  liteRtWasm: LiteRtWasm;
  getDefaultEnvironment(): { liteRtEnvironment: unknown };
}
interface LiteRtCore {
  loadLiteRt(dir: string, opts?: { threads?: boolean; jspi?: boolean }): Promise<LiteRtInstance>;
}

/** litert::ElementType values (litert_model_types.h) of the tensor types our files use. */
const ELEMENT_TYPES: Record<number, 'float32' | 'int32' | 'uint8' | 'int8'> = { 1: 'float32', 2: 'int32', 3: 'uint8', 9: 'int8' };

/** The pinned package (package.json pins the exact version: the Node shims depend on its loader). */
export const LITERT_PACKAGE = '@litertjs/core';

let corePromise: Promise<{ liteRt: LiteRtInstance; version: string; wasmFile: string }> | null = null;

/** Whether @litertjs/core is installed (it is a devDependency: absent from the .vsix). */
export function litertAvailable(): boolean {
  return litertMissingReason() === null;
}

/** Why LiteRT.js cannot be loaded (`pkg` not resolvable from here), or null when it can. */
export function litertMissingReason(pkg = LITERT_PACKAGE): string | null {
  try {
    createRequire(__filename).resolve(`${pkg}/package.json`);
    return null;
  } catch {
    return `${pkg} is not installed (a devDependency of this tool, not shipped in the .vsix: its wasm builds are ~38 MB); install it with \`npm install --save-exact ${pkg}\` to measure .tflite files in LiteRT.js too`;
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
export function loadLitert(): Promise<{ liteRt: LiteRtInstance; version: string; wasmFile: string }> {
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
    const liteRt = await withShims(wasmDir, loaded, () => core.loadLiteRt(wasmDir + path.sep));
    return { liteRt, version, wasmFile: loaded[0] ?? '?' };
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

const TYPED = { float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array } as const;

function vectorToArray<T>(v: WasmVector<T>): T[] {
  const out = Array.from({ length: v.size() }, (_, i) => v.get(i));
  v.delete();
  return out;
}

function tensorInfo(name: string, t: WasmRankedTensorType, source: string): LitertTensorInfo & { bytes: number } {
  const code = t.elementType().value;
  const layout = t.layout();
  const shape = vectorToArray(layout.dimensions());
  layout.delete();
  const bytes = t.bytes();
  t.delete();
  const dataType = ELEMENT_TYPES[code];
  if (!dataType) {
    throw new BadInputError(`LiteRT.js: ${source} has a tensor '${name}' of element type ${code}, which this tool does not feed or read (float32, int32, uint8 and int8 only)`, source);
  }
  return { name, dataType, shape, bytes };
}

/**
 * One compiled model in LiteRT.js (XNNPACK CPU accelerator, one thread), driven through the
 * wasm classes (see the interfaces above): float32, int32, uint8 and int8 inputs and outputs.
 * Call dispose() when done.
 */
export class LitertModel {
  readonly inputs: (LitertTensorInfo & { bytes: number })[];
  readonly outputs: (LitertTensorInfo & { bytes: number })[];
  private disposed = false;

  private constructor(
    private readonly liteRt: LiteRtInstance,
    private readonly model: WasmModel,
    private readonly compiled: WasmCompiledModel,
    private readonly modelPtr: number,
    readonly runtimeVersion: string,
    readonly wasmFile: string,
    source: string,
  ) {
    const sig = model.getSignature(0);
    const inNames = vectorToArray(sig.inputNames());
    const outNames = vectorToArray(sig.outputNames());
    sig.delete();
    this.inputs = inNames.map((n, i) => tensorInfo(n, model.getInputTensorType(0, i), source));
    this.outputs = outNames.map((n, i) => tensorInfo(n, model.getOutputTensorType(0, i), source));
    if (this.inputs.length !== 1 || this.outputs.length !== 1) {
      throw new BadInputError(`the TFLite model has ${this.inputs.length} inputs and ${this.outputs.length} outputs; expected one of each`);
    }
  }

  static async load(bytes: Uint8Array, source = 'model'): Promise<LitertModel> {
    const { liteRt, version, wasmFile } = await loadLitert();
    const wasm = liteRt.liteRtWasm;
    const env = liteRt.getDefaultEnvironment();
    // LiteRT reads the flatbuffer in place: it stays in the wasm heap until dispose().
    const ptr = wasm._malloc(bytes.byteLength);
    wasm.HEAPU8.set(bytes, ptr);
    let model: WasmModel | undefined;
    let compiled: WasmCompiledModel | undefined;
    try {
      model = wasm.loadModel(env.liteRtEnvironment, ptr, bytes.byteLength);
      compiled = await wasm.compileModel(env.liteRtEnvironment, model, { environment: env, accelerator: 'wasm', cpuOptions: { numThreads: 1 }, gpuOptions: {}, webNNOptions: {} });
      return new LitertModel(liteRt, model, compiled, ptr, version, wasmFile, source);
    } catch (e) {
      compiled?.delete();
      model?.delete();
      wasm._free(ptr);
      if (e instanceof BadInputError) {
        throw e;
      }
      throw new BadInputError(`LiteRT.js rejected ${source}: ${e instanceof Error ? e.message : String(e)}`, source);
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
    const wasm = this.liteRt.liteRtWasm;
    const info = this.inputs[0];
    const data = new TYPED[info.dataType as keyof typeof TYPED](this.inputSize);
    if (input.length !== data.length) {
      throw new BadInputError(`LiteRT.js: the model takes ${data.length} input values, got ${input.length}`);
    }
    data.set(input);
    const env = this.liteRt.getDefaultEnvironment();
    const type = this.model.getInputTensorType(0, 0);
    let buffer: WasmTensorBuffer;
    try {
      buffer = wasm.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, wasm.LiteRtTensorBufferType.HOST_MEMORY, type, info.bytes);
    } finally {
      type.delete();
    }
    let outs: WasmTensorBuffer[] = [];
    try {
      const p = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      wasm.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
      buffer.unlock();
      outs = await this.compiled.run(0, [buffer]);
      const out = outs[0];
      const q = out.lock(wasm.LiteRtTensorBufferLockMode.READ);
      try {
        const raw = wasm.HEAPU8.slice(q, q + this.outputs[0].bytes);
        const T = TYPED[this.outputs[0].dataType as keyof typeof TYPED];
        return new T(raw.buffer, 0, raw.byteLength / T.BYTES_PER_ELEMENT);
      } finally {
        out.unlock();
      }
    } finally {
      buffer.delete();
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
    this.model.delete();
    this.liteRt.liteRtWasm._free(this.modelPtr);
  }
}
