/**
 * The sweep's trade-off table on hand-made rows: Pareto marks, the file to deploy under an
 * accuracy budget, sweep.md / the CLI table, and the `sweep` config section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepTable } from '../../src/cli/format';
import { resolveConfig } from '../../src/engine/config';
import { sparsityLabel } from '../../src/engine/config/validate';
import { scheduleFor, sweepModelName } from '../../src/engine/jobs/sweep';
import { buildSweepSummary, renderSweepMarkdown } from '../../src/engine/report/sweep';
import { BadInputError } from '../../src/engine/errors';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { PolynomialDecaySchedule } from '../../src/protocol/config';
import type { ModelReport } from '../../src/protocol/engine';
import { markPareto, overallKernelSparsity, recommendRow } from '../../src/protocol/sweep';

function row(path: string, gzipBytes: number, accuracy: number | null, targetSparsity: number, layers = [0, 0]): ModelReport {
  return {
    model: path.split('_')[0],
    format: 'tflite',
    variant: path.includes('full') ? 'full-int8' : path.includes('float32') ? 'float32' : 'dynamic-int8',
    path,
    bytes: gzipBytes + 1000,
    gzipBytes,
    params: 101770,
    nonzeros: 1000,
    layers: [
      { name: 'dense', sparsity: layers[0] },
      { name: 'dense_1', sparsity: layers[1] },
    ],
    accuracy,
    accuracyDelta: accuracy === null ? null : Math.round((accuracy - 0.978) * 1e6) / 1e6,
    runtime: 'TFLite',
    latencyUs: 10,
    targetSparsity,
  };
}

// Worked by hand (gzip size, accuracy):
//   A base float32 400 KB .978 — dominated by E (smaller, more accurate)
//   B base int8    100 KB .977 — dominated by E
//   C s50 int8      60 KB .970 — dominated by E (same size, more accurate)
//   D s50 full      70 KB .979 — dominated by E (smaller, same accuracy)
//   E s75 int8      60 KB .979 — optimal
//   F s90 int8      30 KB .965 — optimal
//   G s90 full      30 KB .965 — identical to F: neither is strictly better, both optimal
//   H              10 KB  —   — no accuracy: never optimal
//   I s95 int8      20 KB .950 — optimal (smaller than F, less accurate)
const rows = [
  row('A_float32', 400_000, 0.978, 0),
  row('B_quant', 100_000, 0.977, 0),
  row('C_quant', 60_000, 0.97, 0.5),
  row('D_full', 70_000, 0.979, 0.5),
  row('E_quant', 60_000, 0.979, 0.75),
  row('F_quant', 30_000, 0.965, 0.9),
  row('G_full', 30_000, 0.965, 0.9),
  row('H_quant', 10_000, null, 0.95),
  row('I_quant', 20_000, 0.95, 0.95),
];

void test('markPareto: smallest gzip size for a given accuracy, ties both kept, rows without accuracy never', () => {
  assert.deepEqual(markPareto(rows), [false, false, false, false, true, true, true, false, true]);
  assert.deepEqual(markPareto([]), []);
  assert.deepEqual(markPareto([row('only', 5, 0.5, 0)]), [true]);
});

void test('recommendRow: the smallest file within the budget below the baseline', () => {
  // Budget 1 point below .978 → ≥ .968: E (60 KB) beats C? C is .970 ≥ .968 and also 60 KB: the more accurate (E) wins the tie.
  assert.equal(recommendRow(rows, 0.978, 0.01)?.path, 'E_quant');
  // Budget 2 points → ≥ .958: F (30 KB) is the smallest; F and G tie exactly → the first.
  assert.equal(recommendRow(rows, 0.978, 0.02)?.path, 'F_quant');
  // Budget 3 points → ≥ .948: I (20 KB).
  assert.equal(recommendRow(rows, 0.978, 0.03)?.path, 'I_quant');
  // Budget 0: only rows at least as accurate as the baseline: E (60 KB, .979) beats A and D.
  assert.equal(recommendRow(rows, 0.978, 0)?.path, 'E_quant');
  // Exactly on the edge counts (float rounding): .968 is within 1 point of .978.
  assert.equal(recommendRow([row('x', 1, 0.968, 0.5)], 0.978, 0.01)?.path, 'x');
  assert.equal(recommendRow(rows, 0.999, 0.001), null);
  assert.equal(recommendRow(rows, null, 0.01), null);
});

void test('overall kernel sparsity weighs layers by kernel size', () => {
  const r = row('x', 1, 0.9, 0.5, [0.5, 0.25]);
  assert.equal(overallKernelSparsity(r, [100352, 1280]), (0.5 * 100352 + 0.25 * 1280) / (100352 + 1280));
  assert.equal(overallKernelSparsity(r, []), 0);
});

void test('sweep summary, sweep.md and the CLI table mark the same rows and name the same file', () => {
  const summary = buildSweepSummary({
    complete: true,
    sparsities: [0.5, 0.75, 0.9, 0.95],
    layers: 'all',
    variants: ['dynamic-int8', 'full-int8'],
    epochs: 3,
    maxAccuracyDrop: 0.01,
    kernelSizes: [100352, 1280],
    rows,
  });
  assert.equal(summary.baselineAccuracy, 0.978);
  assert.deepEqual(
    summary.rows.filter((r) => r.pareto).map((r) => r.path),
    ['E_quant', 'F_quant', 'G_full', 'I_quant'],
  );
  assert.equal(summary.recommended, 'E_quant');
  assert.match(summary.recommendation, /^Deploy E_quant: the smallest file \(gzip 58\.6 KiB, 6\.7× smaller than the float32 baseline's 390\.6 KiB\) within 1 point of the baseline accuracy: 97\.90 % vs 97\.80 % \(\+0\.10 pt\)\.$/);

  const md = renderSweepMarkdown(summary);
  const tableLines = md.split('\n').filter((l) => /^\| \d/.test(l));
  assert.equal(tableLines.length, rows.length);
  tableLines.forEach((l, i) => assert.equal(l.trimEnd().endsWith('| ★ |'), summary.rows[i].pareto, l));
  assert.match(md, /\*\*Recommendation\*\* \(accuracy budget 1 point, `sweep\.maxAccuracyDrop`\): Deploy E_quant/);
  assert.doesNotMatch(md, /Incomplete/);
  assert.match(renderSweepMarkdown({ ...summary, complete: false }), /\*\*Incomplete\*\*/);

  const cli = sweepTable(rows, 0.01).split('\n');
  const body = cli.slice(2, 2 + rows.length);
  body.forEach((l, i) => assert.equal(l.includes('★'), summary.rows[i].pareto, l));
  assert.equal(body.filter((l) => l.includes('← deploy')).length, 1);
  assert.match(body[4], /E_quant.*★ ← deploy$/);
  assert.match(cli.join('\n'), /Deploy E_quant: the smallest file \(gzip 58\.6 KiB, 6\.7× smaller than the float32 baseline\) within 1 point\(s\)/);

  const none = buildSweepSummary({ complete: true, sparsities: [0.5], layers: 'last', variants: ['dynamic-int8'], epochs: 1, maxAccuracyDrop: 0.01, kernelSizes: [1, 1], rows: [row('A', 10, 0.97, 0), row('B', 5, 0.5, 0.5)] });
  assert.equal(none.recommended, 'A', 'the baseline itself is within any budget');
});

void test('sweep config: defaults, point names, per-point schedule, and clear errors', () => {
  const cfg = resolveConfig({});
  assert.deepEqual(cfg.sweep, { sparsities: [0.25, 0.5, 0.75, 0.9], layers: 'all', tflite: ['dynamic-int8', 'full-int8'], maxAccuracyDrop: 0.01, workers: 'auto' });
  assert.equal(resolveConfig({ sweep: { workers: 3 } }).sweep.workers, 3);
  assert.equal(resolveConfig({ sweep: { epochs: 2, sparsities: [0.8] } }).sweep.epochs, 2);
  assert.deepEqual(resolveConfig({ sweep: { layers: ['dense'] } }).sweep.layers, ['dense']);
  assert.deepEqual(
    [0, 0.25, 0.5, 0.875, 0.9, 0.9999].map(sweepModelName),
    ['pruned_s0', 'pruned_s25', 'pruned_s50', 'pruned_s87_5', 'pruned_s90', 'pruned_s99_99'],
  );
  assert.equal(sparsityLabel(0.07), '7');
  const poly = scheduleFor(DEFAULT_CONFIG.prune.schedule, 0.8);
  assert.deepEqual(poly, { ...DEFAULT_CONFIG.prune.schedule, finalSparsity: 0.8 });
  const lowered = scheduleFor({ ...DEFAULT_CONFIG.prune.schedule, initialSparsity: 0.3 } as PolynomialDecaySchedule, 0.2);
  assert.ok(lowered.kind === 'polynomial_decay');
  assert.equal(lowered.initialSparsity, 0.2, 'the schedule never starts above its target');
  assert.deepEqual(scheduleFor({ kind: 'constant_sparsity', targetSparsity: 0.5, beginStep: 0, endStep: -1, frequency: 10 }, 0.9), {
    kind: 'constant_sparsity',
    targetSparsity: 0.9,
    beginStep: 0,
    endStep: -1,
    frequency: 10,
  });

  const cases: [unknown, string, RegExp][] = [
    [{ sweep: { sparsities: [0.5, 1] } }, 'sweep.sparsities[1]', /number in \[0, 1\).*but it is 1/],
    [{ sweep: { sparsities: [] } }, 'sweep.sparsities', /at least 1 item/],
    [{ sweep: { sparsities: [0.5, 0.5] } }, 'sweep.sparsities[1]', /repeats 0\.5/],
    [{ sweep: { sparsities: [0.5, 0.50001] } }, 'sweep.sparsities[1]', /both would be pruned_s50/],
    [{ sweep: { tflite: [] } }, 'sweep.tflite', /at least 1 item/],
    [{ sweep: { tflite: ['int4'] } }, 'sweep.tflite[0]', /"float32", "float16", "dynamic-int8", "full-int8"/],
    [{ sweep: { layers: ['dens'] } }, 'sweep.layers[0]', /Did you mean "dense"\?/],
    [{ sweep: { epochs: 0 } }, 'sweep.epochs', /whole number ≥ 1/],
    [{ sweep: { maxAccuracyDrop: 2 } }, 'sweep.maxAccuracyDrop', /number in \[0, 1\]/],
    [{ sweep: { sparsites: [0.5] } }, 'sweep.sparsites', /Did you mean "sweep\.sparsities"\?/],
    [{ sweep: { workers: 0 } }, 'sweep.workers', /"auto" or a whole number from 1 to 256, but it is 0/],
    [{ sweep: { workers: 1.5 } }, 'sweep.workers', /"auto" or a whole number from 1 to 256, but it is 1\.5/],
    [{ sweep: { workers: 'all' } }, 'sweep.workers', /"auto" or a whole number from 1 to 256, but it is "all"/],
    [{ swep: {} }, 'swep', /Did you mean "sweep"\?/],
  ];
  for (const [partial, where, re] of cases) {
    assert.throws(
      () => resolveConfig(partial, 'm.json'),
      (e: unknown) => e instanceof BadInputError && e.where === `m.json: ${where}` && re.test(e.message),
      JSON.stringify(partial),
    );
  }
});
