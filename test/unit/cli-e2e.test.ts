/**
 * The CLI bundle end to end on small MNIST subsets: --json events (every stdout line is one
 * JSON event), exit codes 0 / 1 (Ctrl-C) / 2 (bad input), and what lands on disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent, RunRecord } from '../../src/protocol/engine';
import { TEMP_MARK } from '../../src/engine/util/atomic';
import { buildBundles, freshOutDir } from './child-helpers';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  events: EngineEvent[];
}

const EVENT_TYPES = new Set(['ready', 'jobStarted', 'stageStarted', 'batchProgress', 'stageProgress', 'epochEnd', 'pruningStep', 'warning', 'log', 'artifactWritten', 'report', 'done', 'cancelled', 'error']);

/** Runs the CLI; `onEvent` may act on parsed --json events while it runs (e.g. send SIGINT). */
async function cli(args: string[], cwd: string, onEvent?: (e: EngineEvent, kill: (s: NodeJS.Signals) => void) => void): Promise<CliResult> {
  const { cli: cliJs } = await buildBundles();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliJs, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const events: EngineEvent[] = [];
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      pending += c.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (args.includes('--json')) {
          const e = JSON.parse(line) as EngineEvent; // every line must be JSON
          events.push(e);
          onEvent?.(e, (s) => child.kill(s));
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, events }));
  });
}

void test('pipeline --json on a small subset: every stdout line is an event, exit 0, files on disk', async () => {
  const out = freshOutDir('cli-json');
  // A config file (fewer export variants, to keep the test short) plus flag overrides.
  writeFileSync(path.join(out, 'small.json'), JSON.stringify({ quantize: { tflite: ['dynamic-int8'], tfjs: ['uint8'] }, train: { epochs: 3 } }));
  const r = await cli(['pipeline', '--json', '--config', 'small.json', '--epochs', '1', '--prune-epochs', '1', '--train-limit', '3000', '--test-limit', '1000', '--backend', 'wasm', '--out', out], out);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.endsWith('\n'));
  for (const e of r.events) {
    assert.ok(EVENT_TYPES.has(e.type), `unknown event type ${e.type}`);
  }
  const types = r.events.map((e) => e.type);
  assert.equal(types[0], 'jobStarted');
  assert.equal(types[types.length - 1], 'done');
  const started = r.events[0];
  assert.ok(started.type === 'jobStarted');
  assert.deepEqual(started.stages, ['train', 'prune', 'export']);
  assert.equal(started.config.data.trainLimit, 3000);
  assert.equal(started.config.train.epochs, 1, 'the flag wins over the file');
  assert.equal(started.config.prune.epochs, 1);
  assert.deepEqual(started.config.quantize.tflite, ['dynamic-int8']);
  assert.deepEqual(started.dataset, {
    name: 'mnist',
    train: 2700,
    validation: 300,
    test: 1000,
    shape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    normalization: { kind: 'scale', mean: [0], std: [255] },
    dtype: 'uint8',
    exportedInput: 'normalised values: x / 255 (data.normalize "scale"), applied before calling the model',
  });
  const stages = r.events.filter((e) => e.type === 'stageStarted').map((e) => e.type === 'stageStarted' && e.stage);
  assert.deepEqual(stages, ['train', 'prune', 'export']);
  const epochEnds = r.events.filter((e) => e.type === 'epochEnd');
  assert.equal(epochEnds.length, 2);
  const done = r.events[r.events.length - 1];
  assert.ok(done.type === 'done');
  assert.deepEqual(Object.keys(done.testAccuracy).sort(), ['mnist_model', 'pruned_mnist_model']);
  const report = r.events.filter((e) => e.type === 'report');
  assert.ok(report.length >= 1 && report[report.length - 1].type === 'report');

  // Artifacts announced = files on disk, with their sizes; the record agrees.
  const artifacts = r.events.filter((e) => e.type === 'artifactWritten');
  for (const a of artifacts) {
    assert.ok(a.type === 'artifactWritten');
    assert.ok(existsSync(path.join(out, a.path)), a.path);
  }
  for (const f of ['mnist_model/model.json', 'pruned_mnist_model/model.json', done.recordPath]) {
    assert.ok(artifacts.some((a) => a.type === 'artifactWritten' && a.path === f), f);
  }
  const record = JSON.parse(readFileSync(path.join(out, done.recordPath), 'utf8')) as RunRecord;
  assert.equal(record.status, 'done');
  assert.equal(record.job, 'pipeline');
  assert.deepEqual(record.stages.map((s) => s.stage), ['train', 'prune', 'export']);
  assert.equal(record.stages[0].testAccuracy, done.testAccuracy.mnist_model);
  assert.ok(['train', 'prune', 'export', 'data', 'total'].every((k) => (record.timings[k] ?? 0) > 0), JSON.stringify(record.timings));
  assert.equal(r.stderr, '', 'nothing on stderr for a successful --json run');

  // The single-stage jobs on the pipeline's output folder.
  const evaluate = await cli(['evaluate', '--json', '--test-limit', '500', '--backend', 'wasm', '--out', out, '--model', path.join(out, 'pruned_mnist_model_quant.tflite')], out);
  assert.equal(evaluate.code, 0, evaluate.stderr);
  const evalStarted = evaluate.events.find((e) => e.type === 'jobStarted');
  assert.ok(evalStarted?.type === 'jobStarted' && evalStarted.stages.join() === 'evaluate');
  const rows = evaluate.events.flatMap((e) => (e.type === 'report' ? e.rows : []));
  assert.ok(rows.some((row) => row.path.endsWith('pruned_mnist_model_quant.tflite') && row.format === 'tflite'), JSON.stringify(rows));
  assert.equal(evaluate.events[evaluate.events.length - 1].type, 'done');

  const prune = await cli(['prune', '--json', '--prune-epochs', '1', '--train-limit', '3000', '--test-limit', '500', '--backend', 'wasm', '--out', out], out);
  assert.equal(prune.code, 0, prune.stderr);
  const pruneDone = prune.events[prune.events.length - 1];
  assert.ok(pruneDone.type === 'done' && Object.keys(pruneDone.testAccuracy).join() === 'pruned_mnist_model', JSON.stringify(pruneDone));
  assert.ok(!prune.events.some((e) => e.type === 'stageStarted' && e.stage === 'train'), 'prune loads the trained model, it does not retrain');
});

void test('human output: epoch lines, summary with accuracy, backend and total time', async () => {
  const out = freshOutDir('cli-human');
  const r = await cli(['train', '--epochs', '1', '--train-limit', '3000', '--test-limit', '1000', '--backend', 'wasm', '--out', out], out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /epoch 1\/1 {2}loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}val_loss \d\.\d{4} {2}val_accuracy \d\.\d{4}/);
  assert.match(r.stdout, /mnist_model\s+test accuracy \d+\.\d\d %/);
  assert.match(r.stdout, /backend\s+wasm/);
  assert.match(r.stdout, /total time/);
  assert.doesNotMatch(r.stdout, /^\{/m, 'no JSON without --json');
});

void test('bad config → exit 2, one paragraph naming field and fix, nothing written', async () => {
  const dir = freshOutDir('cli-bad');
  const out = path.join(dir, 'out');
  writeFileSync(path.join(dir, 'model-optimizer.json'), JSON.stringify({ train: { epochs: 0 } }));
  // Picked up from the current folder without --config.
  const r = await cli(['train', '--json', '--out', out], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad input in model-optimizer\.json: train\.epochs: train\.epochs must be a whole number ≥ 1, but it is 0\. Set it to/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one paragraph');
  assert.equal(r.events.length, 1);
  assert.ok(r.events[0].type === 'error' && r.events[0].code === 'bad-input' && r.events[0].where === 'model-optimizer.json: train.epochs');
  assert.equal(existsSync(out), false, 'no output folder for bad input');

  writeFileSync(path.join(dir, 'broken.json'), '{\n  "train": { "epochs": 1, }\n}\n');
  const syntax = await cli(['train', '--config', 'broken.json', '--out', out], dir);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /bad input in broken\.json:2:27: broken\.json is not valid JSON: .*trailing comma.* at line 2, column 27/);
  assert.equal(syntax.stdout, '');

  const usage = await cli(['train', '--epochs', 'five'], dir);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--epochs must be a whole number/);

  const noModel = await cli(['prune', '--out', out], freshOutDir('cli-nomodel'));
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /no trained model to prune.*Run `train` first/);
  assert.equal(existsSync(out), false);

  writeFileSync(path.join(dir, 'ok.json'), '{}');
  const missing = await cli(['quantize', '--config', 'ok.json', '--model', 'nope/model.json', '--out', out], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\/model\.json does not exist/);

  const missingConfig = await cli(['train', '--config', 'absent.json', '--out', out], dir);
  assert.equal(missingConfig.code, 2);
  assert.match(missingConfig.stderr, /config file .*absent\.json does not exist/);

  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  const outIsFile = await cli(['train', '--config', 'ok.json', '--out', file], dir);
  assert.equal(outIsFile.code, 2);
  assert.match(outIsFile.stderr, /is a file\. Pass --out with a folder path/);
  assert.equal(readFileSync(file, 'utf8'), 'x');
  assert.equal(existsSync(out), false);
});

void test('Ctrl-C (SIGINT) mid-epoch → cancelled event, exit 1, no model and no temp files', async () => {
  const out = freshOutDir('cli-sigint');
  let sent = false;
  const r = await cli(['train', '--json', '--epochs', '3', '--train-limit', '0', '--test-limit', '1000', '--backend', 'wasm', '--out', out], out, (e, kill) => {
    if (e.type === 'batchProgress' && !sent) {
      sent = true;
      kill('SIGINT');
    }
  });
  assert.ok(sent, 'saw a batchProgress event');
  assert.equal(r.code, 1, r.stderr);
  const last = r.events[r.events.length - 1];
  assert.equal(last.type, 'cancelled');
  assert.ok(!r.events.some((e) => e.type === 'done'));
  const files = readdirSync(out, { recursive: true }).map(String);
  assert.ok(!files.some((f) => f.endsWith('model.json')), files.join(', '));
  assert.ok(!files.some((f) => path.basename(f).startsWith(TEMP_MARK)), files.join(', '));
  const records = files.filter((f) => f.startsWith('runs'));
  assert.equal(records.length, 2, `the runs folder and one record: ${records.join(', ')}`);
});

void test('--help lists the commands (sweep included), exits 0', async () => {
  const r = await cli(['--help'], freshOutDir('cli-help'));
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: model-optimizer <command>/);
  assert.match(r.stdout, /sweep\s+prune to several sparsities/);
  assert.doesNotMatch(r.stdout, /not available/);
});
