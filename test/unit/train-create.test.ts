/** createTrainer picks the SIMD kernel on wasm when it covers the model, TF.js otherwise, and says so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend';
import { kernelUnavailableReason } from '../../src/engine/kernel/kernelTrainer';
import { initMlp } from '../../src/engine/model/init';
import { mlpToGraph } from '../../src/engine/graph/mlp';
import { chooseTrainer, createTrainer } from '../../src/engine/train/createTrainer';
import { applyFreeze } from '../../src/engine/graph/freeze';
import { DEFAULT_CONFIG } from '../../src/protocol/config';

void test('createTrainer: kernel on wasm for the reference model, TF.js for other models and backends', async () => {
  const backend = await initBackend('wasm');
  const reference = mlpToGraph(initMlp(DEFAULT_CONFIG.model, 784, 10, 1, 'm'));
  const t1 = await createTrainer(reference, 1e-3, backend, 1);
  const reason = kernelUnavailableReason();
  if (reason === '') {
    assert.equal(t1.name, 'simd-kernel');
  } else {
    console.log(`# SIMD kernel not built here (${reason}): expecting the TF.js fallback`);
    assert.equal(t1.name, 'tfjs');
    assert.match(backend.detail ?? '', /SIMD kernel unavailable/);
  }
  assert.equal(backend.trainer, t1.name);
  t1.dispose();

  const linearHidden = mlpToGraph(initMlp({ ...DEFAULT_CONFIG.model, hiddenActivation: 'linear' }, 784, 10, 1, 'm'));
  const t2 = await createTrainer(linearHidden, 1e-3, backend, 1);
  assert.equal(t2.name, 'tfjs');
  assert.equal(backend.trainer, 'tfjs');
  t2.dispose();

  const cpu = await initBackend('cpu');
  const t3 = await createTrainer(reference, 1e-3, cpu, 1);
  assert.equal(t3.name, 'tfjs');
  assert.equal(cpu.trainer, 'tfjs');
  t3.dispose();
  await initBackend('wasm');
});

void test('createTrainer: a Dense stack with a frozen layer leaves the SIMD kernel (which trains every layer) for the graph trainer, and says so', async () => {
  const backend = await initBackend('wasm');
  const reference = mlpToGraph(initMlp(DEFAULT_CONFIG.model, 784, 10, 1, 'm'));
  const frozen = applyFreeze(reference, [reference.layers[1].name]);
  assert.equal(chooseTrainer(backend, frozen), 'tfjs-graph');
  const t = await createTrainer(frozen, 1e-3, backend, 1);
  assert.equal(t.name, 'tfjs-graph');
  assert.equal(backend.trainer, 'tfjs-graph');
  assert.match(backend.detail ?? '', /1 frozen layer\(s\) with weights/);
  t.dispose();
});
