/**
 * `model-optimizer qat` and `cluster` through the CLI bundle: exit 0 with the QAT / clustered
 * files and rows, which trainer ran (the generic graph trainer, also for a Dense stack), exit 2
 * with problem + fix for a missing model and for a bad qat setting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent } from '../../src/protocol/engine';
import { saveMlpTfjs } from './mlp-files';
import { randomModel } from './export-helpers';
import { buildBundles, freshOutDir } from './child-helpers';

async function cli(args: string[], cwd: string): Promise<{ code: number | null; events: EngineEvent[]; stderr: string }> {
  const { cli: cliJs } = await buildBundles();
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const events = args.includes('--json') ? r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EngineEvent) : [];
  return { code: r.status, events, stderr: r.stderr };
}

const CONFIG = {
  data: { trainLimit: 1200, testLimit: 300 },
  train: { batchSize: 64 },
  qat: { epochs: 1 },
  cluster: { clusters: 8, epochs: 1 },
  quantize: { tflite: ['float32', 'full-int8'], tfjs: [], representativeSamples: 50 },
};

void test('qat --model F: F_qat_full_int8.tflite beside F_full_int8.tflite, a qat stage on the graph trainer; cluster --model F: 8 values per kernel', async () => {
  const dir = freshOutDir('qat-cli');
  await saveMlpTfjs(randomModel('tiny', [784, 16, 10], 2), path.join(dir, 'tiny'));
  writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(CONFIG));
  const q = await cli(['qat', '--model', 'tiny', '--config', 'cfg.json', '--out', 'out', '--json'], dir);
  assert.equal(q.code, 0, q.stderr);
  const started = q.events.filter((e) => e.type === 'stageStarted').map((e) => (e as { stage: string; model: string }).stage + ':' + (e as { model: string }).model);
  assert.deepEqual(started, ['qat:tiny_qat', 'export:tiny']);
  assert.ok(q.events.some((e) => e.type === 'log' && /quantization-aware training on the generic graph trainer \(tfjs-graph/.test(e.message)));
  const out = path.join(dir, 'out');
  for (const f of ['tiny.h5', 'tiny_full_int8.tflite', 'tiny_qat_full_int8.tflite', 'comparison.md']) {
    assert.ok(existsSync(path.join(out, f)), f);
  }
  const report = q.events.filter((e) => e.type === 'report').pop() as { rows: { path: string; technique?: string; accuracy: number | null }[] };
  const qrow = report.rows.find((r) => r.path === 'tiny_qat_full_int8.tflite');
  assert.equal(qrow?.technique, 'qat');
  // The random model learned something in its QAT epoch: better than its own post-training int8 file.
  const ptq = report.rows.find((r) => r.path === 'tiny_full_int8.tflite');
  assert.ok(qrow.accuracy !== null && ptq?.accuracy !== null && ptq?.accuracy !== undefined && qrow.accuracy > ptq.accuracy + 0.05, `QAT ${qrow.accuracy} vs PTQ ${ptq?.accuracy}`);
  assert.match(readFileSync(path.join(out, 'comparison.md'), 'utf8'), /\| tiny \| tiny_full_int8\.tflite \| [\d.]+ % \| tiny_qat_full_int8\.tflite \|/);

  const c = await cli(['cluster', '--model', 'tiny', '--config', 'cfg.json', '--out', 'out2', '--json'], dir);
  assert.equal(c.code, 0, c.stderr);
  assert.ok(c.events.some((e) => e.type === 'log' && /distinct non-zero values per kernel: dense\/kernel 8, dense_1\/kernel 8/.test(e.message)));
  assert.ok(existsSync(path.join(dir, 'out2', 'tiny_clustered_float32.tflite')));
});

void test('qat: exit 2 with problem + fix for no model in --out and for a bad qat setting', async () => {
  const dir = freshOutDir('qat-cli-bad');
  const none = await cli(['qat', '--out', 'empty'], dir);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /There is no model for qat in .*Run `train` \(and `prune`\) first .* or pass --model PATH/s);
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ qat: { emaDecay: 1.5 } }));
  const bad = await cli(['qat', '--config', 'bad.json', '--out', 'o'], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /qat\.emaDecay/);
});
