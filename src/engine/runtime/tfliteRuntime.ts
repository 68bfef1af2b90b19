/**
 * The real TFLite runtime, as shipped in @tensorflow/tfjs-tflite: its Emscripten module
 * (`wasm/tflite_web_api_cc[_simd].js`) loaded in Node with the wasm bytes passed in, and its
 * TFLiteWebModelRunner (the interpreter behind tfjs-tflite's loadTFLiteModel, which itself
 * needs a browser). One sample per Infer(): the runner cannot resize inputs.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { inputValue, type Features } from '../data/dataset';

type HeapArray = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | Float64Array;

interface EmTensorInfo {
  id: number;
  dataType: string;
  name: string;
  shape: string;
  data(): HeapArray;
  delete(): void;
}
interface EmVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
interface EmProfileItem {
  nodeType: string;
  nodeName: string;
  nodeExecMs: number;
}
interface EmRunner {
  GetInputs(): EmVector<EmTensorInfo>;
  GetProfilingResults(): EmVector<EmProfileItem>;
  GetOutputs(): EmVector<EmTensorInfo>;
  Infer(): boolean;
  delete(): void;
}
interface EmStatusOr {
  ok(): boolean;
  errorMessage(): string;
  value(): EmRunner;
  delete(): void;
}
interface TfliteModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, opts: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number }): EmStatusOr;
  };
}

/** One executed node from the runtime's profiler: a builtin kernel ('FULLY_CONNECTED', …) or a delegate partition ('TfLiteXNNPackDelegate'). */
export interface ProfiledNode {
  type: string;
  name: string;
}

export interface TfliteLoadOptions {
  /** Record which kernels run (the interpreter's op profiler); costs a little per Infer(). */
  profile?: boolean;
}

export interface TensorInfo {
  name: string;
  dataType: string;
  shape: number[];
}

let modulePromise: Promise<{ module: TfliteModule; variant: string }> | null = null;

function wasmDir(): string {
  const req = createRequire(__filename);
  return path.join(path.dirname(req.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
}

function simdSupported(): boolean {
  // A minimal module using one v128 instruction (i32x4.splat): validates only with SIMD.
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** Loads the runtime once per process. `variant` is 'simd' or 'plain'. */
export function loadTfliteRuntime(): Promise<{ module: TfliteModule; variant: string }> {
  modulePromise ??= (async () => {
    const dir = wasmDir();
    const variant = simdSupported() ? 'simd' : 'plain';
    const base = variant === 'simd' ? 'tflite_web_api_cc_simd' : 'tflite_web_api_cc';
    const wasmBinary = await fs.readFile(path.join(dir, `${base}.wasm`));
    const req = createRequire(__filename);
    const factory = req(path.join(dir, `${base}.js`)) as (m: object) => Promise<TfliteModule>;
    const module = await factory({
      wasmBinary,
      print: () => undefined,
      printErr: () => undefined,
    });
    return { module, variant };
  })();
  modulePromise.catch(() => {
    modulePromise = null;
  });
  return modulePromise;
}

function vectorToArray<T>(v: EmVector<T>): T[] {
  const out: T[] = [];
  for (let i = 0; i < v.size(); i++) {
    out.push(v.get(i));
  }
  v.delete();
  return out;
}

/** One loaded model in the real runtime. Call dispose() when done. */
export class TfliteModel {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private readonly inTensor: EmTensorInfo;
  private readonly outTensor: EmTensorInfo;
  private disposed = false;

  private constructor(
    private readonly module: TfliteModule,
    private readonly runner: EmRunner,
    private readonly ptr: number,
    readonly runtimeVariant: string,
  ) {
    const ins = vectorToArray(runner.GetInputs());
    const outs = vectorToArray(runner.GetOutputs());
    const info = (t: EmTensorInfo): TensorInfo => ({ name: t.name, dataType: t.dataType, shape: t.shape.split(',').filter(Boolean).map(Number) });
    this.inputs = ins.map(info);
    this.outputs = outs.map(info);
    if (ins.length !== 1 || outs.length !== 1) {
      throw new BadInputError(`the TFLite model has ${ins.length} inputs and ${outs.length} outputs; expected one of each`);
    }
    this.inTensor = ins[0];
    this.outTensor = outs[0];
  }

  static async load(bytes: Uint8Array, source = 'model', opts: TfliteLoadOptions = {}): Promise<TfliteModel> {
    const { module, variant } = await loadTfliteRuntime();
    const ptr = module._malloc(bytes.length);
    module.HEAPU8.set(bytes, ptr);
    let status: EmStatusOr;
    try {
      status = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length, {
        // One thread: the Node build has no worker threads, and single-sample latency is what we time.
        numThreads: 1,
        enableProfiling: !!opts.profile,
        maxProfilingBufferEntries: 1024,
      });
    } catch (err) {
      // The file passed our flatbuffer verifier, yet the runtime trapped on it (a wasm abort
      // leaves the module unusable: the next load starts a fresh one).
      modulePromise = null;
      throw new BadInputError(
        `the TFLite runtime cannot load ${source}: ${(err as Error).message}. The file is damaged or uses something this runtime does not support: export or convert the model again.`,
        source,
      );
    }
    if (!status.ok()) {
      const msg = status.errorMessage();
      status.delete();
      module._free(ptr);
      throw new BadInputError(`the TFLite runtime rejected ${source}: ${msg}`, source);
    }
    const runner = status.value();
    status.delete();
    return new TfliteModel(module, runner, ptr, variant);
  }

  get inputSize(): number {
    return this.inputs[0].shape.reduce((a, b) => a * b, 1);
  }

  get outputSize(): number {
    return this.outputs[0].shape.reduce((a, b) => a * b, 1);
  }

  /** Runs one inference on raw input values (already in the input tensor's type); returns a copy of the output. */
  run(input: ArrayLike<number>): HeapArray {
    if (this.disposed) {
      throw new Error('TfliteModel used after dispose()');
    }
    // data() views the wasm heap; take fresh views each time (the heap can grow).
    this.inTensor.data().set(input);
    if (!this.runner.Infer()) {
      throw new Error('TFLite inference failed');
    }
    return this.outTensor.data().slice();
  }

  /**
   * Runs a batch of samples (uint8 bytes are scaled by 1/255, float32 used as is) for float inputs; for an int8
   * input tensor quantizes with `inputQuant`. Returns the raw outputs concatenated.
   */
  runImages(images: Features, start: number, count: number, features: number, prepare?: (pixels: Features) => ArrayLike<number>): HeapArray[] {
    const outs: HeapArray[] = [];
    const buf = new Float32Array(features);
    for (let n = 0; n < count; n++) {
      const px = images.subarray((start + n) * features, (start + n + 1) * features);
      let input: ArrayLike<number>;
      if (prepare) {
        input = prepare(px);
      } else {
        for (let i = 0; i < features; i++) {
          buf[i] = inputValue(px, i);
        }
        input = buf;
      }
      outs.push(this.run(input));
    }
    return outs;
  }

  /**
   * The nodes the interpreter executed so far (needs `profile` at load), one entry per node
   * per run: XNNPACK partitions appear as a single 'TfLiteXNNPackDelegate' node, ops left to
   * TFLite's builtin kernels under their own names.
   */
  profiledNodes(): ProfiledNode[] {
    const v = this.runner.GetProfilingResults();
    const out: ProfiledNode[] = [];
    for (let i = 0; i < v.size(); i++) {
      const it = v.get(i);
      out.push({ type: it.nodeType, name: it.nodeName });
    }
    v.delete();
    return out;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.runner.delete();
    this.module._free(this.ptr);
  }
}
