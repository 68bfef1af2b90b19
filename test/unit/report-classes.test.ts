import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classReport, MAX_CONFUSION_CLASSES } from '../../src/engine/report/classReport';

void test('classReport: confusion[true][predicted], per-class accuracy (recall) and precision, by hand', () => {
  // 3 classes, 6 samples. Outputs row-wise; predicted = argmax.
  const outputs = [
    0.9, 0.05, 0.05, // true 0 → 0
    0.2, 0.7, 0.1, //   true 0 → 1
    0.1, 0.8, 0.1, //   true 1 → 1
    0.3, 0.3, 0.4, //   true 1 → 2
    0.5, 0.5, 0.0, //   true 2 → 0 (tie: the first, as numpy.argmax)
    0.0, 0.1, 0.9, //   true 2 → 2
  ];
  const r = classReport(outputs, 3, [0, 0, 1, 1, 2, 2], 6, ['cat', 'dog', 'fox']);
  assert.deepEqual(r.names, ['cat', 'dog', 'fox']);
  assert.deepEqual(r.confusion, [
    [1, 1, 0],
    [0, 1, 1],
    [1, 0, 1],
  ]);
  assert.deepEqual(r.support, [2, 2, 2]);
  assert.deepEqual(r.accuracy, [0.5, 0.5, 0.5]);
  assert.deepEqual(r.precision, [0.5, 0.5, 0.5]);
  // A class without test samples, one never predicted.
  const s = classReport([1, 0, 0, 1, 0, 0], 3, [0, 1], 2, ['a', 'b', 'c']);
  assert.deepEqual(s.accuracy, [1, 0, null]);
  assert.deepEqual(s.precision, [0.5, null, null]);
  // Many classes: no matrix, still per-class accuracy.
  const k = MAX_CONFUSION_CLASSES + 1;
  const big = classReport(new Array<number>(k).fill(0), k, [0], 1, Array.from({ length: k }, (_, i) => `c${i}`));
  assert.equal(big.confusion, undefined);
  assert.equal(big.accuracy[0], 1);
});
