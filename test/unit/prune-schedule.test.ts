/**
 * Pruning schedules against hand-computed tfmot values. Expected numbers were computed
 * outside this code from the tfmot formula in float32 (numpy float32, step by step):
 *   p = f32(step − begin) / f32(end − begin); q = 1 − p; s = f32(f32(initial − final) · q·(q·q)) + final
 * (q·(q·q) is what TF's Grappler makes of pow(q, 3) on CPU inside Keras fit; numpy's powf
 * gives 1 ulp more at steps 1 and 100: 0.00031974912 and 0.03130582.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConstantSparsity,
  PolynomialDecay,
  effectiveEndStep,
  lastUpdateStep,
  planSchedule,
  shouldPruneInStep,
  stepsPerEpoch,
} from '../../src/engine/prune/schedule';
import { BadInputError } from '../../src/engine/errors';
import { DEFAULT_CONFIG, type PolynomialDecaySchedule } from '../../src/protocol/config';

const poly = (end: number | 'auto'): PolynomialDecaySchedule => ({
  kind: 'polynomial_decay',
  initialSparsity: 0,
  finalSparsity: 0.5,
  beginStep: 0,
  endStep: end,
  power: 3,
  frequency: 100,
});

void test('PolynomialDecay values equal the hand-computed float32 formula', () => {
  const s = new PolynomialDecay(0, 0.5, 0, 4690, 3, 100);
  // 1 − 4200/4690 = 0.10447761…, cubed = 0.00114039…, × −0.5 + 0.5 = 0.49942979…
  assert.equal(s.sparsityAt(4200), Math.fround(0.4994298));
  assert.equal(s.sparsityAt(4220), Math.fround(0.4994968));
  assert.equal(s.sparsityAt(100), Math.fround(0.03130585));
  assert.equal(s.sparsityAt(1), Math.fround(0.00031971931));
  assert.equal(s.sparsityAt(0), 0);
  assert.equal(s.sparsityAt(4690), 0.5);
  assert.equal(s.sparsityAt(10000), 0.5, 'p is clipped to 1 after end');
  // begin 1000, end 3000, step 2000: p = 0.5, (0.5)^3 = 0.125, 0.5 − 0.0625 = 0.4375 exactly
  assert.equal(new PolynomialDecay(0, 0.5, 1000, 3000).sparsityAt(2000), 0.4375);
  assert.equal(new PolynomialDecay(0, 0.5, 1000, 3000).sparsityAt(500), 0, 'p is clipped to 0 before begin');
  // power 2, initial 0.2, final 0.8, begin 100, end 1100, step 300: p = 0.2, 0.64·(−0.6) + 0.8 = 0.416
  assert.equal(new PolynomialDecay(0.2, 0.8, 100, 1100, 2, 100).sparsityAt(300), Math.fround(0.41599998));
  // A value that is not a float64 number: the result really is float32.
  assert.equal(s.sparsityAt(4200), Math.fround(s.sparsityAt(4200)));
  assert.notEqual(s.sparsityAt(4200), 0.5 - 0.5 * Math.pow(1 - 4200 / 4690, 3), 'float64 arithmetic would differ');
});

void test('masks update only when begin ≤ step ≤ end and (step − begin) % frequency == 0', () => {
  const s = new PolynomialDecay(0, 0.5, 0, 4690, 3, 100);
  assert.equal(s.at(100).shouldPrune, true);
  assert.equal(s.at(4600).shouldPrune, true);
  assert.equal(s.at(4650).shouldPrune, false);
  assert.equal(s.at(4700).shouldPrune, false, 'beyond end');
  assert.equal(s.at(99).shouldPrune, false);
  const b = new PolynomialDecay(0, 0.5, 150, 450, 3, 100);
  assert.deepEqual(
    [149, 150, 200, 250, 350, 450, 550].map((t) => b.at(t).shouldPrune),
    [false, true, false, true, true, true, false],
  );
  assert.equal(shouldPruneInStep(50, 150, 450, 100), false, 'before begin, even on a multiple');
});

void test('ConstantSparsity: constant float32 target; end −1 prunes forever', () => {
  const c = new ConstantSparsity(0.3, 200);
  assert.equal(c.at(200).sparsity, Math.fround(0.3));
  assert.equal(c.at(1_000_000).shouldPrune, true, 'end_step −1 = forever');
  assert.equal(c.at(1_000_050).shouldPrune, false);
  assert.equal(c.at(100).shouldPrune, false);
  const e = new ConstantSparsity(0.3, 0, 500, 100);
  assert.equal(e.at(500).shouldPrune, true);
  assert.equal(e.at(600).shouldPrune, false);
});

void test('invalid schedules are rejected with the field named', () => {
  assert.throws(() => new PolynomialDecay(0, 1, 0, 100), (e: unknown) => e instanceof BadInputError && e.where === 'prune.schedule.finalSparsity');
  assert.throws(() => new PolynomialDecay(0, 0.5, 0, -1), (e: unknown) => e instanceof BadInputError && e.where === 'prune.schedule.endStep');
  assert.throws(() => new PolynomialDecay(0, 0.5, 200, 100), BadInputError);
  assert.throws(() => new ConstantSparsity(0.5, 0, -1, 0), (e: unknown) => e instanceof BadInputError && e.where === 'prune.schedule.frequency');
  assert.throws(() => new ConstantSparsity(0.5, -1), BadInputError);
});

void test('the reference workflow: end 4690 with 5 epochs × 844 steps never reaches 0.5', () => {
  assert.equal(stepsPerEpoch(54000, 64), 844);
  assert.equal(stepsPerEpoch(60000, 64), 938);
  const plan = planSchedule(poly(4690), { trainCount: 54000, batchSize: 64, epochs: 5, tensorSizes: { dense_1: 1280 } });
  assert.equal(plan.totalSteps, 4220);
  assert.equal(plan.effectiveEndStep, 4690);
  assert.equal(plan.lastUpdateStep, 4200);
  assert.equal(plan.reachedSparsity, Math.fround(0.4994298));
  const codes = plan.warnings.map((w) => w.code);
  assert.deepEqual(codes, ['prune-end-step-beyond-training', 'prune-too-few-epochs']);
  // k = round_half_even(1280 · 0.5005702) = round(640.73) = 641 kept → 639/1280 = 0.49921875
  assert.match(plan.warnings[0].message, /step 4200 with target 0\.4994298/);
  assert.match(plan.warnings[0].message, /dense_1 0\.49921875 instead of 0\.5/);
  assert.match(plan.warnings[1].message, /needs 6 epochs of 844 steps/);
});

void test('end 4220 = the real last step: masks reach exactly 0.5', () => {
  const plan = planSchedule(poly(4220), { trainCount: 54000, batchSize: 64, epochs: 5, tensorSizes: { dense_1: 1280, dense: 100352 } });
  assert.equal(plan.lastUpdateStep, 4200, '4220 is not an update step (4220 % 100 = 20)');
  // 1 − 4200/4220 = 0.0047393…, cubed = 1.0645e−7, × −0.5 + 0.5 = 0.49999994 in float32
  assert.equal(plan.reachedSparsity, Math.fround(0.49999994));
  // 1280 · f32(1 − 0.49999994) = 640.00008 → 640 kept: the mask is exactly 50 % (no warning).
  assert.deepEqual(plan.warnings, []);
  const exact = planSchedule({ ...poly(4200) }, { trainCount: 54000, batchSize: 64, epochs: 5, tensorSizes: {} });
  assert.equal(exact.reachedSparsity, 0.5);
  assert.deepEqual(exact.warnings, []);
});

void test("endStep 'auto' = the last mask-update step within the pruning fit, so the final sparsity is reached", () => {
  // 3 epochs × ceil(54000/64) = 3 × 844 = 2532 steps; updates every 100 from 0 → last at 2500.
  assert.equal(effectiveEndStep(poly('auto'), 2532), 2500);
  // A step count that is a multiple of the frequency ends exactly there.
  assert.equal(effectiveEndStep(poly('auto'), 2600), 2600);
  // Fewer steps than one period: no aligned end; falls back to the last step (and the plan warns).
  assert.equal(effectiveEndStep(poly('auto'), 60), 60);
  const plan = planSchedule(DEFAULT_CONFIG.prune.schedule, { trainCount: 54000, batchSize: 64, epochs: 3, tensorSizes: { dense_1: 1280 } });
  assert.equal(plan.effectiveEndStep, 2500);
  assert.equal(plan.totalSteps, 2532);
  assert.equal(plan.lastUpdateStep, 2500);
  assert.equal(plan.reachedSparsity, 0.5);
  assert.deepEqual(plan.warnings, []);
  // 1 epoch of 85 steps (5 400 samples), frequency 100, steps counted from 1: masks never update → warn.
  const short = planSchedule(DEFAULT_CONFIG.prune.schedule, { trainCount: 5400, batchSize: 64, epochs: 1, tensorSizes: { dense_1: 1280 } });
  assert.equal(short.effectiveEndStep, 85);
  assert.notDeepEqual(short.warnings, []);
});

void test('a last update that misses the final mask warns even within training', () => {
  // end 150, frequency 100: last update at 100, p = 2/3, s = 0.5 − 0.5/27 = 0.48148…
  const plan = planSchedule(poly(150), { trainCount: 6400, batchSize: 64, epochs: 2, tensorSizes: { dense_1: 1280 } });
  assert.equal(plan.lastUpdateStep, 100);
  assert.ok(Math.abs(plan.reachedSparsity - (0.5 - 0.5 / 27)) < 1e-7);
  assert.deepEqual(plan.warnings.map((w) => w.code), ['prune-final-sparsity-not-reached']);
});

void test('lastUpdateStep and never-updating schedules', () => {
  assert.equal(lastUpdateStep(new ConstantSparsity(0.5, 0, -1, 100), 250), 200);
  assert.equal(lastUpdateStep(new ConstantSparsity(0.5, 0, -1, 100), 99), null, 'step 0 is never run (steps start at 1)');
  assert.equal(lastUpdateStep(new ConstantSparsity(0.5, 30, 1000, 100), 250), 230);
  const plan = planSchedule({ kind: 'constant_sparsity', targetSparsity: 0.5, beginStep: 5000, endStep: -1, frequency: 100 }, {
    trainCount: 6400,
    batchSize: 64,
    epochs: 1,
    tensorSizes: {},
  });
  assert.equal(plan.lastUpdateStep, null);
  assert.equal(plan.effectiveEndStep, 100, 'end −1 = the last training step (1 epoch × 100 steps)');
  assert.equal(plan.warnings[0].code, 'prune-never-updates');
  assert.match(plan.warnings[0].message, /begin_step 5000 lies beyond the last training step 100; lower beginStep/);
});

void test('a frequency longer than the whole fit is named as the reason masks never update', () => {
  // 2 700 samples → 43 steps; updates at 100, 200, … → none within 1..43.
  const plan = planSchedule(DEFAULT_CONFIG.prune.schedule, { trainCount: 2700, batchSize: 64, epochs: 1, tensorSizes: { dense_1: 1280 } });
  assert.equal(plan.lastUpdateStep, null);
  assert.equal(plan.warnings[0].code, 'prune-never-updates');
  assert.match(plan.warnings[0].message, /first update would be at step 100 .*after the last training step 43; lower frequency below 44/);
});
