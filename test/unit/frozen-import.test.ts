/**
 * Keras' `trainable` through the importers and writers, against files written by other tools:
 * - a Keras-2-layout .h5 written here with h5py: a nested Sequential whose layers say
 *   `trainable: false`, and the same with only the nested model saying it (Keras 3 style);
 * - a TF.js model.json written by stock tfjs-layers with `layer.trainable = false`;
 * - our .h5 and TF.js writers keep it: h5py reads it back, our importer and stock tfjs-layers too;
 * - `train.freeze` names layers and nested models (Teachable Machine's 'model1'), and an unknown
 *   name is a BadInputError listing the names (the CLI's exit 2: frozen-cli.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { BadInputError } from '../../src/engine/errors';
import { applyFreeze, freezableNames } from '../../src/engine/graph/freeze';
import type { ModelGraph } from '../../src/engine/graph/types';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { saveTfjsGraph } from '../../src/engine/export/tfjsGraph';
import { loadModelFile } from '../../src/engine/import/index';
import { FIXTURES_DIR, python, requireH5py, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('frozen-import');
  await tf.setBackend('cpu');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const frozenNames = (g: ModelGraph): string[] => g.layers.filter((l) => l.trainable === false).map((l) => l.name);

/** tf.keras 2.x model_config: outer Sequential → nested Sequential 'base' (conv, bn, gap) → Dense 'head'. */
function nestedConfig(opts: { layersFrozen: boolean; modelFrozen: boolean }): object {
  const t = !opts.layersFrozen;
  return {
    class_name: 'Sequential',
    config: {
      name: 'outer',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 6, 3], dtype: 'float32', name: 'base_input' } },
        {
          class_name: 'Sequential',
          config: {
            name: 'base',
            ...(opts.modelFrozen ? { trainable: false } : {}),
            layers: [
              { class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 6, 3], dtype: 'float32', name: 'img' } },
              { class_name: 'Conv2D', config: { name: 'conv', trainable: t, dtype: 'float32', filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true } },
              { class_name: 'BatchNormalization', config: { name: 'bn', trainable: t, dtype: 'float32', axis: [3], momentum: 0.99, epsilon: 0.001, center: true, scale: true } },
              { class_name: 'GlobalAveragePooling2D', config: { name: 'gap', trainable: t, dtype: 'float32' } },
            ],
          },
        },
        { class_name: 'Dense', config: { name: 'head', trainable: true, dtype: 'float32', units: 2, activation: 'softmax', use_bias: true } },
      ],
    },
  };
}

const WRITE_NESTED_H5 = String.raw`
import h5py, sys
import numpy as np
out, cfg = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(3)
f = h5py.File(out, 'w')
f.attrs['keras_version'] = '2.15.0'
f.attrs['backend'] = 'tensorflow'
f.attrs['model_config'] = cfg
mw = f.create_group('model_weights')
mw.attrs['layer_names'] = [b'base_input', b'base', b'head']
mw.create_group('base_input').attrs['weight_names'] = np.array([], dtype='S1')
# A nested model keeps all its weights in its top-level group: trainable ones first, as Keras lists them.
base = {'conv/kernel:0': (3, 3, 3, 4), 'conv/bias:0': (4,), 'bn/gamma:0': (4,), 'bn/beta:0': (4,), 'bn/moving_mean:0': (4,), 'bn/moving_variance:0': (4,)}
head = {'head/kernel:0': (4, 2), 'head/bias:0': (2,)}
for group, ws in (('base', base), ('head', head)):
    g = mw.create_group(group)
    g.attrs['weight_names'] = [n.encode() for n in ws]
    for n, s in ws.items():
        v = rng.uniform(0.5, 1.5, s) if 'variance' in n else rng.normal(0, 0.5, s)
        g.create_dataset(n, data=v.astype('float32'))
f.close()
`;

const READ_TRAINABLE = String.raw`
import h5py, json, sys
cfg = json.loads(h5py.File(sys.argv[1], 'r').attrs['model_config'])
def walk(m):
    for l in m['config']['layers']:
        if 'layers' in l['config']:
            yield from walk(l)
        elif l['class_name'] != 'InputLayer':
            yield [l['config']['name'], l['config'].get('trainable')]
print(json.dumps(list(walk(cfg))))
`;

for (const variant of [
  { layersFrozen: true, modelFrozen: false, what: "the nested model's layers say trainable: false (tf.keras 2.x)" },
  { layersFrozen: false, modelFrozen: true, what: 'only the nested model says trainable: false' },
]) {
  void test(`Keras-2-layout .h5 written by h5py: ${variant.what} → those layers are frozen, with their nested-model path`, async (t) => {
    if (!requireH5py(t)) {
      return;
    }
    const file = path.join(dir, `nested-${variant.modelFrozen ? 'model' : 'layers'}.h5`);
    python(WRITE_NESTED_H5, [file, JSON.stringify(nestedConfig(variant))]);
    const g = await loadModelFile(file);
    assert.deepEqual(frozenNames(g), ['conv', 'bn', 'gap']);
    assert.deepEqual(
      g.layers.map((l) => [l.name, l.modelPath ?? []]),
      [
        ['base_input', []],
        ['conv', ['base']],
        ['bn', ['base']],
        ['gap', ['base']],
        ['head', []],
      ],
    );
    assert.deepEqual(freezableNames(g).models, ['base']);
  });
}

void test('our .h5 writer keeps trainable: h5py reads false for the frozen layers; our importer reads them back', async (t) => {
  if (!requireH5py(t)) {
    return;
  }
  const src = path.join(dir, 'src.h5');
  python(WRITE_NESTED_H5, [src, JSON.stringify(nestedConfig({ layersFrozen: false, modelFrozen: false }))]);
  const g = applyFreeze(await loadModelFile(src), ['base']);
  const out = path.join(dir, 'frozen_out.h5');
  await saveKerasH5Graph(g, out);
  assert.deepEqual(JSON.parse(python(READ_TRAINABLE, [out])), [
    ['conv', false],
    ['bn', false],
    ['gap', false],
    ['head', true],
  ]);
  assert.deepEqual(frozenNames(await loadModelFile(out)), ['conv', 'bn', 'gap']);
});

void test('TF.js: a model.json from stock tfjs-layers with layer.trainable = false imports frozen; ours round-trips into stock tfjs-layers', async () => {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [5], units: 4, activation: 'relu', name: 'base_dense' }), tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' })],
  });
  model.getLayer('base_dense').trainable = false;
  const folder = path.join(dir, 'stock');
  await fs.mkdir(folder, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const json = { format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers', convertedBy: null, modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
      await fs.writeFile(path.join(folder, 'model.json'), JSON.stringify(json));
      await fs.writeFile(path.join(folder, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  const g = await loadModelFile(path.join(folder, 'model.json'));
  assert.deepEqual(frozenNames(g), ['base_dense']);

  const ours = path.join(dir, 'ours');
  await saveTfjsGraph(g, ours);
  const written = JSON.parse(await fs.readFile(path.join(ours, 'model.json'), 'utf8')) as { modelTopology: object };
  const back = await tfl.loadLayersModel(tf.io.fromMemory(written.modelTopology));
  assert.deepEqual(
    // (tfjs-layers' own InputLayer is never trainable.)
    back.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => [l.name, l.trainable]),
    [
      ['base_dense', false],
      ['head', true],
    ],
  );
  back.dispose();
  assert.deepEqual(frozenNames(await loadModelFile(path.join(ours, 'model.json'))), ['base_dense']);
});

void test("train.freeze on the Teachable Machine file: 'model1' freezes MobileNetV2's layers, {upTo} the same; an unknown name lists the names", async () => {
  const g = await loadModelFile(path.join(FIXTURES_DIR, 'teachable_machine_keras_model.h5'));
  assert.equal(frozenNames(g).length, 0, 'the file itself says trainable: true everywhere');
  const conv1 = g.layers.find((l) => l.name === 'Conv1');
  assert.deepEqual(conv1?.modelPath, ['sequential_1', 'model1']);
  assert.deepEqual(freezableNames(g).models, ['sequential_1', 'model1', 'sequential_3']);
  const inModel1 = g.layers.filter((l) => l.modelPath?.includes('model1') && l.className !== 'InputLayer').map((l) => l.name);
  assert.equal(inModel1.length, 154);
  const byModel = applyFreeze(g, ['model1']);
  assert.deepEqual(frozenNames(byModel), inModel1);
  const last = inModel1[inModel1.length - 1];
  assert.deepEqual(frozenNames(applyFreeze(g, { upTo: last })), inModel1);
  // The head (sequential_3's two Dense layers) still trains.
  assert.deepEqual(
    byModel.layers.filter((l) => l.trainable !== false && l.weights.length).map((l) => l.name),
    g.layers.filter((l) => l.modelPath?.includes('sequential_3') && l.weights.length).map((l) => l.name),
  );
  assert.throws(
    () => applyFreeze(g, ['model_1']),
    (e: unknown) => e instanceof BadInputError && /train\.freeze\[0\] names "model_1"/.test(e.message) && /Did you mean "model1"\?/.test(e.message) && /"sequential_1", "model1", "sequential_3"/.test(e.message) && /"Conv1"/.test(e.message),
  );
  assert.deepEqual(frozenNames(applyFreeze(applyFreeze(g, ['model1']), 'none')), []);
});
