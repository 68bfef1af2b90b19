import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadData, readRawData } from '../../src/engine/data/load';
import { BadInputError } from '../../src/engine/errors';
import { config, python, tempDir } from './data-helpers';

const isBad = (re: RegExp) => (e: unknown): boolean => e instanceof BadInputError && re.test(e.message);

/** NumPy saves arrays (name → python expression) into `dir`; returns each array's values as a flat list. */
function save(dir: string, arrays: Record<string, string>, npz?: { file: string; compressed: boolean }): Record<string, (number | string)[]> {
  return python(
    `d, arrays, npz = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
rng = np.random.default_rng(9)
made = {k: eval(v) for k, v in arrays.items()}
if npz:
    (np.savez_compressed if npz['compressed'] else np.savez)(os.path.join(d, npz['file']), **made)
else:
    for k, a in made.items(): np.save(os.path.join(d, k + '.npy'), a)
print(json.dumps({k: (a.astype(np.float64).ravel().tolist() if a.dtype.kind == 'f' else a.ravel().tolist() if a.dtype.kind in 'uiUS' else []) for k, a in made.items()}))`,
    dir,
    JSON.stringify(arrays),
    JSON.stringify(npz ?? null),
  );
}

const four = (x: string, y: string, xt: string, yt: string) => ({ x_train: x, y_train: y, x_test: xt, y_test: yt });

void test('.npy uint8 images (N, H, W) with int64 labels: bytes and shape [H, W, 1] as NumPy saved them; "scale" by default', async () => {
  const dir = tempDir('npy-u8');
  const a = save(dir, four('rng.integers(0, 256, (12, 3, 4), dtype=np.uint8)', 'np.arange(12) % 3', 'rng.integers(0, 256, (5, 3, 4), dtype=np.uint8)', 'np.array([2, 1, 0, 1, 2])'));
  const cfg = config({ source: 'npy', trainImages: path.join(dir, 'x_train.npy'), trainLabels: path.join(dir, 'y_train.npy'), testImages: path.join(dir, 'x_test.npy'), testLabels: path.join(dir, 'y_test.npy') });
  const raw = await readRawData(cfg);
  assert.deepEqual(raw.shape, [3, 4, 1]);
  assert.ok(raw.train.x instanceof Uint8Array);
  assert.deepEqual([...raw.train.x], a.x_train);
  assert.deepEqual([...raw.test.labels], a.y_test);
  assert.deepEqual(raw.classNames, ['0', '1', '2']);
  const d = await loadData(cfg);
  assert.equal(d.normalization.kind, 'scale');
});

void test('.npy float32 and float64 samples (N, F) with string labels; float64 read as float32', async () => {
  const dir = tempDir('npy-f');
  for (const dtype of ['float32', 'float64']) {
    const a = save(dir, four(`rng.normal(size=(8, 6)).astype(np.${dtype})`, "np.array(['cat', 'dog'] * 4)", `rng.normal(size=(2, 6)).astype(np.${dtype})`, "np.array(['dog', 'cat'])"));
    const raw = await readRawData(config({ source: 'npy', trainImages: path.join(dir, 'x_train.npy'), trainLabels: path.join(dir, 'y_train.npy'), testImages: path.join(dir, 'x_test.npy'), testLabels: path.join(dir, 'y_test.npy') }));
    assert.ok(raw.train.x instanceof Float32Array, dtype);
    assert.deepEqual(raw.shape, [6]);
    assert.deepEqual([...raw.train.x], (a.x_train as number[]).map((v) => Math.fround(v)), dtype);
    assert.deepEqual(raw.classNames, ['cat', 'dog']);
    assert.deepEqual([...raw.test.labels], [1, 0]);
  }
});

void test('.npz as keras.datasets caches it (savez and savez_compressed), RGB samples', async () => {
  const dir = tempDir('npz');
  for (const compressed of [false, true]) {
    const a = save(dir, four('rng.integers(0, 256, (10, 2, 2, 3), dtype=np.uint8)', 'np.array([0, 1] * 5, dtype=np.uint8)', 'rng.integers(0, 256, (4, 2, 2, 3), dtype=np.uint8)', 'np.array([1, 0, 1, 0], dtype=np.uint8)'), { file: 'd.npz', compressed });
    const raw = await readRawData(config({ source: 'npy', npzFile: path.join(dir, 'd.npz') }));
    assert.deepEqual(raw.shape, [2, 2, 3]);
    assert.deepEqual([...raw.train.x], a.x_train, `compressed ${compressed}`);
    assert.deepEqual([...raw.test.x], a.x_test);
    assert.deepEqual([...raw.train.labels], a.y_train);
  }
  save(dir, { x_train: 'np.zeros((2, 2), np.uint8)', y_train: 'np.zeros(2, np.uint8)' }, { file: 'half.npz', compressed: false });
  await assert.rejects(readRawData(config({ source: 'npy', npzFile: path.join(dir, 'half.npz') })), isBad(/half\.npz: has no array x_test \(it holds x_train, y_train\)/));
});

void test('.npy errors: Fortran order, unsupported dtype, big-endian, label count, label not in classes', async () => {
  const dir = tempDir('npy-err');
  const cfg = config({ source: 'npy', trainImages: path.join(dir, 'x_train.npy'), trainLabels: path.join(dir, 'y_train.npy'), testImages: path.join(dir, 'x_test.npy'), testLabels: path.join(dir, 'y_test.npy') });
  const ok = { x_train: 'np.zeros((4, 3), np.float32)', y_train: 'np.array([0, 1, 0, 1])', x_test: 'np.zeros((2, 3), np.float32)', y_test: 'np.array([0, 1])' };
  save(dir, { ...ok, x_train: 'np.asfortranarray(np.arange(12, dtype=np.float32).reshape(4, 3))' });
  await assert.rejects(readRawData(cfg), isBad(/x_train\.npy: is stored in Fortran \(column-major\) order\. Save it in C order/));
  save(dir, { ...ok, x_train: 'np.zeros((4, 3), np.complex64)' });
  await assert.rejects(readRawData(cfg), isBad(/x_train\.npy: has dtype <c8, which is not supported/));
  save(dir, { ...ok, x_train: 'np.zeros((4, 3), np.int16)' });
  await assert.rejects(readRawData(cfg), isBad(/x_train\.npy: has dtype <i2; samples must be uint8 or float32/));
  save(dir, { ...ok, x_train: "np.zeros((4, 3), '>f4')" });
  await assert.rejects(readRawData(cfg), isBad(/has big-endian dtype >f4/));
  save(dir, { ...ok, y_train: 'np.array([0, 1, 0])' });
  await assert.rejects(readRawData(cfg), isBad(/y_train\.npy: has shape \(3\) but .*x_train\.npy holds 4 samples/));
  save(dir, { ...ok, y_test: 'np.array([0, 5])' });
  await assert.rejects(loadData(cfg), isBad(/y_test\.npy: label 5 at index 1 is not one of the 2 training classes/));
  save(dir, { ...ok, x_test: 'np.zeros((2, 4), np.float32)' });
  await assert.rejects(loadData(cfg), isBad(/x_test\.npy: holds samples of shape \(4\) but .*x_train\.npy holds \(3\)/));
});
