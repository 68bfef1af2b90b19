/**
 * Models the engine cannot run are refused by loadModelFile before any work, as a
 * BadInputError (the CLI's exit 2) that names the problem and the fix: unsupported layers
 * (every one, with its class, and the supported list), a subclassed Keras 3 model (no layer
 * graph in the file), channels_first, several inputs. Files are written with h5py / zipfile.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BadInputError } from '../../src/engine/errors';
import { loadModelFile } from '../../src/engine/import/index';
import { supportedClassNames } from '../../src/engine/layers/registry';
import { python, requireH5py, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('import-refusals');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A legacy .h5 with `config` as model_config and no weights (the refusals come first). */
const WRITE_H5 = String.raw`
import h5py, sys
f = h5py.File(sys.argv[1], 'w')
f.attrs['keras_version'] = '2.15.0'
f.attrs['backend'] = 'tensorflow'
f.attrs['model_config'] = sys.argv[2]
mw = f.create_group('model_weights')
mw.attrs['layer_names'] = []
f.close()
`;

const WRITE_KERAS = String.raw`
import io, json, sys, zipfile, h5py
out, config = sys.argv[1], sys.argv[2]
buf = io.BytesIO()
h = h5py.File(buf, 'w')
h.create_group('vars')
h.close()
with zipfile.ZipFile(out, 'w') as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.13.2', 'date_saved': '2026-04-14@23:15:01'}))
    z.writestr('config.json', config)
    z.writestr('model.weights.h5', buf.getvalue())
`;

const input = { class_name: 'InputLayer', config: { batch_input_shape: [null, 10, 8], name: 'x' } };
const seq = (...layers: object[]) => JSON.stringify({ class_name: 'Sequential', config: { name: 'sequential', layers: [input, ...layers] } });

async function refused(file: string, pattern: RegExp): Promise<string> {
  let message = '';
  await assert.rejects(loadModelFile(file), (e: Error) => {
    message = e.message;
    return e instanceof BadInputError && pattern.test(e.message);
  });
  return message;
}

void test('unsupported layers: all of them named with their class, and the supported list', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const file = path.join(dir, 'rnn.h5');
  python(WRITE_H5, [file, seq({ class_name: 'LSTM', config: { name: 'lstm', units: 4 } }, { class_name: 'Lambda', config: { name: 'my_lambda', function: 'x' } }, { class_name: 'Dense', config: { name: 'd', units: 2 } })]);
  const msg = await refused(file, /2 layers 'lstm' \(LSTM\), 'my_lambda' \(Lambda\) are not supported/);
  assert.ok(msg.includes(`Supported layers: ${supportedClassNames().join(', ')}.`), msg);
});

void test('a subclassed Keras 3 model is refused with the reason', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const file = path.join(dir, 'subclassed.keras');
  const config = { module: null, class_name: 'MyModel', config: { name: 'my_model', trainable: true }, registered_name: 'MyModel', build_config: { input_shape: [null, 28, 28, 1] } };
  python(WRITE_KERAS, [file, JSON.stringify(config)]);
  await refused(file, /subclassed Keras model of class 'MyModel'.*Python code.*Rebuild it as a Sequential or Functional model/s);
});

void test('channels_first and several inputs are refused', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const cf = path.join(dir, 'channels_first.h5');
  python(WRITE_H5, [cf, seq({ class_name: 'Conv2D', config: { name: 'conv', filters: 2, kernel_size: [3, 3], data_format: 'channels_first' } })]);
  await refused(cf, /'channels_first'.*channels_last/s);
  const two = path.join(dir, 'two_inputs.keras');
  const tensor = (n: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [n, 0, 0] } });
  const functional = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'two',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'a' }, name: 'a', inbound_nodes: [] },
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', name: 'b' }, name: 'b', inbound_nodes: [] },
        { module: 'keras.layers', class_name: 'Add', config: { name: 'add' }, name: 'add', inbound_nodes: [{ args: [[tensor('a'), tensor('b')]], kwargs: {} }] },
      ],
      input_layers: [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
      output_layers: [['add', 0, 0]],
    },
  };
  python(WRITE_KERAS, [two, JSON.stringify(functional)]);
  await refused(two, /2 input\(s\) and 1 output\(s\).*one input and one output/s);
});
