import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareData, featureStats, type RawData, type RawSet } from '../../src/engine/data/prepare';
import { BadInputError } from '../../src/engine/errors';

/** `n` samples of 2 features; class-sorted labels (like image folders) unless `interleave`. */
function raw(n: number, classes: number, interleave: boolean, x?: Uint8Array | Float32Array): RawSet {
  const labels = Int32Array.from({ length: n }, (_, i) => (interleave ? i % classes : Math.floor((i * classes) / n)));
  return { x: x ?? Uint8Array.from({ length: n * 2 }, (_, i) => (i * 7) % 256), labels, count: n, source: 'fixture' };
}

function data(train: RawSet, classes: number, test?: RawSet): RawData {
  return { name: 't', shape: [2], classNames: Array.from({ length: classes }, (_, i) => `c${i}`), train, test: test ?? train };
}

const base = { trainLimit: 0, testLimit: 0, validationSplit: 0.2, validation: 'tail' as const, seed: 1 };

function counts(labels: Int32Array, classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  labels.forEach((y) => c[y]++);
  return c;
}

void test('stratified split keeps each class proportion (round(n_c · split) per class), seeded', () => {
  // Unequal classes: 50, 30, 20 samples, class-sorted.
  const labels = Int32Array.from([...new Array<number>(50).fill(0), ...new Array<number>(30).fill(1), ...new Array<number>(20).fill(2)]);
  const set: RawSet = { x: Uint8Array.from({ length: 200 }, (_, i) => i % 256), labels, count: 100, source: 'f' };
  const a = prepareData(data(set, 3), { ...base, validation: 'stratified' });
  assert.deepEqual(counts(a.validation.labels, 3), [10, 6, 4]);
  assert.deepEqual(counts(a.train.labels, 3), [40, 24, 16]);
  assert.deepEqual(a.warnings, []);
  // Every sample lands in exactly one part, with its own features.
  const seen = new Set<number>();
  for (const s of [a.train, a.validation]) {
    for (let i = 0; i < s.count; i++) {
      const key = s.images[i * 2];
      seen.add(key + 256 * s.labels[i]);
    }
  }
  assert.equal(a.train.count + a.validation.count, 100);
  const b = prepareData(data(set, 3), { ...base, validation: 'stratified' });
  assert.deepEqual([...b.validation.images], [...a.validation.images], 'same seed, same split');
  const c = prepareData(data(set, 3), { ...base, validation: 'stratified', seed: 2 });
  assert.notDeepEqual([...c.validation.images], [...a.validation.images], 'another seed, another split');
});

void test('a tail split of class-sorted data warns and suggests "stratified"; interleaved data does not warn', () => {
  const sorted = prepareData(data(raw(100, 5, false), 5), base);
  assert.equal(sorted.warnings.length, 1);
  assert.equal(sorted.warnings[0].code, 'validation-classes');
  assert.match(sorted.warnings[0].message, /holds only 1 of the 5 classes.*"stratified"/);
  // Keras semantics: the last 20 samples validate.
  assert.deepEqual([...sorted.validation.labels], new Array<number>(20).fill(4));
  const mixed = prepareData(data(raw(100, 5, true), 5), base);
  assert.deepEqual(mixed.warnings, []);
});

void test('normalisation: uint8 defaults to scale (bytes kept), float to none; minus1to1, standardize, mean/std', () => {
  const u8 = raw(10, 2, true);
  const scale = prepareData(data(u8, 2), base);
  assert.ok(scale.train.images instanceof Uint8Array, 'uint8 + scale keeps the bytes for the SIMD kernel');
  assert.deepEqual(scale.normalization, { kind: 'scale', mean: [0], std: [255] });

  const m11 = prepareData(data(u8, 2), { ...base, normalize: 'minus1to1' });
  assert.ok(m11.train.images instanceof Float32Array);
  for (let i = 0; i < m11.train.images.length; i++) {
    assert.ok(Math.abs(m11.train.images[i] - (u8.x[i] / 127.5 - 1)) < 1e-6);
  }

  const f = Float32Array.from([1, 10, 3, 10, 5, 10, 7, 10, 9, 10, 100, -1]);
  const fset: RawSet = { x: f, labels: Int32Array.from([0, 1, 0, 1, 0, 1]), count: 6, source: 'f' };
  const none = prepareData(data(fset, 2), { ...base, validationSplit: 1 / 6 });
  assert.equal(none.normalization.kind, 'none');
  assert.deepEqual([...none.train.images], [...f.subarray(0, 10)]);

  // Standardize on the TRAINING split only (first 5 rows): feature 0 = 1,3,5,7,9 → mean 5, population std √8; feature 1 constant → std 1.
  const st = prepareData(data(fset, 2), { ...base, validationSplit: 1 / 6, normalize: 'standardize' });
  assert.deepEqual(st.normalization.mean, [5, 10]);
  assert.ok(Math.abs(st.normalization.std[0] - Math.sqrt(8)) < 1e-12);
  assert.equal(st.normalization.std[1], 1);
  assert.ok(Math.abs(st.validation.images[0] - (100 - 5) / Math.sqrt(8)) < 1e-4, 'validation uses the training statistics');
  assert.ok(Math.abs(st.validation.images[1] - (-1 - 10)) < 1e-6);

  const given = prepareData(data(fset, 2), { ...base, validationSplit: 1 / 6, normalize: { mean: [1, 2], std: [2, 4] } });
  assert.ok(Math.abs(given.train.images[0] - (1 - 1) / 2) < 1e-7);
  assert.ok(Math.abs(given.train.images[1] - (10 - 2) / 4) < 1e-7);
  assert.throws(() => prepareData(data(fset, 2), { ...base, normalize: { mean: [1, 2, 3], std: [1, 1, 1] } }), (e: Error) => e instanceof BadInputError && /need 1, 2/.test(e.message));
});

void test('featureStats matches a two-pass computation', () => {
  const x = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 50 + (i % 3));
  const set: RawSet = { x, labels: new Int32Array(100), count: 100, source: 'f' };
  const { mean, std } = featureStats(set, 3);
  for (let f = 0; f < 3; f++) {
    let m = 0;
    for (let r = 0; r < 100; r++) {
      m += x[r * 3 + f];
    }
    m /= 100;
    let v = 0;
    for (let r = 0; r < 100; r++) {
      v += (x[r * 3 + f] - m) ** 2;
    }
    assert.ok(Math.abs(mean[f] - m) < 1e-9);
    assert.ok(Math.abs(std[f] - Math.sqrt(v / 100)) < 1e-9);
  }
});

void test('float data with large values and no normalize setting warns and suggests "scale" or "standardize"', () => {
  const x = Float32Array.from({ length: 20 }, (_, i) => i * 20);
  const set: RawSet = { x, labels: Int32Array.from({ length: 10 }, (_, i) => i % 2), count: 10, source: 'f' };
  const d = prepareData(data(set, 2), { ...base, validation: 'stratified' });
  assert.deepEqual(d.warnings.map((w) => w.code), ['unscaled-inputs']);
  assert.match(d.warnings[0].message, /reach 380 .*"scale" for 0…255 pixel values or "standardize"/);
  assert.deepEqual(prepareData(data(set, 2), { ...base, validation: 'stratified', normalize: 'none' }).warnings, [], 'an explicit "none" is respected');
});
