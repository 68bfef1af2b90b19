/**
 * The Keras readers against an independent one: every weight of every fixture file (Keras
 * 2.14, 2.15, 3.13 and a Teachable Machine export) read by readModelFile equals, bit for bit,
 * what Debian's h5py reads (test/unit/keras_reference.py), attributed to the same layer. Then
 * the same .h5 in the layouts other Keras versions write (Keras 3's legacy saver, chunked
 * name lists, Keras < 2.4 without InputLayer), made from a real file with h5py, read the same.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BadInputError } from '../../src/engine/errors';
import { readModelFile, sniffModelFile } from '../../src/engine/import/index';
import type { ImportedModel } from '../../src/engine/import/types';
import { FIXTURES, FIXTURES_DIR, python, pythonReference, requireH5py, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('import-readers');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The imported weights of the layer whose configured name is `layer`. */
function weightsOf(m: ImportedModel, layer: string): { key: string; list: NonNullable<ReturnType<ImportedModel['weights']['get']>> } {
  const keys = [...m.weights.keys()].filter((k) => k.split('/').pop() === layer);
  assert.equal(keys.length, 1, `one layer named ${layer} (got ${keys.join(', ')})`);
  return { key: keys[0], list: m.weights.get(keys[0]) ?? [] };
}

for (const { file } of FIXTURES) {
  void test(`${file}: every weight equals h5py's, on the same layer`, async (t) => {
    if (!requireH5py(t)) {
      return;
    }
    const full = path.join(FIXTURES_DIR, file);
    const [ours, ref] = await Promise.all([readModelFile(full), pythonReference(full)]);
    assert.equal(ours.format, ref.format);
    assert.equal(ours.writtenBy, `keras ${ref.keras_version}`);
    assert.deepEqual(ours.topology, ref.topology, 'the model JSON as stored');
    let count = 0;
    for (const w of ref.weights) {
      const { key, list } = weightsOf(ours, w.layer);
      const mine = w.name === null ? list[w.index] : list.find((x) => x.name === w.name);
      assert.ok(mine, `${key}: weight ${w.name ?? w.index}`);
      assert.deepEqual(mine.shape, w.shape, `${key}/${w.name ?? w.index} shape`);
      assert.deepEqual(mine.data, w.data, `${key}/${w.name ?? w.index} values`);
      count++;
    }
    const total = [...ours.weights.values()].reduce((n, l) => n + l.length, 0);
    assert.equal(total, count, 'no weights beyond those h5py sees');
    assert.ok(count > 0);
  });
}

/** Rewrites the Keras 2.15 fixture with h5py into another Keras version's layout. */
const REWRITE = String.raw`
import h5py, json, sys, re
src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
s = h5py.File(src, 'r')
d = h5py.File(dst, 'w')
cfg = json.loads(s.attrs['model_config'])
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ('module', 'registered_name')}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
str_t = h5py.string_dtype('utf-8')
if mode == 'keras3':
    for l in cfg['config']['layers']:
        c = l['config']
        if 'batch_input_shape' in c:
            c['batch_shape'] = c.pop('batch_input_shape')
        c['dtype'] = {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}
    d.attrs['keras_version'] = '3.4.1'
elif mode == 'keras23':
    cfg = strip(cfg)
    layers = cfg['config']['layers']
    assert layers[0]['class_name'] == 'InputLayer'
    cfg['config']['layers'] = layers[1:]
    d.attrs['keras_version'] = '2.3.1'
else:
    d.attrs['keras_version'] = s.attrs['keras_version']
d.attrs['backend'] = 'tensorflow'
d.attrs['model_config'] = json.dumps(cfg)
mw = d.create_group('model_weights')
names = [text(n) for n in s['model_weights'].attrs['layer_names']]
if mode == 'chunked':
    half = len(names) // 2
    mw.attrs['layer_names0'] = [n.encode() for n in names[:half]]
    mw.attrs['layer_names1'] = [n.encode() for n in names[half:]]
elif mode == 'keras3':
    mw.attrs.create('layer_names', names, dtype=str_t)
else:
    mw.attrs['layer_names'] = [n.encode() for n in names]
for n in names:
    g = mw.create_group(n)
    wn = [text(w) for w in s['model_weights'][n].attrs['weight_names']]
    if mode == 'keras3':
        new = ['sequential/' + re.sub(r':0$', '', w) for w in wn]
        g.attrs.create('weight_names', new, dtype=str_t)
    elif mode == 'chunked' and len(wn) > 1:
        new = wn
        g.attrs['weight_names0'] = [w.encode() for w in wn[:1]]
        g.attrs['weight_names1'] = [w.encode() for w in wn[1:]]
    else:
        new = wn
        g.attrs['weight_names'] = [w.encode() for w in wn] if wn else []
    for old, w in zip(wn, new):
        g.create_dataset(w, data=s['model_weights'][n][old][()])
# Optimizer state as tf.keras writes it: ignored by readers.
if 'optimizer_weights' in s:
    s.copy('optimizer_weights', d)
d.close()
`;

for (const mode of ['keras3', 'chunked', 'keras23'] as const) {
  void test(`legacy .h5 in the ${mode === 'keras3' ? "Keras 3 legacy saver's" : mode === 'chunked' ? 'chunked name-list' : 'Keras < 2.4'} layout reads the same weights`, async (t) => {
    if (!requireH5py(t)) {
      return;
    }
    const src = path.join(FIXTURES_DIR, 'mnist_cnn_keras2.15.h5');
    const dst = path.join(dir, `${mode}.h5`);
    python(REWRITE, [src, dst, mode]);
    const [orig, variant] = await Promise.all([readModelFile(src), readModelFile(dst)]);
    assert.deepEqual([...variant.weights.keys()], [...orig.weights.keys()]);
    for (const [k, list] of orig.weights) {
      const other = variant.weights.get(k) ?? [];
      assert.deepEqual(
        other.map((w) => [w.name, w.shape, w.data]),
        list.map((w) => [w.name, w.shape, w.data]),
        k,
      );
    }
    if (mode === 'keras3') {
      assert.match(variant.weights.get('conv2d')?.[0].source ?? '', /^model_weights\/conv2d\/sequential\/conv2d\/kernel$/);
    }
  });
}

void test('a weights-only .h5 (save_weights, subclassed models) is refused with the reason', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const file = path.join(dir, 'weights_only.h5');
  python(
    String.raw`
import h5py, sys
f = h5py.File(sys.argv[1], 'w')
f.attrs['layer_names'] = [b'dense']
g = f.create_group('dense')
g.attrs['weight_names'] = [b'dense/kernel:0']
g.create_dataset('dense/kernel:0', data=[[1.0]])
`,
    [file],
  );
  await assert.rejects(readModelFile(file), (e: Error) => e instanceof BadInputError && /holds only weights/.test(e.message) && /subclassed/.test(e.message));
});

void test('files are recognised by content, not extension; others are refused naming the formats', async () => {
  const h5copy = path.join(dir, 'renamed.bin');
  await fs.copyFile(path.join(FIXTURES_DIR, 'mnist_cnn_keras2.15.h5'), h5copy);
  assert.equal(await sniffModelFile(h5copy), 'keras-h5');
  const kcopy = path.join(dir, 'renamed.h5');
  await fs.copyFile(path.join(FIXTURES_DIR, 'mnist_cnn_keras3.13.keras'), kcopy);
  assert.equal((await readModelFile(kcopy)).format, 'keras-v3');
  const junk = path.join(dir, 'model.tflite');
  await fs.writeFile(junk, Buffer.from('TFL3 not a keras model'));
  await assert.rejects(readModelFile(junk), (e: Error) => e instanceof BadInputError && /not a Keras \.h5, \.keras or TF\.js model\.json/.test(e.message) && /deployment output/.test(e.message));
  await assert.rejects(readModelFile(path.join(dir, 'missing.h5')), (e: Error) => e instanceof BadInputError && /does not exist/.test(e.message));
});

void test('a truncated .h5 is a clear error, and HDF5 prints nothing to the terminal', async () => {
  const bytes = await fs.readFile(path.join(FIXTURES_DIR, 'mnist_cnn_keras2.15.h5'));
  const file = path.join(dir, 'truncated.h5');
  await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
  const written: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await assert.rejects(readModelFile(file), (e: Error) => e instanceof BadInputError && /truncated|damaged/.test(e.message));
  } finally {
    process.stderr.write = orig;
  }
  assert.equal(written.join('').includes('HDF5-DIAG'), false, 'no HDF5 diagnostics on stderr');
});
