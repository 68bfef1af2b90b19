/** The sparsity quick pick of "Run Sparsity Sweep": what is offered, what is pre-picked, what is passed on. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import { OFFERED_SPARSITIES, pickedSparsities, sparsityItems } from '../../src/extension/sweepPicks';

void describe('sweep sparsity picks', () => {
  void it('pre-picks exactly the default config sparsities among the offered spread', () => {
    const items = sparsityItems(DEFAULT_CONFIG.sweep.sparsities);
    assert.deepEqual(
      items.filter((i) => i.picked).map((i) => i.sparsity),
      [0.25, 0.5, 0.75, 0.9],
    );
    assert.deepEqual(
      items.map((i) => i.sparsity),
      [...OFFERED_SPARSITIES],
    );
    assert.deepEqual(
      items.slice(0, 2).map((i) => [i.label, i.description]),
      [
        ['25 %', 'in the config'],
        ['50 %', 'in the config'],
      ],
    );
    assert.equal(items.find((i) => i.sparsity === 0.6)?.description, undefined);
  });

  void it('adds configured values that are not offered, in order, and leaves out values a sweep cannot take', () => {
    const items = sparsityItems([0.875, 0.3, 1, -0.1, 'x', 0.5]);
    const sparsities = items.map((i) => i.sparsity);
    assert.deepEqual(sparsities, [0.25, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.875, 0.9, 0.95]);
    assert.deepEqual(
      items.filter((i) => i.picked).map((i) => i.label),
      ['30 %', '50 %', '87.5 %'],
    );
  });

  void it('passes the picks on ascending, without repeats', () => {
    assert.deepEqual(pickedSparsities([{ sparsity: 0.9 }, { sparsity: 0.25 }, { sparsity: 0.9 }]), [0.25, 0.9]);
  });
});
