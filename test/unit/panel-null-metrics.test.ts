/**
 * Issue 13 item 12/15: a run without a validation split has NaN validation metrics, which JSON
 * (run records, IPC) carries as null; the panel's chart tables show '—' instead of throwing
 * (a throw here blanked the whole panel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveTable } from '../../src/webview/chartData';
import type { PanelRun } from '../../src/webview/model';

void test('curve tables show — for null / NaN metrics and never throw', () => {
  const run = {
    points: [
      { stage: 'train', model: 'mnist_model', epoch: 1, epochs: 2, step: 10, loss: 0.5, accuracy: 0.8, valLoss: null, valAccuracy: null },
      { stage: 'train', model: 'mnist_model', epoch: 2, epochs: 2, step: 20, loss: 0.25, accuracy: 0.9, valLoss: Number.NaN, valAccuracy: Number.NaN },
    ],
  } as unknown as PanelRun;
  assert.deepEqual(curveTable(run, 'loss').rows.map((r) => r.slice(3)), [['0.5000', '—'], ['0.2500', '—']]);
  assert.deepEqual(curveTable(run, 'accuracy').rows.map((r) => r.slice(3)), [['80.00 %', '—'], ['90.00 %', '—']]);
});
