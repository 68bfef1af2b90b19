/** Backend selection: auto falls back to wasm without tfjs-node, 'node' fails clearly, cpu only on request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wasmBinariesDir } from '../../src/engine/backend';
import { BadInputError } from '../../src/engine/errors';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve(['@tensorflow', 'tfjs-node'].join('/'));
    return true;
  } catch {
    return false;
  }
}

void test('wasm binaries are found next to the installed package', () => {
  const dir = wasmBinariesDir();
  assert.ok(existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')), dir);
});

void test('auto, wasm, cpu and node choices', async () => {
  const auto = await initBackend('auto');
  if (tfjsNodeInstalled()) {
    console.log('# @tensorflow/tfjs-node is installed here: auto must pick it');
    assert.equal(auto.tfjs, 'tensorflow');
  } else {
    assert.equal(auto.tfjs, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(auto.detail ?? '', /tfjs-node is not installed/);
    await assert.rejects(initBackend('node'), (err: unknown) => err instanceof BadInputError && err.where === 'backend' && /npm install @tensorflow\/tfjs-node/.test(err.message));
  }
  assert.equal(auto.requested, 'auto');
  const cpu = await initBackend('cpu');
  assert.equal(cpu.tfjs, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = await initBackend('wasm');
  assert.equal(wasm.tfjs, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(wasm.detail ?? '', /^wasm /);
});
