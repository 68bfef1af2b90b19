/**
 * E2E, run history (issue 14): the packaged extension in code-server on a workspace whose
 * output folder already holds two finished runs (their records and files written here, so no
 * training is needed and the suite stays short).
 * (h1) The Runs tree lists the runs newest first with their key figures; files sit under the
 *      stage that wrote them; a file's context menu opens, reveals and compares it; TensorBoard
 *      logs offer Open TensorBoard.
 * (h2) Compare Runs on two runs selected in the tree shows them side by side in the panel;
 *      after a window reload the panel comes back by itself; Delete Run… (confirmed) removes
 *      the run's record and its own files and keeps the files another run also lists.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import type { ModelReport, RunRecord } from '../../src/protocol/engine';
import { findOnPath } from '../../src/extension/tensorboard';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, openContainer, containerPane, treeLabels, waitForNotification, webviewFrame, screenshot, waitFor, runWorkbenchCommand, pickMenu, EXTENSION_ID, type CodeServer } from './harness';

const OUTPUT = 'model-optimizer-output';
const A = '20261127-200000-pipeline';
const B = '20261127-210000-pipeline';

function row(p: string, model: string, format: ModelReport['format'], variant: string, bytes: number, gzip: number, acc: number): ModelReport {
  return { model, format, variant, path: p, bytes, gzipBytes: gzip, params: 101_770, nonzeros: 60_000, layers: [{ name: 'dense_1', sparsity: 0.5 }], accuracy: acc, accuracyDelta: acc - 0.97, runtime: 'tflite-wasm', latencyUs: 12 };
}

function record(runId: string, startedAt: string, epochs: number, quantAcc: number): RunRecord {
  return {
    version: 1,
    runId,
    job: 'pipeline',
    status: 'done',
    startedAt,
    finishedAt: startedAt,
    durationMs: 95_000,
    config: { ...DEFAULT_CONFIG, train: { ...DEFAULT_CONFIG.train, epochs } },
    backend: { tfjs: 'wasm', trainer: 'tfjs', requested: 'auto' },
    dataset: { name: 'mnist', train: 2700, validation: 300, test: 1000 },
    stages: [
      {
        stage: 'train',
        model: 'mnist_model',
        durationMs: 1,
        testAccuracy: 0.95,
        epochs: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, step: (i + 1) * 43, durationMs: 1, loss: 0.5 / (i + 1), accuracy: 0.85 + i / 100, valLoss: 0.45 / (i + 1), valAccuracy: 0.86 + i / 100 })),
      },
      { stage: 'export', model: 'pruned_mnist_model', durationMs: 1, epochs: [] },
    ],
    artifacts: [
      { kind: 'tensorboard', model: 'mnist_model', path: `logs/train/events.out.tfevents.${runId}`, bytes: 10 },
      { kind: 'keras-h5', model: 'mnist_model', path: 'mnist_model.h5', bytes: 11 },
      { kind: 'tflite', model: 'pruned_mnist_model', path: `quant_${runId}.tflite`, bytes: 12 },
      { kind: 'report', model: 'pruned_mnist_model', path: 'comparison.md', bytes: 13 },
      { kind: 'run-record', model: '', path: `runs/${runId}.json`, bytes: 100 },
    ],
    report: [row('mnist_model.h5', 'mnist_model', 'keras-h5', 'float32', 415_000, 380_000, 0.97), row(`quant_${runId}.tflite`, 'pruned_mnist_model', 'tflite', 'dynamic-int8', 104_000, 78_234, quantAcc)],
    warnings: [],
    timings: {},
    host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
  };
}

function seed(server: CodeServer, name: string): { ws: string; out: string } {
  const files: Record<string, string | object> = { 'model-optimizer.json': { data: { trainLimit: 3000, testLimit: 1000 } } };
  for (const r of [record(A, '2026-11-27T20:00:00.000Z', 2, 0.9612), record(B, '2026-11-27T21:00:00.000Z', 3, 0.9787)]) {
    files[`${OUTPUT}/runs/${r.runId}.json`] = r;
    for (const a of r.artifacts.filter((x) => x.kind !== 'run-record')) {
      files[`${OUTPUT}/${a.path}`] = a.path.endsWith('.md') ? '# Model comparison\n\n| File | Size |\n|---|---:|\n| mnist_model.h5 | 11 B |\n' : `bytes of ${a.path}`;
    }
  }
  const ws = makeWorkspace(server, name, files);
  return { ws, out: path.join(ws, OUTPUT) };
}

/** The tree row whose text or accessible label (runs: it holds the run id) contains `text`. */
function rowWith(page: Page, text: string) {
  const pane = containerPane(page);
  return pane.locator(`.monaco-list-row[aria-label*=${JSON.stringify(text)}]`).or(pane.locator('.monaco-list-row').filter({ hasText: text })).first();
}

async function expand(page: Page, text: string): Promise<void> {
  const r = rowWith(page, text);
  await r.waitFor({ state: 'visible' });
  if ((await r.getAttribute('aria-expanded')) === 'false') {
    await r.locator('.monaco-tl-twistie').click();
    await waitFor(`"${text}" to expand`, async () => (await r.getAttribute('aria-expanded')) === 'true');
  }
}

/** Right-clicks a tree row and returns the context menu's item labels. */
async function contextMenu(page: Page, text: string): Promise<string[]> {
  await rowWith(page, text).click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible' });
  return menu.locator('.action-item:not(.disabled) .action-label').evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()).filter((t) => t !== ''));
}


e2eSuite('e2e: run history in code-server', () => {
  const cs = useCodeServer({ name: 'history', disableTrust: true });

  void it('(h1) history newest first with key figures; files under their stage; context menus open, reveal, compare; TensorBoard', { timeout: 5 * 60_000 }, async () => {
    const { ws } = seed(cs.server(), 'menus');
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      await openContainer(page);
      const labels = await waitFor('both past runs in the tree', async () => {
        const l = await treeLabels(page);
        return l.filter((x) => x.includes('Full pipeline')).length === 2 ? l : undefined;
      });
      const runs = labels.filter((l) => l.includes('Full pipeline'));
      assert.ok(runs[0].includes(B) && runs[1].includes(A), `newest first: ${runs.join(' / ')}`);
      assert.match(runs[0], /1 min 35 s · 97\.87 % · 76\.4 KiB gzip/, 'key figures: duration, best accuracy, smallest file');

      await expand(page, B);
      await expand(page, 'Export');
      await waitFor('the files of the export stage', async () => (await treeLabels(page)).some((l) => l.includes(`quant_${B}.tflite`)));
      const tb = rowWith(page, 'TensorBoard logs');
      await tb.waitFor({ state: 'visible' });

      // A click on a file reveals it in the Explorer (the item's command, also in this multi-select tree).
      await rowWith(page, 'mnist_model.h5').click();
      await page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: 'mnist_model.h5' }).waitFor({ state: 'visible', timeout: 30_000 });
      await openContainer(page);

      // A report: Open shows its Markdown preview.
      let items = await contextMenu(page, 'comparison.md');
      for (const want of ['Open', 'Reveal in Explorer View', 'Copy Path', 'Compare With…']) {
        assert.ok(items.includes(want), `comparison.md offers ${want} (menu: ${items.join(', ')})`);
      }
      assert.ok(!items.includes('Evaluate'), 'a report is not a model');
      await pickMenu(page, 'Open');
      await page.locator('.tabs-container .tab', { hasText: /Preview comparison\.md/ }).waitFor({ state: 'visible' });

      // A model file: Evaluate and Compare With…; no Netron entry without a Netron extension.
      await openContainer(page);
      items = await contextMenu(page, `quant_${B}.tflite`);
      for (const want of ['Reveal in Explorer View', 'Copy Path', 'Evaluate', 'Compare With…']) {
        assert.ok(items.includes(want), `a .tflite offers ${want} (menu: ${items.join(', ')})`);
      }
      assert.ok(!items.includes('Open in Netron'), 'no Netron command here, so no Netron entry');
      await pickMenu(page, 'Reveal in Explorer View');
      // The Markdown preview opened just before can still take the focus and close this menu under load: pick again then.
      const revealed = page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: `quant_${B}.tflite` });
      for (let attempt = 1; ; attempt++) {
        try {
          await revealed.waitFor({ state: 'visible', timeout: 20_000 });
          break;
        } catch (err) {
          if (attempt === 3) {
            throw err;
          }
          await openContainer(page);
          await contextMenu(page, `quant_${B}.tflite`);
          await pickMenu(page, 'Reveal in Explorer View');
        }
      }

      // Compare With… the other run's quantized file: a side-by-side of their figures.
      await openContainer(page);
      await contextMenu(page, `quant_${B}.tflite`);
      await pickMenu(page, 'Compare With…');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`quant_${A}`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: `quant_${A}.tflite` }).first().waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: /Preview/ }).filter({ hasNotText: 'comparison.md' }).first().waitFor({ state: 'visible' });

      // TensorBoard logs: Open TensorBoard starts it when it is on PATH, else says how to get it.
      await openContainer(page);
      items = await contextMenu(page, 'TensorBoard logs');
      assert.ok(items.includes('Open TensorBoard'), `menu: ${items.join(', ')}`);
      await pickMenu(page, 'Open TensorBoard');
      const expected = findOnPath('tensorboard') ? /TensorBoard is starting/ : /TensorBoard is not on PATH.*pip install tensorboard/;
      await waitForNotification(page, expected);
      await screenshot(page, 'history-menus');
    } catch (err) {
      await screenshot(page, 'history-menus-failure').catch(() => undefined);
      console.log(`# page console:\n${wb.consoleLines.slice(-30).join('\n')}`);
      throw err;
    } finally {
      await wb.close();
    }
  });

  void it('(h2) Compare Runs from the tree; the panel returns after a reload; Delete Run… removes only that run', { timeout: 5 * 60_000 }, async () => {
    const { ws, out } = seed(cs.server(), 'compare');
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      await openContainer(page);
      await waitFor('both past runs in the tree', async () => (await treeLabels(page)).filter((x) => x.includes('Full pipeline')).length === 2);
      // Select both runs (click, then Ctrl+click), right-click → Compare Runs.
      await rowWith(page, B).click();
      await rowWith(page, A).click({ modifiers: ['Control'] });
      await contextMenu(page, A);
      await pickMenu(page, 'Compare Runs');
      const frame = await webviewFrame(page);
      await waitFor('the comparison in the panel', async () => (await frame.locator('#compare-section').isVisible()) && (await frame.locator('#chart-compare-accuracy').getAttribute('data-series')) === '2');
      assert.deepEqual(await frame.locator('#compare-config tr.differs').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.key)), ['train.epochs']);
      assert.equal(await frame.locator('#compare-files tbody tr').count(), 4, 'both runs\u2019 files in one table');
      await screenshot(page, 'history-compare');

      // Reload the window: VS Code hands the panel back to the extension (WebviewPanelSerializer).
      // Developer: Reload Window shuts the workbench down properly (a page reload can lose the
      // editor state when the browser's IndexedDB closes first), as a user's reload does.
      await runWorkbenchCommand(page, 'Developer: Reload Window');
      await page.waitForLoadState('load');
      await page.locator('.monaco-workbench').waitFor();
      const restored = await webviewFrame(page, 120_000);
      await waitFor('the restored panel to show a run', async () => (await restored.locator('#run-status').getAttribute('data-status')) === 'done', 120_000);
      assert.equal(await page.locator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).count(), 1, 'one panel, restored without any command');

      // Delete the older run after confirming.
      await openContainer(page);
      await waitFor('the runs again', async () => (await treeLabels(page)).filter((x) => x.includes('Full pipeline')).length === 2);
      await contextMenu(page, A);
      await pickMenu(page, 'Delete Run…');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible' });
      assert.match(await dialog.innerText(), new RegExp(`Delete run ${A} and its 2 file\\(s\\)\\?.*2 file\\(s\\) another run also lists are kept`, 's'));
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await waitFor('the record to be gone', () => !fs.existsSync(path.join(out, 'runs', `${A}.json`)));
      await waitFor('the tree to list one run', async () => (await treeLabels(page)).filter((x) => x.includes('Full pipeline')).length === 1);
      assert.equal(fs.existsSync(path.join(out, `quant_${A}.tflite`)), false, 'its own model file is deleted');
      assert.equal(fs.existsSync(path.join(out, `logs/train/events.out.tfevents.${A}`)), false, 'its own event file is deleted');
      assert.ok(fs.existsSync(path.join(out, 'mnist_model.h5')), 'a file the other run also lists is kept');
      assert.ok(fs.existsSync(path.join(out, 'runs', `${B}.json`)), 'the other run is untouched');
      await screenshot(containerPane(page), 'history-after-delete');
    } catch (err) {
      await screenshot(page, 'history-compare-failure').catch(() => undefined);
      console.log(`# page console:\n${wb.consoleLines.slice(-30).join('\n')}`);
      throw err;
    } finally {
      await wb.close();
    }
  });
});
