/**
 * `backend: auto` picks tfjs-node whenever it loads (issue 15). tfjs-node cannot be installed on
 * this machine (its install downloads libtensorflow), so the module's resolution is stubbed at
 * Node's loader (Module._load): the exact require call the engine makes sees, in turn, a missing
 * package, a package whose native library fails to load, a package that registers its backend in
 * another copy of tfjs-core, and one that registers the 'tensorflow' backend as the real one does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../src/engine/backend';
import { BadInputError } from '../../src/engine/errors';
import { chooseTrainer } from '../../src/engine/train/createTrainer';
import { buildSequential } from '../../src/engine/graph/build';

const TFJS_NODE = ['@tensorflow', 'tfjs-node'].join('/');
type Behaviour = 'missing' | 'native-library-fails' | 'other-tfjs-core' | 'registers';
let behaviour: Behaviour = 'missing';
let requests = 0;

const loader = Module as unknown as { _load: (this: unknown, request: string, parent: unknown, isMain: boolean) => unknown };
const realLoad = loader._load;
loader._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
  if (request !== TFJS_NODE) {
    return realLoad.call(this, request, parent, isMain);
  }
  requests++;
  switch (behaviour) {
    case 'missing': {
      const err = new Error(`Cannot find module '${TFJS_NODE}'`) as NodeJS.ErrnoException;
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    case 'native-library-fails':
      throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
    case 'other-tfjs-core':
      // Loads, but its backend went into its own nested copy of tfjs-core: ours has none.
      return {};
    case 'registers':
      // What tfjs-node does on load: registers the 'tensorflow' backend with a high priority.
      if (tf.findBackendFactory('tensorflow') === null) {
        tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
      }
      return {};
  }
};

void test('auto falls back to wasm with the reason, and node fails clearly, while tfjs-node is unusable', async () => {
  behaviour = 'missing';
  let info = await initBackend('auto');
  assert.equal(info.tfjs, 'wasm');
  assert.match(info.detail ?? '', /tfjs-node is not installed/);

  behaviour = 'native-library-fails';
  info = await initBackend('auto');
  assert.equal(info.tfjs, 'wasm');
  assert.match(info.detail ?? '', /tfjs-node failed to load: libtensorflow\.so\.2/);
  await assert.rejects(initBackend('node'), (e: unknown) => e instanceof BadInputError && /libtensorflow/.test(e.message));

  behaviour = 'other-tfjs-core';
  info = await initBackend('auto');
  assert.equal(info.tfjs, 'wasm');
  assert.match(info.detail ?? '', /another copy of @tensorflow\/tfjs-core/);
  assert.ok(requests >= 4, `the engine asked for tfjs-node ${requests} times`);
});

void test('auto picks tfjs-node when it loads, and CNNs then train on it through the graph trainer', async () => {
  behaviour = 'registers';
  const info = await initBackend('auto');
  assert.equal(info.tfjs, 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.equal(info.detail, 'native TensorFlow (tfjs-node)');
  const node = await initBackend('node');
  assert.equal(node.tfjs, 'tensorflow');
  // Our wasm kernels are not involved: a CNN takes TF.js ops (autodiff) on the native backend,
  // whose own kernels (multi-threaded) compute every gradient.
  const cnn = buildSequential('cnn', [28, 28, 1], [
    { className: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], activation: 'relu' } },
    { className: 'Flatten', config: {} },
    { className: 'Dense', config: { units: 10, activation: 'softmax' } },
  ], 1);
  assert.equal(chooseTrainer(info, cnn), 'tfjs-graph');
  // Switching back to wasm afterwards still works (the extension's backend setting can change).
  const wasm = await initBackend('wasm');
  assert.equal(wasm.tfjs, 'wasm');
});
