/**
 * The deploy analysis against the real TensorFlow Lite Micro (../shared/tools/tflm, built for
 * the host into a cache folder on first use: about 3 minutes on 2 cores, then cached). For each
 * TFLite variant the pipeline writes (the MLP's four formats and their full-int8 options) and
 * for the convnet's and the Functional models' files: a file the report calls compatible runs in
 * TFLM with the TFLite runtime's accuracy on the same MNIST test images, the arena estimate is
 * never below TFLM's arena_used_bytes and at most 10 % above it, the planned head equals TFLM's
 * head exactly; a file the report calls incompatible is one TFLM refuses.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/backend';
import type { ImageSet } from '../../src/engine/data/dataset';
import { graphToMlp, mlpToGraph } from '../../src/engine/graph/mlp';
import type { ModelGraph } from '../../src/engine/graph/types';
import { GraphTrainer } from '../../src/engine/train/graphTrainer';
import { mnistPackagePaths } from '../../src/engine/data/mnist';
import { TFLM_CODE } from '../../src/engine/deploy/kernelCodeTable';
import { measureTflmCode } from '../../src/engine/deploy/measureCode';
import { analyzeDeploy } from '../../src/engine/deploy/report';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { TfliteModel } from '../../src/engine/runtime/tfliteRuntime';
import { mnist, randomModel, tempDir } from './export-helpers';
import { ensureKernelBuilt } from './kernel-helpers';
import { convnet, functional } from './tflite-graph-helpers';

const TOOL = path.resolve(__dirname, '../../../shared/tools/tflm');
const BUILD = process.env.TFLM_BUILD_DIR ?? path.join(os.tmpdir(), 'model-optimizer-tflm');
const RUNNER = path.join(BUILD, 'tflm_run');
/** MNIST test images both runtimes classify (the first N of t10k). */
const N = 300;

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
let testSet: ImageSet;
before(async () => {
  ({ train, test: testSet } = await mnist(2000, N));
});

/**
 * A few Adam steps on 2,000 MNIST images: enough for clear margins between classes, so that
 * one-LSB differences between two runtimes' int8 kernels cannot flip near-ties the way they do
 * on random weights (whose outputs are all about 0.1).
 */
function trained(g: ModelGraph, steps = 40, batch = 50): ModelGraph {
  const t = new GraphTrainer(g, 0.003, 7);
  try {
    for (let s = 0; s < steps; s++) {
      const at = ((s * batch) % train.count);
      t.trainBatch(train.images.subarray(at * 784, (at + batch) * 784), train.labels.subarray(at, at + batch), batch);
    }
    return t.getModel(g.name);
  } finally {
    t.dispose();
  }
}

interface TflmRun {
  ok: boolean;
  error: string | null;
  arena_used_bytes?: number;
  recording?: { head_bytes: number };
  n?: number;
  correct?: number;
}

/** Correct predictions of the TFLite runtime (tfjs-tflite) on the first N test images, inputs prepared as tflm_run does. */
async function tfliteCorrect(data: Uint8Array, input: { type: string; scale?: number; zero_point?: number }): Promise<number> {
  const tm = await TfliteModel.load(data, 'deploy-tflm');
  try {
    // tflm_run quantizes in float32: round((pixel / 255.0f) / scale) + zero_point, clamped.
    const q =
      input.type.toLowerCase() === 'int8'
        ? (px: Uint8Array | Float32Array): Int8Array =>
            Int8Array.from(px, (v) => {
              const byte = px instanceof Uint8Array ? v : Math.round(v * 255); // the pixel tflm_run reads from the IDX file
              return Math.max(-128, Math.min(127, Math.round(Math.fround(Math.fround(byte / 255) / input.scale!)) + input.zero_point!));
            })
        : undefined;
    const outs = tm.runImages(testSet.images, 0, N, 784, q);
    let correct = 0;
    outs.forEach((o, n) => {
      let best = 0;
      for (let k = 1; k < o.length; k++) {
        if (o[k] > o[best]) {best = k;}
      }
      if (best === testSet.labels[n]) {correct++;}
    });
    return correct;
  } finally {
    tm.dispose();
  }
}

void test('every TFLite variant, the convnet and the Functional models: compatible ⇔ TFLM runs it, with the TFLite runtime\'s accuracy; arena estimate within [measured, measured + 10 %]', { skip: unavailable ?? false, timeout: 20 * 60_000 }, async () => {
  const dir = await tempDir('deploy-tflm');
  ensureKernelBuilt();
  await initBackend('wasm');
  const fit = graphToMlp(trained(mlpToGraph(randomModel('pruned_mnist_model', [784, 128, 10]))));
  assert.ok(fit.model, fit.reason);
  const mlp = fit.model;
  const rep = { images: train.images, count: 300 };
  const full = { representative: rep, perChannel: true };
  const variants: [string, Uint8Array][] = [
    ['float32', tfliteBytes(mlp, 'float32').data],
    ['float16', tfliteBytes(mlp, 'float16').data],
    ['dynamic-int8 (DEQUANTIZE form)', tfliteBytes(mlp, 'dynamic-int8', { dynamicForm: 'dequantize' }).data],
    ['dynamic-int8 (hybrid form)', tfliteBytes(mlp, 'dynamic-int8', { dynamicForm: 'hybrid' }).data],
    ['full-int8 per-channel (1×1 CONV_2D)', tfliteBytes(mlp, 'full-int8', full).data],
    ['full-int8 per-channel FULLY_CONNECTED', tfliteBytes(mlp, 'full-int8', { ...full, perChannelAs: 'fully-connected' }).data],
    ['full-int8 per-tensor', tfliteBytes(mlp, 'full-int8', { representative: rep, perChannel: false }).data],
    ['full-int8 int8 in/out', tfliteBytes(mlp, 'full-int8', { ...full, int8Io: true }).data],
  ];
  for (const [name, g] of [
    ['convnet', trained(convnet())],
    ['functional', trained(functional())],
    ['functional extras', trained(functional(2, true))],
  ] as const) {
    variants.push(
      [`${name} float32`, tfliteBytes(g, 'float32').data],
      [`${name} full-int8`, tfliteBytes(g, 'full-int8', full).data],
      [`${name} full-int8 int8 in/out`, tfliteBytes(g, 'full-int8', { ...full, int8Io: true }).data],
    );
  }
  const mnistDir = path.dirname(mnistPackagePaths().testImages);
  const rows: string[] = [];
  for (const [name, data] of variants) {
    const file = path.join(dir, `${name.replace(/\W+/g, '_')}.tflite`);
    await fs.writeFile(file, data);
    const report = analyzeDeploy(file, data);
    const r = spawnSync(RUNNER, [file, '--mnist', mnistDir, '--limit', String(N)], { encoding: 'utf8', timeout: 300_000 });
    const run = JSON.parse(r.stdout) as TflmRun;
    let line = `${name}: TFLM ok=${run.ok} used=${run.arena_used_bytes ?? '-'} head=${run.recording?.head_bytes ?? '-'} estimate=${report.arena_bytes} planned=${report.arena.plannedBytes} lower=${report.arena_lower_bound_bytes}`;
    assert.equal(run.ok, report.tflm_compatible, `${name}: TFLM ok=${run.ok} (${run.error}) but the report says compatible=${report.tflm_compatible} ${JSON.stringify(report.findings)}`);
    if (run.ok) {
      const used = run.arena_used_bytes!;
      assert.ok(report.arena_bytes >= used, `${name}: estimate ${report.arena_bytes} < TFLM ${used}`);
      assert.ok(report.arena_bytes <= used * 1.1, `${name}: estimate ${report.arena_bytes} > TFLM ${used} + 10 %`);
      assert.ok(report.arena_lower_bound_bytes <= report.arena_bytes);
      // The planner simulation is exact: TFLM's head (activations + scratch) is our plan.
      assert.equal(report.arena.plannedBytes, run.recording!.head_bytes, `${name}: planned head`);
      // Same images, same predictions: TFLM's reference kernels agree with the TFLite runtime.
      const expected = await tfliteCorrect(data, report.inputs[0]);
      assert.equal(run.n, N);
      assert.ok(Math.abs(run.correct! - expected) <= 1, `${name}: TFLM ${run.correct}/${N} correct, TFLite runtime ${expected}/${N}`);
      line += ` accuracy TFLM ${run.correct}/${N} TFLite ${expected}/${N}`;
    } else {
      line += ` refused: ${run.error}`;
    }
    rows.push(line);
  }
  console.log(rows.join('\n'));
  await fs.rm(dir, { recursive: true, force: true });
});

void test('the stored TFLM code sizes match this TFLM build (within 10 %; regenerate: npx tsx scripts/measure-tflm-code.ts)', { skip: unavailable ?? false }, () => {
  const now = measureTflmCode(BUILD);
  assert.deepEqual(Object.keys(now.objects).sort(), Object.keys(TFLM_CODE.objects).sort());
  for (const [o, bytes] of Object.entries(now.objects)) {
    assert.ok(Math.abs(bytes - TFLM_CODE.objects[o]) <= 0.1 * Math.max(bytes, 100), `${o}: ${bytes} B now, ${TFLM_CODE.objects[o]} B stored`);
  }
});
