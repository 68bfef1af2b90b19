/** runTrainStage end to end on a small MNIST subset: events, record, saved model; cancel. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/protocol/config';
import { initBackend } from '../../src/engine/backend';
import { scoreProbabilities } from '../../src/engine/evaluate';
import { forwardMlp } from '../../src/engine/quantize/forward';
import { evaluateModelFile } from '../../src/engine/report/evaluateFile';
import { loadMlpFile } from './mlp-files';
import { runTrainStage } from '../../src/engine/jobs/train';
import { CancelledError } from '../../src/engine/errors';
import { fakeContext } from './train-helpers';

before(async () => {
  await initBackend('wasm');
});

const small: RunConfig = {
  ...DEFAULT_CONFIG,
  data: { ...DEFAULT_CONFIG.data, trainLimit: 6000, testLimit: 1000 },
  train: { ...DEFAULT_CONFIG.train, epochs: 1 },
};

void test('train stage: trains, evaluates on test, saves mnist_model/ and records it', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-train-'));
  try {
    const ctx = fakeContext(small, out);
    const model = await runTrainStage(ctx);
    assert.equal(model.name, 'mnist_model');
    const types = ctx.events.map((e) => e.type);
    assert.equal(types[0], 'stageStarted');
    assert.ok(types.indexOf('epochEnd') < types.indexOf('artifactWritten'));
    const started = ctx.events[0];
    assert.ok(started.type === 'stageStarted' && started.stepsPerEpoch === Math.ceil(5400 / 64) && started.epochs === 1);
    assert.deepEqual(
      ctx.artifacts.map((a) => [a.kind, a.model, a.path.replace(/events\.out\.tfevents\..*$/, 'events.out.tfevents.*')]),
      [
        ['tfjs', 'mnist_model', 'mnist_model/model.json'],
        ['tensorboard', 'mnist_model', 'logs/train/events.out.tfevents.*'],
      ],
    );
    const tb = ctx.artifacts[1];
    assert.equal((await fs.stat(path.join(out, tb.path))).size, tb.bytes);
    const onDisk = (await fs.stat(path.join(out, 'mnist_model', 'model.json'))).size + (await fs.stat(path.join(out, 'mnist_model', 'group1-shard1of1.bin'))).size;
    assert.equal(ctx.artifacts[0].bytes, onDisk);
    assert.equal(ctx.records.length, 1);
    const rec = ctx.records[0];
    assert.equal(rec.epochs.length, 1);
    assert.ok(rec.testAccuracy !== undefined && rec.testAccuracy > 0.8, `test accuracy ${rec.testAccuracy}`);
    // The saved file, evaluated independently of the trainer, gives the recorded accuracy.
    const data = await ctx.data();
    const again = await evaluateModelFile(path.join(out, 'mnist_model', 'model.json'), { test: data.test, latencyRuns: 0 });
    assert.equal(again.runtime, 'tfjs-layers (loadLayersModel)');
    assert.ok(Math.abs((again.accuracy ?? NaN) - rec.testAccuracy) < 1e-9, `${again.accuracy} vs ${rec.testAccuracy}`);
    // Keras' loss from the file's weights (read by the importer, plain-JS forward pass).
    const probs = forwardMlp(await loadMlpFile(path.join(out, 'mnist_model')), data.test.images, data.test.count);
    const scored = scoreProbabilities(probs, data.test.labels, data.test.count, 10);
    assert.ok(Math.abs(scored.loss - (rec.testLoss ?? NaN)) < 1e-5, `${scored.loss} vs ${rec.testLoss}`);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});

void test('train stage: cancel mid-epoch leaves no model files', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mo-train-'));
  try {
    const ctx = fakeContext(small, out);
    const events = ctx.events;
    ctx.emit = (e) => {
      events.push(e);
      if (e.type === 'batchProgress') {
        ctx.abort.abort();
      }
    };
    await assert.rejects(runTrainStage(ctx), CancelledError);
    assert.deepEqual(await fs.readdir(out), []);
    assert.equal(ctx.records.length, 0);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});
