/**
 * The deploy analysis against the real TensorFlow Lite Micro (../shared/tools/tflm, built for
 * the host into a cache folder on first use: about 3 minutes on 2 cores, then cached). For each
 * TFLite variant the pipeline writes: a file the report calls compatible runs in TFLM, and the
 * arena estimate is never below TFLM's arena_used_bytes and at most 10 % above it; a file the
 * report calls incompatible is one TFLM refuses.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeDeploy } from '../../src/engine/deploy/report';
import { tfliteBytes } from '../../src/engine/export/tflite';
import type { ImageSet } from '../../src/engine/data/dataset';
import { mnist, randomModel, tempDir } from './export-helpers';

const TOOL = path.resolve(__dirname, '../../../shared/tools/tflm');
const BUILD = process.env.TFLM_BUILD_DIR ?? path.join(os.tmpdir(), 'model-optimizer-tflm');
const RUNNER = path.join(BUILD, 'tflm_run');

/** The runner, built when missing; or why it is unavailable. */
function tflm(): string | undefined {
  if (existsSync(RUNNER)) {
    return undefined;
  }
  if (!existsSync(path.join(TOOL, 'build.sh'))) {return `TFLM sources not found at ${TOOL}`;}
  if (spawnSync('g++', ['--version']).status !== 0 || spawnSync('make', ['--version']).status !== 0) {return 'g++ and make are needed to build TFLM (apt-get install g++ make)';}
  const r = spawnSync('bash', [path.join(TOOL, 'build.sh'), BUILD], { encoding: 'utf8', timeout: 30 * 60_000 });
  return r.status === 0 && existsSync(RUNNER) ? undefined : `TFLM build failed: ${(r.stderr || '').slice(-500)}`;
}

const unavailable = tflm();
if (unavailable) {console.log(`deploy-tflm: skipped: ${unavailable}`);}

let train: ImageSet;
before(async () => {
  ({ train } = await mnist(300, 1));
});

interface TflmRun {
  ok: boolean;
  error: string | null;
  arena_used_bytes?: number;
}

void test('every TFLite variant: compatible ⇔ TFLM runs it; arena estimate within [measured, measured + 10 %]', { skip: unavailable ?? false }, async () => {
  const dir = await tempDir('deploy-tflm');
  const model = randomModel('pruned_mnist_model', [784, 128, 10]);
  const rep = { images: train.images, count: 300 };
  const variants: [string, Uint8Array][] = [
    ['float32', tfliteBytes(model, 'float32').data],
    ['float16', tfliteBytes(model, 'float16').data],
    ['dynamic-int8 (DEQUANTIZE form)', tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'dequantize' }).data],
    ['dynamic-int8 (hybrid form)', tfliteBytes(model, 'dynamic-int8', { dynamicForm: 'hybrid' }).data],
    ['full-int8 per-channel (1×1 CONV_2D)', tfliteBytes(model, 'full-int8', { representative: rep, perChannel: true }).data],
    ['full-int8 per-tensor', tfliteBytes(model, 'full-int8', { representative: rep, perChannel: false }).data],
    ['full-int8 int8 in/out', tfliteBytes(model, 'full-int8', { representative: rep, perChannel: true, int8Io: true }).data],
  ];
  const rows: string[] = [];
  for (const [name, data] of variants) {
    const file = path.join(dir, `${name.replace(/\W+/g, '_')}.tflite`);
    await fs.writeFile(file, data);
    const report = analyzeDeploy(file, data);
    const r = spawnSync(RUNNER, [file], { encoding: 'utf8', timeout: 120_000 });
    const run = JSON.parse(r.stdout) as TflmRun;
    rows.push(`${name}: TFLM ok=${run.ok} used=${run.arena_used_bytes ?? '-'} estimate=${report.arena_bytes} lower=${report.arena_lower_bound_bytes} ${run.error ?? ''}`);
    assert.equal(run.ok, report.tflm_compatible, `${name}: TFLM ok=${run.ok} (${run.error}) but the report says compatible=${report.tflm_compatible} ${JSON.stringify(report.findings)}`);
    if (run.ok) {
      const used = run.arena_used_bytes!;
      assert.ok(report.arena_bytes >= used, `${name}: estimate ${report.arena_bytes} < TFLM ${used}`);
      assert.ok(report.arena_bytes <= used * 1.1, `${name}: estimate ${report.arena_bytes} > TFLM ${used} + 10 %`);
      assert.ok(report.arena_lower_bound_bytes <= report.arena_bytes);
    }
  }
  console.log(rows.join('\n'));
  await fs.rm(dir, { recursive: true, force: true });
});
