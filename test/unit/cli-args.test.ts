import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { applyOverrides, HELP, parseArgs, UsageError } from '../../src/cli/args';
import { bytes, comparisonTable } from '../../src/cli/format';
import { HumanPrinter } from '../../src/cli/human';
import type { EngineEvent, ModelReport } from '../../src/protocol/engine';
import { DEFAULT_CONFIG } from '../../src/protocol/config';

void test('parses commands and every flag (space and = forms)', () => {
  const a = parseArgs(['pipeline', '--config', 'c.json', '--out=/tmp/o', '--json', '--backend', 'cpu', '--epochs', '2', '--prune-epochs=1', '--train-limit', '3000', '--test-limit', '0', '--verbose']);
  assert.equal(a.command, 'pipeline');
  assert.equal(a.config, 'c.json');
  assert.equal(a.out, '/tmp/o');
  assert.equal(a.json, true);
  assert.equal(a.verbose, true);
  assert.deepEqual(a.overrides, { backend: 'cpu', train: { epochs: 2 }, prune: { epochs: 1 }, data: { trainLimit: 3000, testLimit: 0 } });
  // --model is an input of every job: train fine-tunes it, pipeline skips training (issue 9).
  assert.equal(parseArgs(['pipeline', '--model', 'cnn.h5']).model, 'cnn.h5');
  assert.equal(parseArgs(['train', '--model', 'cnn.keras']).model, 'cnn.keras');
  const p = parseArgs(['prune', '--model', 'm/model.json']);
  assert.equal(p.command, 'prune');
  assert.equal(p.model, 'm/model.json');
  assert.equal(p.json, false);
  assert.deepEqual(p.overrides, {});
  assert.equal(parseArgs(['--help']).command, 'help');
  assert.equal(parseArgs(['train', '-h']).command, 'help');
  assert.equal(parseArgs(['--version']).command, 'version');
  // --workers: sweep.workers (issue 15), a count or 'auto'; with --sparsities both land in sweep.
  assert.deepEqual(parseArgs(['sweep', '--workers', '3', '--sparsities', '0.5']).overrides, { sweep: { sparsities: [0.5], workers: 3 } });
  assert.deepEqual(parseArgs(['sweep', '--workers=auto']).overrides, { sweep: { workers: 'auto' } });
});

void test('usage errors name the problem and the fix', () => {
  const cases: [string[], RegExp][] = [
    [[], /Missing command/],
    [['trian'], /Unknown command "trian"\. Did you mean "train"\?/],
    [['sweep', '--sparsities', '0.5,abc'], /"abc" in "0\.5,abc" is not a number/],
    [['sweep', '--sparsities', '50%'], /fractions, not percent/],
    [['sweep', '--sparsities', '0.5,1'], /1 is not in \[0, 1\)/],
    [['sweep', '--sparsities', '0.5,0.5'], /lists 0\.5 twice/],
    [['sweep', '--sparsities', ','], /at least one sparsity/],
    [['pipeline', '--sparsities', '0.5'], /does not sweep/],
    [['pipeline', '--workers', '2'], /--workers sets how many points of a sweep run in parallel; pipeline does not sweep/],
    [['sweep', '--workers', '0'], /"auto" or a whole number from 1 to 256, but it is "0"/],
    [['sweep', '--workers', 'two'], /but it is "two"\. Example: --workers 2/],
    [['sweep', '--workers'], /--workers needs a value, e\.g\. --workers 2/],
    [['train', '--epoch', '3'], /Unknown option --epoch\. Did you mean --epochs\?/],
    [['train', '--epochs'], /--epochs needs a value/],
    [['train', '--epochs', '--json'], /--epochs needs a value/],
    [['train', '--epochs', '0'], /whole number ≥ 1.*"0"/],
    [['train', '--epochs', '1.5'], /"1\.5"/],
    [['train', '--train-limit', '-3'], /--train-limit needs a value|whole number/],
    [['train', '--backend', 'gpu'], /auto, wasm, cpu, node/],
    [['train', '--json=yes'], /takes no value/],
    [['train', 'extra'], /Unexpected argument "extra"/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
});

void test('help documents every command, flag and exit code, and how sweep works', () => {
  for (const s of ['train', 'prune', 'quantize', 'evaluate', 'pipeline', 'sweep', '--config', '--out', '--json', '--model', '--backend', '--epochs', '--train-limit', '--test-limit', '--sparsities', '--workers', 'Exit codes']) {
    assert.ok(HELP.includes(s), s);
  }
  assert.doesNotMatch(HELP, /not available/);
  assert.match(HELP, /sweep\s+prune to several sparsities/);
  assert.match(HELP, /Pareto/);
  const p = parseArgs(['sweep', '--sparsities', '0.5, .8,0.9', '--model', 'm/model.json']);
  assert.equal(p.command, 'sweep');
  assert.equal(p.model, 'm/model.json');
  assert.deepEqual(p.overrides, { sweep: { sparsities: [0.5, 0.8, 0.9] } });
});

void test('flag overrides merge over the config file one level deep', () => {
  const merged = applyOverrides({ train: { epochs: 5, batchSize: 32 }, backend: 'wasm' }, { train: { epochs: 1 }, data: { trainLimit: 10 } });
  assert.deepEqual(merged, { train: { epochs: 1, batchSize: 32 }, backend: 'wasm', data: { trainLimit: 10 } });
});

const row = (over: Partial<ModelReport>): ModelReport => ({
  model: 'mnist_model',
  format: 'tflite',
  variant: 'float32',
  path: 'mnist_model.tflite',
  bytes: 408_000,
  gzipBytes: 377_000,
  params: 101_770,
  nonzeros: 101_770,
  layers: [
    { name: 'dense', sparsity: 0 },
    { name: 'dense_1', sparsity: 0 },
  ],
  accuracy: 0.9781,
  accuracyDelta: 0,
  runtime: 'tflite-wasm',
  latencyUs: 12.5,
  ...over,
});

void test('comparison table has every column and aligned rows', () => {
  const t = comparisonTable([row({}), row({ model: 'pruned_mnist_model', variant: 'dynamic-int8', path: 'p.tflite', bytes: 105_000, nonzeros: 100_475, accuracy: 0.9772, accuracyDelta: -0.0009, layers: [{ name: 'dense_1', sparsity: 0.5 }] })]);
  const lines = t.split('\n');
  assert.equal(lines.length, 4);
  for (const h of ['model', 'format/variant', 'raw size', 'gzip size', 'params', 'non-zeros', 'sparsity per layer', 'accuracy', 'Δ vs baseline', 'latency']) {
    assert.ok(lines[0].includes(h), h);
  }
  assert.match(lines[3], /pruned_mnist_model\s+tflite\/dynamic-int8\s+102\.5 KiB/);
  assert.match(lines[3], /dense_1 50\.0%/);
  assert.match(lines[3], /97\.72 %\s+−0\.09 pt\s+12\.5 µs/);
  assert.equal(bytes(1023), '1023 B');
  assert.equal(bytes(2048), '2.0 KiB');
  assert.equal(bytes(3 * 1024 * 1024), '3.00 MiB');
});

void test('human printer: epoch lines and summary on stdout, progress and warnings on stderr', () => {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  let now = 1e9;
  const p = new HumanPrinter({ out, err }, false, () => now);
  const events: EngineEvent[] = [
    { type: 'jobStarted', runId: 'r', job: 'pipeline', config: DEFAULT_CONFIG, backend: { tfjs: 'wasm', trainer: 'tfjs', requested: 'auto', detail: 'SIMD' }, stages: ['train', 'prune', 'export'], startedAt: '', dataset: { name: 'mnist', train: 54000, validation: 6000, test: 10000 } },
    { type: 'stageStarted', stage: 'train', model: 'mnist_model', epochs: 5, stepsPerEpoch: 844 },
    { type: 'batchProgress', stage: 'train', epoch: 1, epochs: 5, batch: 10, batches: 844, loss: 1.2, accuracy: 0.6 },
  ];
  events.forEach((ev) => p.handle(ev));
  // Not a terminal, and the epoch began just now: no in-epoch line (it would be noise in a log).
  assert.doesNotMatch(e, /batch 10\/844/);
  now += 6000;
  p.handle({ type: 'batchProgress', stage: 'train', epoch: 1, epochs: 5, batch: 700, batches: 844, loss: 1.2, accuracy: 0.6 });
  assert.match(e, /batch 700\/844/, 'an epoch running for more than 5 s reports progress');
  now += 1000;
  p.handle({ type: 'batchProgress', stage: 'train', epoch: 1, epochs: 5, batch: 800, batches: 844, loss: 1.2, accuracy: 0.6 });
  assert.doesNotMatch(e, /batch 800\/844/, 'at most one line per 5 s');
  const rest: EngineEvent[] = [
    { type: 'epochEnd', stage: 'train', model: 'mnist_model', epoch: 1, epochs: 5, step: 844, metrics: { loss: 0.29, accuracy: 0.917, valLoss: 0.15, valAccuracy: 0.957 }, durationMs: 3200 },
    { type: 'warning', code: 'end-step', message: 'end_step beyond the last step' },
    { type: 'report', rows: [row({})] },
    { type: 'done', runId: 'r', durationMs: 65_000, testAccuracy: { mnist_model: 0.9781 }, recordPath: 'runs/r.json' },
  ];
  rest.forEach((ev) => p.handle(ev));
  assert.match(o, /backend\s+wasm \(requested: auto\) — SIMD/);
  assert.match(o, /backend\s+wasm, training loop tfjs \(SIMD\)/);
  assert.match(o, /54000 train \/ 6000 validation \/ 10000 test/);
  assert.match(o, /epoch 1\/5 {2}loss 0\.2900 {2}accuracy 0\.9170 {2}val_loss 0\.1500 {2}val_accuracy 0\.9570/);
  assert.match(o, /mnist_model\s+test accuracy 97\.81 %/);
  assert.match(o, /format\/variant/);
  assert.match(o, /total time {2}1 min 5 s/);
  assert.match(e, /warning \[end-step\]/);
  assert.doesNotMatch(o, /batch 10/);
});

void test('--freeze / --freeze-up-to set train.freeze for train, prune, pipeline and sweep; other commands and mixed or empty forms are refused', () => {
  assert.deepEqual(parseArgs(['train', '--model', 'tm.h5', '--freeze', 'model1, dense_1,model1']).overrides, { train: { freeze: ['model1', 'dense_1'] } });
  assert.deepEqual(parseArgs(['pipeline', '--freeze-up-to', 'out_relu', '--epochs', '2']).overrides, { train: { epochs: 2, freeze: { upTo: 'out_relu' } } });
  assert.deepEqual(parseArgs(['prune', '--freeze=none']).overrides, { train: { freeze: 'none' } });
  assert.deepEqual(parseArgs(['sweep', '--freeze', 'model1']).overrides, { train: { freeze: ['model1'] } });
  const refused: [string[], RegExp][] = [
    [['quantize', '--freeze', 'model1'], /train, prune, pipeline and sweep/],
    [['train', '--freeze', 'a', '--freeze-up-to', 'b'], /either --freeze LIST or --freeze-up-to NAME/],
    [['train', '--freeze', 'a,,b'], /without empty entries/],
    [['train', '--freeze-up-to', ' '], /needs a layer or nested-model name/],
  ];
  for (const [argv, re] of refused) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
  assert.match(HELP, /--freeze LIST/);
});
