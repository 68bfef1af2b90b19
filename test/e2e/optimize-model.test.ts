/**
 * E2E, Optimize This Model: a real Keras 2.15 .h5 (a small MNIST CNN) in the workspace,
 * right-clicked in the Explorer → Model Optimizer: Optimize This Model. The pipeline runs on
 * that file (no baseline training): the run shows in the Runs tree, its record names the
 * input, and pruned_<stem> files appear on disk. model-optimizer.json's prune.layers names the
 * file's own layers (conv2d_1, dense: what Analyze Layer Sensitivity suggests for a CNN, which
 * are not the reference MLP's layer names): those two kernels are pruned to 50 %, the others not.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, openContainer, treeRows, listFiles, waitFor, screenshot, waitForNotification, runWorkbenchCommand, pickFromContextMenu, finishedRecord } from './harness';

const FIXTURE = '/work/shared/fixtures/keras/mnist_cnn_keras2.15.h5';
const STEM = 'mnist_cnn';
const PRUNE_LAYERS = { conv2d_1: 0.5, dense: 0.5 };
const CONFIG = { data: { trainLimit: 512, testLimit: 256 }, prune: { layers: PRUNE_LAYERS, epochs: 1, schedule: { kind: 'polynomial_decay', frequency: 4 } }, quantize: { representativeSamples: 32 } };

/** Right-click `file` in the Explorer → Optimize This Model. */
async function optimizeFromExplorer(page: Page, file: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first();
  await pickFromContextMenu(page, row, /^(Model Optimizer: )?Optimize This Model$/);
}

e2eSuite('e2e: Optimize This Model', () => {
  const cs = useCodeServer({ name: 'optimize', disableTrust: true });

  void it('right-click a Keras .h5 in the Explorer → Optimize This Model: run in the tree, pruned_<stem> files on disk, prune.layers by the file\'s layer names', { timeout: 12 * 60_000, skip: fs.existsSync(FIXTURE) ? false : `no fixture ${FIXTURE}` }, async () => {
    const ws = makeWorkspace(cs.server(), 'optimize', { 'model-optimizer.json': CONFIG });
    fs.copyFileSync(FIXTURE, path.join(ws, `${STEM}.h5`));
    const out = path.join(ws, 'model-optimizer-output');
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      await optimizeFromExplorer(page, `${STEM}.h5`);

      await openContainer(page);
      await waitFor('the run in the Runs tree', async () => (await treeRows(page).filter({ hasText: /pipeline/ }).count()) > 0, 120_000, 500);
      const record = await waitFor('the finished run record', () => finishedRecord(out), 10 * 60_000, 1000);
      assert.equal(record.status, 'done', JSON.stringify(record).slice(0, 2000));
      const files = listFiles(out);
      assert.ok(files.some((f) => path.basename(f).startsWith(`pruned_${STEM}`)), `pruned_${STEM}… files in ${files.join(', ')}`);
      assert.ok(!files.some((f) => path.basename(f).startsWith('mnist_model')), 'no baseline was trained');
      // prune.layers took the file's names: exactly those kernels are pruned, to their sparsity.
      const h5 = record.report.find((r) => r.path.endsWith(`pruned_${STEM}.h5`));
      assert.ok(h5, `a pruned .h5 row in ${record.report.map((r) => r.path).join(', ')}`);
      const sparsity = Object.fromEntries(h5.layers.map((l) => [l.name, l.sparsity]));
      for (const [name, target] of Object.entries(PRUNE_LAYERS)) {
        assert.ok(Math.abs(sparsity[name] - target) < 0.01, `${name} pruned to ${target}: ${JSON.stringify(sparsity)}`);
      }
      assert.ok(!(sparsity.conv2d > 0) && !(sparsity.dense_1 > 0), `conv2d and dense_1 are not pruned: ${JSON.stringify(sparsity)}`);
    } catch (err) {
      await screenshot(page, 'optimize-model-failure').catch(() => undefined);
      throw err;
    } finally {
      await wb.close();
    }
  });

  void it('a prune.layers name the file does not have: the error names the file\'s prunable layers and opens model-optimizer.json at prune.layers', { timeout: 6 * 60_000, skip: fs.existsSync(FIXTURE) ? false : `no fixture ${FIXTURE}` }, async () => {
    const config = { ...CONFIG, prune: { ...CONFIG.prune, layers: { conv2d_9: 0.5 } } };
    const ws = makeWorkspace(cs.server(), 'optimize-typo', { 'model-optimizer.json': config });
    fs.copyFileSync(FIXTURE, path.join(ws, `${STEM}.h5`));
    const out = path.join(ws, 'model-optimizer-output');
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      await optimizeFromExplorer(page, `${STEM}.h5`);
      // The engine finds it against the file's graph when pruning starts; the run ends failed.
      const record = await waitFor('the failed run record', () => finishedRecord(out), 5 * 60_000, 1000);
      assert.equal(record.status, 'failed', JSON.stringify(record).slice(0, 1000));
      const message = await waitForNotification(page, /conv2d_9/);
      console.log(`# error shown: ${message}`);
      assert.match(message, /model-optimizer\.json: prune\.layers/, 'shown as a config error at prune.layers');
      assert.match(message, /conv2d, conv2d_1, dense, dense_1/, "names the file's prunable layers");
      assert.ok(!listFiles(out).some((f) => path.basename(f).startsWith(`pruned_${STEM}`)), 'nothing pruned was published');
      // Its button opens the file with the cursor on prune.layers (a toast, or in the notification center once hidden).
      let button = page.locator('.notification-toast', { hasText: 'conv2d_9' }).getByRole('button', { name: /Open model-optimizer\.json/ });
      if ((await button.count()) === 0) {
        await runWorkbenchCommand(page, 'Notifications: Show Notifications');
        button = page.locator('.notifications-center .notification-list-item', { hasText: 'conv2d_9' }).getByRole('button', { name: /Open model-optimizer\.json/ });
      }
      await button.click();
      await page.locator('.tabs-container .tab.active', { hasText: 'model-optimizer.json' }).waitFor({ state: 'visible' });
      const lines = fs.readFileSync(path.join(ws, 'model-optimizer.json'), 'utf8').split('\n');
      const pruneLine = lines.findIndex((l) => l.includes('"prune"'));
      const layersLine = lines.findIndex((l, i) => i > pruneLine && l.includes('"layers"')) + 1;
      const cursor = page.locator('[id="status.editor.selection"]');
      await waitFor(`the cursor on line ${layersLine} (prune.layers)`, async () => new RegExp(`Ln ${layersLine},`).test(await cursor.innerText()));
    } catch (err) {
      await screenshot(page, 'optimize-model-typo-failure').catch(() => undefined);
      throw err;
    } finally {
      await wb.close();
    }
  });
});
