/**
 * E2E, workspace trust: the one suite that runs code-server WITHOUT --disable-workspace-trust.
 * (1) A sample workspace, trusted through VS Code's own dialog: the Model Optimizer view
 *     container is there with its welcome content and run buttons.
 * (5) An untrusted workspace (Restricted Mode): runs cannot be started (not in the palette),
 *     the view explains why, and nothing is written.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, openContainer, screenshot, waitFor, IDS } from './harness';
import { SMALL_CONFIG } from './configs';

/** Answers VS Code's "Do you trust the authors of the files in this folder?" dialog. */
async function answerTrustDialog(page: Page, trust: boolean): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /trust/i, 'the dialog on opening the folder is the workspace-trust dialog');
  await dialog.getByRole('button', { name: trust ? /Yes, I trust/i : /No, I don.t trust/i }).click();
  await dialog.waitFor({ state: 'hidden' });
}

function restrictedModeIndicator(page: Page) {
  return page.locator('.statusbar-item', { hasText: 'Restricted Mode' });
}

e2eSuite('e2e: workspace trust in code-server', () => {
  const cs = useCodeServer({ name: 'trust', disableTrust: false });

  void it('(1) trusting a sample workspace shows the Model Optimizer container with its welcome content', async () => {
    const ws = makeWorkspace(cs.server(), 'trusted', { 'model-optimizer.json': SMALL_CONFIG });
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    try {
      const { page } = wb;
      await answerTrustDialog(page, true);
      const pane = await openContainer(page);
      const welcome = pane.locator('.welcome-view-content');
      await welcome.waitFor({ state: 'visible' });
      const text = await welcome.innerText();
      assert.match(text, /No runs yet/, 'trusted welcome content');
      // The welcome buttons are the contributed command links.
      for (const label of ['Train Baseline Model', 'Run Full Pipeline']) {
        await pane.getByRole('button', { name: label }).waitFor({ state: 'visible' });
      }
      assert.equal(await restrictedModeIndicator(page).count(), 0, 'no Restricted Mode indicator after trusting');
      await screenshot(page, 'trust-welcome');
    } finally {
      await wb.close();
    }
  });

  void it('(5) in an untrusted workspace (Restricted Mode) runs cannot start and the view says why', async () => {
    const ws = makeWorkspace(cs.server(), 'untrusted', { 'model-optimizer.json': SMALL_CONFIG });
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    try {
      const { page } = wb;
      await answerTrustDialog(page, false);
      await restrictedModeIndicator(page).first().waitFor({ state: 'visible' });
      const pane = await openContainer(page);
      const welcome = pane.locator('.welcome-view-content');
      await waitFor('the Restricted Mode welcome text', async () => /needs a trusted workspace/.test(await welcome.innerText()));
      await pane.getByRole('button', { name: 'Manage Workspace Trust' }).waitFor({ state: 'visible' });
      assert.doesNotMatch(await welcome.innerText(), /No runs yet/, 'the trusted welcome content is hidden');

      // The run commands are not offered in the palette in Restricted Mode.
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`>${IDS.commandCategory}:`);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show Metrics Panel' }).first().waitFor({ state: 'visible' });
      const offered = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
      for (const cmd of ['Train Baseline Model', 'Run Full Pipeline']) {
        assert.ok(!offered.some((t) => t.includes(cmd)), `"${cmd}" must not be offered in Restricted Mode; palette shows: ${offered.join(' | ')}`);
      }
      await page.keyboard.press('Escape');
      await screenshot(page, 'restricted-mode');
      assert.equal(fs.existsSync(path.join(ws, 'model-optimizer-output')), false, 'nothing written in Restricted Mode');
    } finally {
      await wb.close();
    }
  });
});
