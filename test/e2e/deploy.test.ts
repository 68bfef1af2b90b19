/**
 * E2E, Deploy to a Device (issue 12) on a run's files: a small pipeline run (the CLI, seconds:
 * MLP 784-256-10 on 512 images, float32 and full-int8 .tflite, deploy.target cortex-m0plus)
 * in the workspace; then in code-server
 *  - the full-int8 file from the Runs tree's context menu → a deploy card on cortex-m0plus that fits,
 *  - the float32 file from the Explorer's context menu → a card that does not fit its flash
 *    (the file alone is larger than the 512 KiB budget), then another target picked in the card.
 * The card's figures are checked against the hand-computed MACs, the file size and budget, and the
 * `<stem>_deploy.json` report the same analysis wrote beside the model.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import type { Frame, Locator } from 'playwright-core';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, openContainer, treeRows, expandAll, webviewFrame, waitForNotification, runWorkbenchCommand, pickFromContextMenu, screenshot, waitFor, ROOT } from './harness';

const HIDDEN = 256;
/** MACs of the 784-HIDDEN-10 MLP's two fully connected layers (in × out each). */
const MLP_MACS = 784 * HIDDEN + HIDDEN * 10;
/** Cortex-M0+ preset: STM32G0B1, 512 KiB flash (docs/targets.md). */
const M0_FLASH = 512 * 1024;
const CONFIG = {
  data: { trainLimit: 512, testLimit: 256 },
  model: { hidden: [HIDDEN] },
  train: { epochs: 1 },
  prune: { epochs: 1, schedule: { kind: 'polynomial_decay', frequency: 4 } },
  quantize: { tflite: ['float32', 'full-int8'], tfjs: [], representativeSamples: 32 },
  deploy: { target: 'cortex-m0plus' },
};
const INT8 = 'pruned_mnist_model_full_int8.tflite';
const FLOAT = 'pruned_mnist_model_float32.tflite';
const DEPLOY_ITEM = /^(Model Optimizer: )?Deploy to a Device \(C Array, Arena, Latency\)$/;

interface DeployJson {
  macs: number;
  flash_bytes: number;
  arena_bytes: number;
  target: string | null;
  targets: Record<string, { label: string; latency_ms: { low: number; high: number }; flash_budget_bytes: number | null; fits_flash: boolean | null; fits_ram: boolean | null }>;
}

/** The `<stem>_deploy.json` the analysis wrote beside the analysed file. */
function reportBeside(file: string): DeployJson | undefined {
  const p = file.replace(/\.tflite$/, '_deploy.json');
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as DeployJson) : undefined;
}

async function cardOf(frame: Frame, file: string): Promise<Locator> {
  const card = frame.locator(`#deploy-section .deploy-card[data-file$="/${file}"]`);
  await card.waitFor({ state: 'visible', timeout: 120_000 });
  return card;
}

/** The card on its current target against the report: bars, latency, arena, verdict. */
async function checkCard(card: Locator, r: DeployJson, target: string): Promise<void> {
  const t = r.targets[target];
  assert.equal(await card.getAttribute('data-target'), target);
  const flash = card.locator('.deploy-bar[data-kind="flash"]');
  assert.equal(await flash.getAttribute('data-fits'), t.fits_flash ? 'yes' : 'no');
  assert.ok(Math.abs(Number(await flash.getAttribute('data-fraction')) - r.flash_bytes / t.flash_budget_bytes!) < 1e-5, 'flash bar = flash / budget');
  assert.equal(await card.locator('.deploy-bar[data-kind="ram"]').getAttribute('data-fits'), t.fits_ram ? 'yes' : 'no');
  const lat = card.locator('.deploy-latency');
  assert.equal(Number(await lat.getAttribute('data-low')), t.latency_ms.low);
  assert.equal(Number(await lat.getAttribute('data-high')), t.latency_ms.high);
  assert.match(await lat.innerText(), new RegExp(`on ${t.label.replace(/[+]/g, '\\+')}:`));
  const facts = await card.locator('.deploy-facts').innerText();
  assert.match(facts, new RegExp(`^${MLP_MACS.toLocaleString('en-US')} MACs per inference · arena ${r.arena_bytes.toLocaleString('en-US')} B`));
}

e2eSuite('e2e: Deploy to a Device', () => {
  const cs = useCodeServer({ name: 'deploy', disableTrust: true });

  void it("a run's .tflite files from the Runs tree and the Explorer: deploy cards with target, fits / does not fit, latency and arena", { timeout: 8 * 60_000 }, async () => {
    const ws = makeWorkspace(cs.server(), 'deploy', { 'model-optimizer.json': CONFIG });
    const out = path.join(ws, 'model-optimizer-output');
    const cli = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'pipeline', '--out', out], { cwd: ws, encoding: 'utf8', timeout: 5 * 60_000 });
    assert.equal(cli.status, 0, `the pipeline run: ${cli.stderr}\n${cli.stdout.slice(-2000)}`);
    assert.ok(fs.statSync(path.join(out, FLOAT)).size > M0_FLASH, 'the float32 file alone exceeds the Cortex-M0+ flash');

    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      // The full-int8 file of the run, from the Runs tree.
      await openContainer(page);
      await waitFor('the run in the Runs tree', async () => (await treeRows(page).filter({ hasText: /pipeline/ }).count()) > 0, 120_000, 500);
      await waitFor(`${INT8} in the Runs tree`, async () => {
        await expandAll(page);
        return (await treeRows(page).filter({ hasText: INT8 }).count()) > 0;
      });
      await pickFromContextMenu(page, treeRows(page).filter({ hasText: INT8 }).first(), DEPLOY_ITEM);
      let frame = await webviewFrame(page, 120_000);
      let card = await cardOf(frame, INT8);
      // An artifact of the Runs tree is the file in the run's own folder (runs/<run-id>/).
      const int8File = (await card.getAttribute('data-file')) ?? '';
      assert.equal(path.dirname(path.relative(out, int8File)).split(path.sep)[0], 'runs', int8File);
      const int8Report = await waitFor(`${INT8}'s deploy report beside it`, () => reportBeside(int8File), 60_000, 500);
      assert.equal(int8Report.macs, MLP_MACS, 'MACs = 784·256 + 256·10');
      assert.equal(int8Report.target, 'cortex-m0plus', 'deploy.target from model-optimizer.json');
      assert.ok(int8Report.flash_bytes >= fs.statSync(int8File).size, 'flash holds at least the model array');
      assert.equal(int8Report.targets['cortex-m0plus'].fits_flash, int8Report.flash_bytes <= M0_FLASH);
      await checkCard(card, int8Report, 'cortex-m0plus');
      assert.equal(await card.locator('.deploy-bar[data-kind="flash"]').getAttribute('data-fits'), 'yes', 'the full-int8 file fits the Cortex-M0+');
      assert.equal(await card.locator('[data-compatible]').getAttribute('data-compatible'), 'true');
      await waitForNotification(page, new RegExp(`${INT8.replace(/\./g, '\\.')}: it fits Cortex-M0\\+`));
      const uncovered = await card.locator('h3').evaluate((h) => {
        const r = h.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (hit === h || h.contains(hit));
      });
      assert.ok(uncovered, "the new card's title is in view, not under the panel's header");
      await screenshot(page, 'deploy-int8-card');

      // The float32 file from the Explorer: does not fit the Cortex-M0+ flash.
      await runWorkbenchCommand(page, 'View: Show Explorer');
      const folderRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'model-optimizer-output' }).first();
      await folderRow.waitFor({ state: 'visible' });
      const fileRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: FLOAT }).first();
      await waitFor('the output folder expanded in the Explorer', async () => {
        if ((await fileRow.count()) > 0) {
          return true;
        }
        if ((await folderRow.getAttribute('aria-expanded')) !== 'true') {
          await folderRow.click();
        }
        return false;
      });
      await pickFromContextMenu(page, fileRow, DEPLOY_ITEM);
      frame = await webviewFrame(page, 120_000);
      card = await cardOf(frame, FLOAT);
      assert.equal(await card.getAttribute('data-file'), path.join(out, FLOAT), 'the file at the top of the output folder');
      const floatReport = await waitFor(`${FLOAT}'s deploy report beside it`, () => reportBeside(path.join(out, FLOAT)), 60_000, 500);
      assert.equal(floatReport.macs, MLP_MACS);
      assert.equal(floatReport.targets['cortex-m0plus'].fits_flash, false, 'more flash than the budget');
      await checkCard(card, floatReport, 'cortex-m0plus');
      assert.match(await card.locator('.deploy-bar-text').first().innerText(), /does not fit/);
      await waitForNotification(page, new RegExp(`${FLOAT.replace(/\./g, '\\.')}: it does not fit Cortex-M0\\+`));
      // Newest first: the float32 card above the full-int8 one.
      assert.deepEqual(
        (await frame.locator('#deploy-section .deploy-card').evaluateAll((cs) => cs.map((c) => (c as HTMLElement).dataset.file ?? ''))).map((f) => path.basename(f)),
        [FLOAT, INT8],
      );

      // Another target in the card: the same file against a Cortex-M7's 2 MiB flash fits.
      await card.locator('select.deploy-target').selectOption('cortex-m7');
      card = await cardOf(frame, FLOAT);
      await waitFor('the card to switch to cortex-m7', async () => (await card.getAttribute('data-target')) === 'cortex-m7');
      await checkCard(card, floatReport, 'cortex-m7');
      assert.equal(await card.locator('.deploy-bar[data-kind="flash"]').getAttribute('data-fits'), 'yes');
      await screenshot(page, 'deploy-float32-card');
    } catch (err) {
      await screenshot(page, 'deploy-failure').catch(() => undefined);
      console.log(`# page console:\n${wb.consoleLines.slice(-30).join('\n')}`);
      throw err;
    } finally {
      await wb.close();
    }
  });
});
