/**
 * `--model F`: the training loop the CLI reports (header, final summary, --json events, run
 * record) is the one that trained F — the SIMD kernel for a Dense stack on wasm, the generic
 * graph trainer for a CNN — not the one config.model would have had.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineEvent, RunRecord } from '../../src/protocol/engine';
import { resolveConfig } from '../../src/engine/config';
import { initBackend } from '../../src/engine/backend';
import { buildConfigModel } from '../../src/engine/graph/fromConfig';
import { referenceMlpGraph } from '../../src/engine/graph/mlp';
import { saveKerasH5Graph } from '../../src/engine/export/kerasH5Graph';
import { ROOT, freshOutDir, runCli, type CliRun } from './child-helpers';

before(async () => {
  await initBackend('wasm');
});

const cli = (args: string[], cwd: string): Promise<CliRun> => runCli(args, cwd);

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

  // A Dense stack on wasm: the SIMD kernel (the test bundles carry dist/kernel.wasm beside them,
  // as dist/ and the .vsix do; npm test builds it first).
  assert.ok(existsSync(path.join(ROOT, 'dist', 'kernel.wasm')), 'dist/kernel.wasm is missing: run `npm run build` first');
  const d = await trainJson(dense, 'wasm', freshOutDir('cli-trainer-dense'));
  assert.deepEqual({ ...d, detail: undefined }, { started: 'simd-kernel', done: 'simd-kernel', record: 'simd-kernel', detail: undefined }, d.detail);

  // A CNN on wasm (our conv gradient kernels, also beside the bundle) trains on the graph
  // trainer; the config's model (the Dense MLP) would have been reported as 'tfjs'.
  const c = await trainJson(conv, 'wasm', freshOutDir('cli-trainer-conv'));
  assert.match(c.detail, /conv gradients: SIMD kernels/, c.detail);
  assert.deepEqual({ ...c, detail: undefined }, { started: 'tfjs-graph', done: 'tfjs-graph', record: 'tfjs-graph', detail: undefined }, c.detail);

  const outHuman = freshOutDir('cli-trainer-human');
  const h = await cli(['train', '--model', conv, ...SMALL, '--backend', 'cpu', '--out', outHuman], outHuman);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^ {2}loop {6}tfjs-graph$/m, h.stdout);
  assert.match(h.stdout, /training loop tfjs-graph/, h.stdout);
  assert.doesNotMatch(h.stdout, /loop\s+(simd-kernel|tfjs)\b(?!-)/, h.stdout);
});
