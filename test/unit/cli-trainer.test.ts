/**
 * `--model F`: the training loop the CLI reports (header, final summary, --json events, run
 * record) is the one that trained F — the SIMD kernel for a Dense stack on wasm, the generic
 * graph trainer for a CNN — not the one config.model would have had.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent, RunRecord } from '../../src/protocol/engine';
import { resolveConfig } from '../../src/engine/config';
import { initBackend } from '../../src/engine/backend';
import { buildConfigModel } from '../../src/engine/graph/fromConfig';
import { referenceMlpGraph } from '../../src/engine/graph/mlp';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { buildBundles, freshOutDir } from './child-helpers';

before(async () => {
  await initBackend('wasm');
});

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return buildBundles().then(
    ({ cli: cliJs }) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cliJs, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
  );
}

const SMALL = ['--epochs', '1', '--train-limit', '256', '--test-limit', '100'];

async function trainJson(model: string, backend: string, out: string): Promise<{ started: string; done: string | undefined; record: string; detail: string }> {
  const r = await cli(['train', '--json', '--model', model, ...SMALL, '--backend', backend, '--out', out], out);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as EngineEvent);
  const started = events.find((e) => e.type === 'jobStarted');
  const done = events.at(-1);
  assert.ok(started?.type === 'jobStarted' && done?.type === 'done', r.stdout.slice(-2000));
  const record = JSON.parse(readFileSync(path.resolve(out, done.recordPath), 'utf8')) as RunRecord;
  return { started: started.backend.trainer, done: done.backend?.trainer, record: record.backend.trainer, detail: record.backend.detail ?? '' };
}

void test('--model: a Dense stack reports its Dense loop, a CNN reports tfjs-graph (header, summary, events, record)', async () => {
  const out = freshOutDir('cli-trainer');
  const dense = path.join(out, 'dense_model.h5');
  await saveKerasH5Graph(referenceMlpGraph({ hidden: [16], hiddenActivation: 'relu', outputActivation: 'softmax' }, 784, 10, 1, 'dense_model'), dense);
  const cnnConfig = resolveConfig({
    model: {
      input: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
  });
  const conv = path.join(out, 'conv_model.h5');
  await saveKerasH5Graph(buildConfigModel(cnnConfig.model, 'conv_model', 1), conv);

  // A Dense stack on wasm: the SIMD kernel when the bundle finds dist/kernel.wasm (the test
  // bundles may not: then the run says why, and the TF.js Dense loop trains).
  const d = await trainJson(dense, 'wasm', freshOutDir('cli-trainer-dense'));
  const denseLoop = /SIMD kernel unavailable/.test(d.detail) ? 'tfjs' : 'simd-kernel';
  assert.deepEqual({ ...d, detail: undefined }, { started: denseLoop, done: denseLoop, record: denseLoop, detail: undefined }, d.detail);

  // A CNN (cpu backend: the test bundles may lack the wasm conv gradients) trains on the graph
  // trainer; the config's model (the Dense MLP) would have been reported as 'tfjs'.
  const c = await trainJson(conv, 'cpu', freshOutDir('cli-trainer-conv'));
  assert.deepEqual({ ...c, detail: undefined }, { started: 'tfjs-graph', done: 'tfjs-graph', record: 'tfjs-graph', detail: undefined }, c.detail);

  const outHuman = freshOutDir('cli-trainer-human');
  const h = await cli(['train', '--model', conv, ...SMALL, '--backend', 'cpu', '--out', outHuman], outHuman);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^ {2}loop {6}tfjs-graph$/m, h.stdout);
  assert.match(h.stdout, /training loop tfjs-graph/, h.stdout);
  assert.doesNotMatch(h.stdout, /loop\s+(simd-kernel|tfjs)\b(?!-)/, h.stdout);
});
