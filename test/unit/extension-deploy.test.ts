/**
 * Model Optimizer: Deploy's host side without VS Code: which file an invocation names, the
 * real CLI bundle run as a child process (`deploy --json`), the typed card parsed from its
 * report (equal to the in-process analysis), bad input and Cancel, and the card parser's
 * refusal of malformed reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tfliteArg } from '../../src/extension/deployArg';
import { runDeployCli } from '../../src/extension/deployRunner';
import { analyzeDeploy } from '../../src/engine/deploy/report';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { deployCardFromReport, sortLayers } from '../../src/protocol/deploy';
import { buildBundles } from './child-helpers';
import { mnist, randomModel, tempDir } from './export-helpers';

void test('tfliteArg: Explorer Uri, path string, Runs-view artifact, palette; other files are errors', () => {
  assert.deepEqual(tfliteArg({ scheme: 'file', fsPath: '/w/m_full_int8.tflite' }), { kind: 'file', file: '/w/m_full_int8.tflite' });
  assert.deepEqual(tfliteArg('/w/M.TFLITE'), { kind: 'file', file: '/w/M.TFLITE' });
  assert.deepEqual(tfliteArg({ runId: 'r1', path: 'a.tflite' }), { kind: 'artifact' });
  assert.deepEqual(tfliteArg(undefined), { kind: 'none' });
  assert.equal(tfliteArg({ scheme: 'vscode-remote', fsPath: '/w/m.tflite' }).kind, 'error');
  const h5 = tfliteArg('/w/model.h5');
  assert.equal(h5.kind, 'error');
  assert.match((h5 as { message: string }).message, /not a \.tflite file/);
});

void test('runDeployCli: the CLI bundle in a child process; the card equals the in-process analysis; bad input and Cancel', async () => {
  const { cli } = await buildBundles();
  const { train } = await mnist(200, 1);
  const dir = await tempDir('extension-deploy');
  const file = path.join(dir, 'm_full_int8.tflite');
  const data = tfliteBytes(randomModel('m', [784, 32, 10]), 'full-int8', { representative: { images: train.images, count: 200 }, perChannel: true }).data;
  await fs.writeFile(file, data);
  // deploy.target comes from the workspace's model-optimizer.json (the CLI's working folder).
  await fs.writeFile(path.join(dir, 'model-optimizer.json'), JSON.stringify({ deploy: { target: 'cortex-m0plus' } }));
  const r = await runDeployCli(cli, file, { cwd: dir });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const expected = analyzeDeploy(file, data, { target: 'cortex-m0plus' });
  const card = r.card;
  assert.equal(r.exitCode, 0);
  assert.equal(card.file, file);
  assert.equal(card.target, 'cortex-m0plus');
  assert.equal(card.macs, expected.macs);
  assert.equal(card.arenaBytes, expected.arena_bytes);
  assert.equal(card.flashBytes, expected.flash_bytes);
  assert.ok(card.flashBytes > data.length, "flash = model array + TFLM code");
  assert.deepEqual(card.ops, expected.ops);
  assert.deepEqual(card.layers.map((l) => [l.op, l.macs, l.weightBytes, l.activationBytes]), expected.layers.map((l) => [l.op, l.macs, l.weightBytes, l.activationBytes]));
  assert.deepEqual(card.targets.map((t) => [t.name, t.latencyMs.low, t.latencyMs.high, t.fitsFlash, t.fitsRam, t.ok]), Object.entries(expected.targets).map(([k, t]) => [k, t.latency_ms.low, t.latency_ms.high, t.fits_flash, t.fits_ram, t.ok]));
  assert.deepEqual(card.written.map((w) => path.basename(w)).sort(), ['_deploy.json', '_deploy.md', '_model_data.cc', '_model_data.h', '_ops.h'].map((s) => `m_full_int8${s}`).sort());
  // --target overrides deploy.target.
  const m7 = await runDeployCli(cli, file, { cwd: dir, target: 'cortex-m7' });
  assert.ok(m7.ok && m7.card.target === 'cortex-m7');
  // A file that is no TFLite model: exit 2, the CLI's problem text comes back.
  const bad = path.join(dir, 'bad.tflite');
  await fs.writeFile(bad, 'not a flatbuffer at all');
  const rb = await runDeployCli(cli, bad, { cwd: dir });
  assert.equal(rb.ok, false);
  assert.match((rb as { message: string }).message, /bad\.tflite/);
  // Cancel: an aborted signal ends the child and says so.
  const abort = new AbortController();
  const pending = runDeployCli(cli, file, { cwd: dir, signal: abort.signal });
  abort.abort();
  assert.deepEqual(await pending, { ok: false, message: 'Cancelled.' });
  await fs.rm(dir, { recursive: true, force: true });
});

void test('deployCardFromReport refuses malformed reports; sortLayers orders by MACs, by memory, or operator order', () => {
  const report = {
    model: 'x.tflite',
    macs: 30,
    flash_bytes: 100,
    arena_bytes: 64,
    arena_lower_bound_bytes: 48,
    tflm_compatible: true,
    ops: ['CONV_2D'],
    findings: [{ severity: 'info', message: '<b>m</b>', fix: 'f' }],
    layers: [
      { index: 0, op: 'CONV_2D', macs: 10, weightBytes: 5, activationBytes: 100, outputShape: [1, 2] },
      { index: 1, op: 'CONV_2D', macs: 20, weightBytes: 1, activationBytes: 1, outputShape: [1, 2] },
      { index: 2, op: 'RESHAPE', macs: 0, weightBytes: 0, activationBytes: 200, outputShape: [1, 2] },
    ],
    targets: { phone: { label: 'Phone', kind: 'phone', latency_ms: { low: 1, high: 2 }, flash_budget_bytes: null, ram_budget_bytes: null, fits_flash: null, fits_ram: null, runs: true, ok: true } },
    target: null,
  };
  const card = deployCardFromReport('/x.tflite', report, []);
  assert.ok(card);
  assert.equal(card.findings[0].message, '<b>m</b>'); // kept as text: the panel never parses it
  for (const broken of [
    { ...report, macs: -1 },
    { ...report, macs: 'many' },
    { ...report, layers: [{ ...report.layers[0], outputShape: 'x' }] },
    { ...report, findings: [{ severity: 'fatal', message: 'm', fix: 'f' }] },
    { ...report, target: 'cortex-m4f' }, // not among the targets
    { ...report, targets: { phone: { ...report.targets.phone, ok: 'yes' } } },
    null,
    [],
  ]) {
    assert.equal(deployCardFromReport('/x.tflite', broken, []), null, JSON.stringify(broken)?.slice(0, 80));
  }
  assert.deepEqual(sortLayers(card.layers, 'macs').map((l) => l.index), [1, 0, 2]);
  assert.deepEqual(sortLayers(card.layers, 'memory').map((l) => l.index), [2, 0, 1]);
  assert.deepEqual(sortLayers(card.layers, 'index').map((l) => l.index), [0, 1, 2]);
});
