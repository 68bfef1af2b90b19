/**
 * Keras model JSON → flat layer graph: Sequential and Functional in Keras 2, Keras 3 and
 * tfjs-layers spellings, Keras < 2.4 without an InputLayer, nested models (flattened, names
 * kept unless they repeat), Keras 3 weight-file keys, and the refusals that must come before
 * any weight is read (subclassed models, shared layers, several inputs, channels_first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadInputError } from '../../src/engine/errors';
import { flattenTopology, toSnakeCase } from '../../src/engine/import/topology';

const input = (name: string, shape: (number | null)[]) => ({ class_name: 'InputLayer', config: { name, batch_input_shape: shape, dtype: 'float32' }, name, inbound_nodes: [] });
const dense = (name: string, units: number) => ({ class_name: 'Dense', config: { name, units, activation: 'relu' } });
/** A Keras 2 Functional layer entry with its inbound layer names. */
const k2 = (l: { class_name: string; config: Record<string, unknown> }, ...from: string[]) => ({ ...l, name: String(l.config.name), inbound_nodes: [from.map((f) => [f, 0, 0, {}])] });
/** The same in Keras 3's format: {args: [keras tensors], kwargs}; several inputs are one list argument. */
const tensor = (from: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [from, 0, 0] } });
const k3 = (l: { class_name: string; config: Record<string, unknown> }, ...from: string[]) => ({
  ...l,
  name: String(l.config.name),
  inbound_nodes: [{ args: from.length === 1 ? [tensor(from[0])] : [from.map(tensor)], kwargs: {} }],
});

void test("Keras 3's snake case of class names (the .keras weight keys)", () => {
  assert.equal(toSnakeCase('Conv2D'), 'conv2d');
  assert.equal(toSnakeCase('MaxPooling2D'), 'max_pooling2d');
  assert.equal(toSnakeCase('BatchNormalization'), 'batch_normalization');
  assert.equal(toSnakeCase('DepthwiseConv2D'), 'depthwise_conv2d');
  assert.equal(toSnakeCase('GlobalAveragePooling2D'), 'global_average_pooling2d');
  assert.equal(toSnakeCase('ReLU'), 're_lu');
  assert.equal(toSnakeCase('InputLayer'), 'input_layer');
});

void test('Sequential: a chain from the InputLayer; Keras 3 keys rank layers of one class', () => {
  const flat = flattenTopology(
    { class_name: 'Sequential', config: { name: 'seq', layers: [input('in', [null, 4]), dense('dense_7', 3), dense('dense_9', 2), { class_name: 'Dropout', config: { name: 'dropout_3', rate: 0.5 } }] } },
    'm',
  );
  assert.deepEqual(
    flat.layers.map((l) => [l.name, l.inbound, l.v3Key]),
    [
      ['in', [], ''],
      ['dense_7', ['in'], 'layers/dense'],
      ['dense_9', ['dense_7'], 'layers/dense_1'],
      ['dropout_3', ['dense_9'], 'layers/dropout'],
    ],
  );
  assert.deepEqual(flat.inputs, ['in']);
  assert.deepEqual(flat.outputs, ['dropout_3']);
});

void test('Keras < 2.4 / tfjs-layers: no InputLayer, the first layer carries the input shape', () => {
  const first = { class_name: 'Dense', config: { name: 'dense', units: 3, batch_input_shape: [null, 5] } };
  const flat = flattenTopology({ class_name: 'Sequential', config: { name: 's', layers: [first, dense('dense_1', 2)] } }, 'm');
  assert.equal(flat.layers[0].className, 'InputLayer');
  assert.deepEqual(flat.layers[0].config.batch_input_shape, [null, 5]);
  assert.deepEqual(flat.layers[1].inbound, [flat.layers[0].name]);
  // Keras 3's batch_shape becomes batch_input_shape; a dtype policy becomes its name.
  const k3in = { class_name: 'InputLayer', config: { name: 'i', batch_shape: [null, 2], dtype: { class_name: 'DTypePolicy', config: { name: 'float32' } } } };
  const f3 = flattenTopology({ class_name: 'Sequential', config: { name: 's', layers: [k3in, dense('d', 1)] } }, 'm');
  assert.deepEqual(f3.layers[0].config.batch_input_shape, [null, 2]);
  assert.equal(f3.layers[0].config.dtype, 'float32');
});

for (const [label, node] of [
  ['Keras 2', k2],
  ['Keras 3', k3],
] as const) {
  void test(`Functional (${label} inbound_nodes): branches, Add and Concatenate keep their input order`, () => {
    const layers = [
      input('x', [null, 4]),
      node(dense('a', 4), 'x'),
      node(dense('b', 4), 'x'),
      node({ class_name: 'Add', config: { name: 'add' } }, 'a', 'b'),
      node({ class_name: 'Concatenate', config: { name: 'cat', axis: -1 } }, 'b', 'add'),
      node(dense('out', 2), 'cat'),
    ];
    // Listed out of order on purpose: the reader orders by dependencies.
    const shuffled = [layers[0], layers[3], layers[1], layers[5], layers[2], layers[4]];
    const refs = label === 'Keras 3' ? { input_layers: ['x', 0, 0], output_layers: ['out', 0, 0] } : { input_layers: [['x', 0, 0]], output_layers: [['out', 0, 0]] };
    const flat = flattenTopology({ class_name: 'Functional', config: { name: 'f', layers: shuffled, ...refs } }, 'm');
    const by = new Map(flat.layers.map((l) => [l.name, l]));
    assert.deepEqual(by.get('add')?.inbound, ['a', 'b']);
    assert.deepEqual(by.get('cat')?.inbound, ['b', 'add']);
    const order = flat.layers.map((l) => l.name);
    for (const l of flat.layers) {
      for (const i of l.inbound) {
        assert.ok(order.indexOf(i) < order.indexOf(l.name), `${i} before ${l.name}`);
      }
    }
    assert.deepEqual(flat.outputs, ['out']);
    // Keras 3 Functional models count their InputLayers among their layers.
    assert.equal(by.get('a')?.v3Key, 'layers/dense');
  });
}

void test('nested models (Teachable Machine shape) flatten into one graph; repeated names get their model prefix', () => {
  const base = {
    class_name: 'Functional',
    config: {
      name: 'base',
      layers: [input('input_1', [null, 4]), k2(dense('conv', 4), 'input_1'), k2(dense('dense', 4), 'conv')],
      input_layers: [['input_1', 0, 0]],
      output_layers: [['dense', 0, 0]],
    },
  };
  const inner = { class_name: 'Sequential', config: { name: 'sequential_1', layers: [input('sequential_1_in', [null, 4]), base] } };
  const head = { class_name: 'Sequential', config: { name: 'sequential_3', layers: [input('head_in', [null, 4]), dense('dense', 2)] } };
  const flat = flattenTopology({ class_name: 'Sequential', config: { name: 'top', layers: [input('top_in', [null, 4]), inner, head] } }, 'm');
  assert.deepEqual(
    flat.layers.map((l) => [l.name, l.inbound, l.path.join('/'), l.v3Key]),
    [
      ['top_in', [], 'top_in', ''],
      ['conv', ['top_in'], 'sequential_1/base/conv', 'layers/sequential/layers/functional/layers/dense'],
      ['sequential_1_base_dense', ['conv'], 'sequential_1/base/dense', 'layers/sequential/layers/functional/layers/dense_1'],
      ['sequential_3_dense', ['sequential_1_base_dense'], 'sequential_3/dense', 'layers/sequential_1/layers/dense'],
    ],
  );
  assert.deepEqual(flat.inputs, ['top_in']);
  assert.deepEqual(flat.outputs, ['sequential_3_dense']);
});

function refuses(model: unknown, pattern: RegExp): void {
  assert.throws(
    () => flattenTopology(model, 'model.h5'),
    (e: Error) => e instanceof BadInputError && pattern.test(e.message),
  );
}

void test('refusals name the problem: subclassed, shared layer, several inputs, channels_first, unknown inbound', () => {
  refuses({ class_name: 'MyModel', config: { name: 'my_model' }, registered_name: 'Custom>MyModel' }, /subclassed Keras model of class 'MyModel' \(registered as 'Custom>MyModel'\).*call\(\) method/);
  const shared = {
    class_name: 'Functional',
    config: {
      name: 'f',
      layers: [input('x', [null, 4]), { ...dense('d', 4), name: 'd', inbound_nodes: [[['x', 0, 0, {}]], [['d', 0, 0, {}]]] }],
      input_layers: [['x', 0, 0]],
      output_layers: [['d', 1, 0]],
    },
  };
  refuses(shared, /layer 'd' \(Dense\) is shared: the model calls it 2 times/);
  const twoInputs = {
    class_name: 'Functional',
    config: {
      name: 'f',
      layers: [input('x', [null, 4]), input('y', [null, 4]), k2({ class_name: 'Add', config: { name: 'add' } }, 'x', 'y')],
      input_layers: [
        ['x', 0, 0],
        ['y', 0, 0],
      ],
      output_layers: [['add', 0, 0]],
    },
  };
  refuses(twoInputs, /2 input\(s\) and 1 output\(s\)/);
  refuses(
    { class_name: 'Sequential', config: { name: 's', layers: [input('i', [null, 1, 8, 8]), { class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: 3, data_format: 'channels_first' } }] } },
    /layer c \(Conv2D\) uses data_format 'channels_first'/,
  );
  refuses(
    { class_name: 'Functional', config: { name: 'f', layers: [input('x', [null, 4]), k2(dense('d', 2), 'nope')], input_layers: [['x', 0, 0]], output_layers: [['d', 0, 0]] } },
    /takes its input from 'nope'/,
  );
  refuses({ class_name: 'Sequential', config: { name: 's', layers: [dense('d', 2)] } }, /does not say its input shape/);
});
