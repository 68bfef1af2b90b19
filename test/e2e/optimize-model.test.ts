/**
 * E2E, Optimize This Model: a real Keras 2.15 .h5 (a small MNIST CNN) in the workspace,
 * right-clicked in the Explorer → Model Optimizer: Optimize This Model. The pipeline runs on
 * that file (no baseline training): the run shows in the Runs tree, its record names the
 * input, and pruned_<stem> files appear on disk.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import type { RunRecord } from '../../src/protocol/engine';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, openContainer, treeRows, listFiles, waitFor, screenshot } from './harness';

const FIXTURE = '/work/shared/fixtures/keras/mnist_cnn_keras2.15.h5';
const STEM = 'mnist_cnn';
const CONFIG = { data: { trainLimit: 512, testLimit: 256 }, prune: { epochs: 1, schedule: { kind: 'polynomial_decay', frequency: 4 } }, quantize: { representativeSamples: 32 } };

function finishedRecord(outDir: string): RunRecord | undefined {
  const dir = path.join(outDir, 'runs');
  if (!fs.existsSync(dir)) {
    return undefined;
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.includes('.mo-tmp-'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunRecord)
    .find((r) => r.status !== 'running');
}

e2eSuite('e2e: Optimize This Model', () => {
  const cs = useCodeServer({ name: 'optimize', disableTrust: true });

  void it('right-click a Keras .h5 in the Explorer → Optimize This Model: run in the tree, pruned_<stem> files on disk', { timeout: 12 * 60_000, skip: fs.existsSync(FIXTURE) ? false : `no fixture ${FIXTURE}` }, async () => {
    const ws = makeWorkspace(cs.server(), 'optimize', { 'model-optimizer.json': CONFIG });
    fs.copyFileSync(FIXTURE, path.join(ws, `${STEM}.h5`));
    const out = path.join(ws, 'model-optimizer-output');
    const { page } = await openWorkbench(cs.browser(), cs.server(), ws);
    try {
      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: `${STEM}.h5` }).first();
      await row.waitFor({ state: 'visible', timeout: 60_000 });
      const menu = page.locator('.context-view .monaco-menu');
      const item = menu.locator('.action-item:not(.disabled) .action-label', { hasText: /^Model Optimizer: Optimize This Model$|^Optimize This Model$/ }).first();
      await waitFor('the Explorer context menu to offer Optimize This Model', async () => {
        if (!(await menu.isVisible())) {
          await row.click({ button: 'right' });
        }
        return (await item.count()) > 0;
      }, 60_000, 500);
      await waitFor('the menu item to be taken', async () => {
        if (await menu.isVisible()) {
          await item.click({ timeout: 5_000 }).catch(() => undefined);
        }
        return !(await menu.isVisible());
      }, 30_000, 300);

      await openContainer(page);
      await waitFor('the run in the Runs tree', async () => (await treeRows(page).filter({ hasText: /pipeline/ }).count()) > 0, 120_000, 500);
      const record = await waitFor('the finished run record', () => finishedRecord(out), 10 * 60_000, 1000);
      assert.equal(record.status, 'done', JSON.stringify(record).slice(0, 2000));
      const files = listFiles(out);
      assert.ok(files.some((f) => path.basename(f).startsWith(`pruned_${STEM}`)), `pruned_${STEM}… files in ${files.join(', ')}`);
      assert.ok(!files.some((f) => path.basename(f).startsWith('mnist_model')), 'no baseline was trained');
    } catch (err) {
      await screenshot(page, 'optimize-model-failure').catch(() => undefined);
      throw err;
    }
  });
});
