/**
 * E2E, Choose Dataset… (issue 11): a small image-folder data set made here (8×8 grayscale PNGs,
 * three classes with different counts, train/ and test/), right-clicked in the Explorer →
 * Use as Training Data (the Explorer entry of Choose Dataset…: same command, the folder given
 * instead of asked for). The panel's preview shows the classes with the counts measured here,
 * the sample grid (canvas pixels read back = pixels of that class's PNGs), the sample shape and
 * the value range; Write puts the data section into model-optimizer.json (other settings kept)
 * and Train Baseline Model then trains on that folder (the run record's data set).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { PNG } from 'pngjs';
import type { Frame, Page } from 'playwright-core';
import { e2eSuite, useCodeServer, makeWorkspace, openWorkbench, runCommand, webviewFrame, screenshot, waitFor, pickFromContextMenu, treeRows, openContainer, finishedRecord } from './harness';

const SIDE = 8;
/** Every image holds LOW and HIGH once (so the range is exactly that), the rest in its class's band. */
const LOW = 20;
const HIGH = 230;
const CLASSES = { bright: [160, 229], dark: [21, 90], mid: [91, 159] } as const;
const COUNTS: Record<'train' | 'test', Record<keyof typeof CLASSES, number>> = {
  train: { bright: 7, dark: 5, mid: 6 },
  test: { bright: 3, dark: 2, mid: 4 },
};
/** Kept by Write: settings outside data's location fields. */
const CONFIG = { data: { source: 'mnist', trainLimit: 1000 }, train: { epochs: 2, batchSize: 4 } };

/** Writes the data set under ws/shapes; returns each class's training images (pixel arrays). */
function makeImages(ws: string): Map<string, number[][]> {
  const byClass = new Map<string, number[][]>();
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const split of ['train', 'test'] as const) {
    for (const [cls, [lo, hi]] of Object.entries(CLASSES)) {
      for (let i = 0; i < COUNTS[split][cls as keyof typeof CLASSES]; i++) {
        const px = Array.from({ length: SIDE * SIDE }, () => lo + Math.floor(rand() * (hi - lo + 1)));
        px[(i * 3) % px.length] = LOW;
        px[(i * 3 + 1) % px.length] = HIGH;
        const png = new PNG({ width: SIDE, height: SIDE, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
        png.data = Buffer.from(px);
        const file = path.join(ws, 'shapes', split, cls, `${cls}_${String(i).padStart(2, '0')}.png`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
        if (split === 'train') {
          byClass.set(cls, [...(byClass.get(cls) ?? []), px]);
        }
      }
    }
  }
  return byClass;
}

/** Files per class folder, counted on disk (the reference for the preview's counts). */
function countOnDisk(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).map((c) => [c, fs.readdirSync(path.join(dir, c)).filter((f) => f.endsWith('.png')).length]));
}

/** Right-click a folder in the Explorer → Use as Training Data. */
async function useAsTrainingData(page: Page, folder: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: folder }).first();
  await pickFromContextMenu(page, row, /^(Model Optimizer: )?Use as Training Data$/);
}

/** The preview's canvases as [class, red channel of every pixel] (grayscale: R = G = B). */
async function samplePixels(frame: Frame): Promise<[string, number[]][]> {
  return frame.locator('#dataset-samples figure.sample').evaluateAll((figs) =>
    figs.map((f) => {
      const c = f.querySelector('canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const red: number[] = [];
      for (let i = 0; i < d.length; i += 4) {
        red.push(d[i]);
      }
      return [(f as HTMLElement).dataset.class ?? '', red] as [string, number[]];
    }),
  );
}

e2eSuite('e2e: Choose Dataset…', () => {
  const cs = useCodeServer({ name: 'dataset', disableTrust: true });

  void it('an image folder: the preview shows its measured class counts, samples, shape and range; Write sets data; training uses it', { timeout: 8 * 60_000 }, async () => {
    const ws = makeWorkspace(cs.server(), 'dataset', { 'model-optimizer.json': CONFIG });
    const images = makeImages(ws);
    const trainCounts = countOnDisk(path.join(ws, 'shapes', 'train'));
    const testCounts = countOnDisk(path.join(ws, 'shapes', 'test'));
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      await useAsTrainingData(page, 'shapes');
      const frame = await webviewFrame(page, 120_000);
      const preview = frame.locator('#dataset-preview');
      await waitFor('the data set preview in the panel', async () => (await preview.isVisible()) && ((await preview.getAttribute('data-id')) ?? '') !== '', 120_000);

      // Classes and counts, as counted on disk.
      const rows = await frame.locator('#dataset-classes-body tr[data-class]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      assert.deepEqual(
        rows,
        Object.keys(trainCounts)
          .sort()
          .map((c) => [c, String(trainCounts[c]), String(testCounts[c])]),
        'one row per class: name, training count, test count',
      );
      assert.equal(await frame.locator('#dataset-class-count').innerText(), String(Object.keys(trainCounts).length));
      assert.equal(await frame.locator('#dataset-shape').innerText(), `[${SIDE}, ${SIDE}, 1] uint8`);
      assert.match(await frame.locator('#dataset-range').innerText(), new RegExp(`^${LOW} … ${HIGH} `));

      // The sample grid: up to 4 per class, each canvas = the pixels of one PNG of its class.
      const samples = await samplePixels(frame);
      const expectedCount = Object.values(trainCounts).reduce((a, n) => a + Math.min(4, n), 0);
      assert.equal(samples.length, expectedCount, 'four samples per class (fewer when a class has fewer)');
      assert.equal(await frame.locator('#dataset-samples').getAttribute('data-count'), String(expectedCount));
      for (const [cls, red] of samples) {
        const own = images.get(cls) ?? [];
        assert.ok(
          own.some((px) => px.length === red.length && px.every((v, i) => v === red[i])),
          `a ${cls} sample shows the pixels of one of the ${cls} PNGs`,
        );
      }
      await screenshot(page, 'dataset-preview');

      // Write / Cancel are in view, not under the panel's sticky header (what the user sees without scrolling).
      const hidden = await frame.evaluate(() =>
        ['dataset-preview-title', 'dataset-confirm', 'dataset-cancel'].filter((id) => {
          const e = document.getElementById(id)!;
          const r = e.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !(hit && (hit === e || e.contains(hit)));
        }),
      );
      assert.deepEqual(hidden, [], 'covered or out of view');

      // Write: the data section goes into model-optimizer.json; the other settings stay.
      await frame.locator('#dataset-confirm').click();
      const configFile = path.join(ws, 'model-optimizer.json');
      const written = await waitFor(
        'model-optimizer.json to take the image folder',
        () => {
          const doc = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { data?: Record<string, unknown>; train?: unknown };
          return doc.data?.source === 'image-folder' ? doc : undefined;
        },
        60_000,
      );
      assert.deepEqual(written.data, { trainLimit: 1000, source: 'image-folder', trainDir: 'shapes/train', testDir: 'shapes/test', colorMode: 'grayscale', validation: 'stratified' });
      assert.deepEqual(written.train, CONFIG.train);
      await page.locator('.tabs-container .tab.active', { hasText: 'model-optimizer.json' }).waitFor({ state: 'visible' });

      // Train Baseline Model trains on that folder.
      const out = path.join(ws, 'model-optimizer-output');
      await openContainer(page);
      await runCommand(page, 'Model Optimizer: Train Baseline Model', async () => (await treeRows(page).count()) > 0);
      const record = await waitFor('the finished training run', () => finishedRecord(out), 5 * 60_000, 1000);
      assert.equal(record.status, 'done', JSON.stringify(record.error ?? record).slice(0, 1000));
      const ds = record.dataset;
      assert.deepEqual(ds.classNames, Object.keys(trainCounts).sort());
      assert.equal(ds.train + ds.validation, Object.values(trainCounts).reduce((a, b) => a + b, 0), 'every training image is used (train + validation)');
      assert.equal(ds.test, Object.values(testCounts).reduce((a, b) => a + b, 0));
      assert.deepEqual(ds.shape, [SIDE, SIDE, 1]);
      assert.equal(record.stages.find((s) => s.stage === 'train')?.epochs.length, CONFIG.train.epochs, 'trained with the kept train settings');
      // The panel (opened again by the run) shows the run's data set, and the answered preview is gone.
      const runFrame = await webviewFrame(page, 120_000);
      await waitFor('the panel to show the run on the image folder', async () => /\d+ train \/ \d+ val \/ 9 test/.test(await runFrame.locator('#run-dataset').innerText()), 120_000);
      assert.equal(await runFrame.locator('#dataset-preview').isVisible(), false, 'the preview is not shown again');
    } catch (err) {
      await screenshot(page, 'dataset-failure').catch(() => undefined);
      console.log(`# page console:\n${wb.consoleLines.slice(-30).join('\n')}`);
      throw err;
    } finally {
      await wb.close();
    }
  });

  void it('Choose Dataset… from the palette: the open dialog takes the folder; Cancel in the preview leaves model-optimizer.json as it was', { timeout: 5 * 60_000 }, async () => {
    const ws = makeWorkspace(cs.server(), 'dataset-palette', { 'model-optimizer.json': CONFIG });
    makeImages(ws);
    const trainCounts = countOnDisk(path.join(ws, 'shapes', 'train'));
    const configFile = path.join(ws, 'model-optimizer.json');
    const before = fs.readFileSync(configFile, 'utf8');
    const wb = await openWorkbench(cs.browser(), cs.server(), ws);
    const { page } = wb;
    try {
      // In a browser VS Code's open dialog is a quick input that takes a path.
      const input = page.locator('.quick-input-widget input');
      const title = page.locator('.quick-input-widget .quick-input-title', { hasText: 'choose a data set' });
      // Run from the palette until its dialog shows (the first try can meet a not yet activated extension).
      await waitFor(
        'the open dialog of Choose Dataset…',
        async () => {
          await page.keyboard.press('Escape');
          await page.keyboard.press('F1');
          await input.fill('>Model Optimizer: Choose Dataset');
          await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Choose Dataset' }).first().waitFor({ state: 'visible' });
          await page.keyboard.press('Enter');
          return title.waitFor({ state: 'visible', timeout: 15_000 }).then(
            () => true,
            () => false,
          );
        },
        120_000,
        1000,
      );
      // The dialog fills in its start folder once it has listed it: type the path after that (again if it was overwritten).
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'shapes' }).first().waitFor({ state: 'visible' });
      const target = path.join(ws, 'shapes') + '/';
      await waitFor(
        'the dialog to list the shapes folder',
        async () => {
          if ((await input.inputValue()) !== target) {
            await input.fill(target);
          }
          return (await page.locator('.quick-input-list .monaco-list-row', { hasText: 'train' }).count()) > 0;
        },
        60_000,
        500,
      );
      await page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button', { hasText: 'Use as Training Data' }).first().click();
      const frame = await webviewFrame(page, 120_000);
      const preview = frame.locator('#dataset-preview');
      await waitFor('the data set preview in the panel', async () => (await preview.isVisible()) && ((await preview.getAttribute('data-id')) ?? '') !== '', 120_000);
      const rows = await frame.locator('#dataset-classes-body tr[data-class]').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('td')?.textContent ?? '', tr.querySelectorAll('td')[1]?.textContent ?? '']));
      assert.deepEqual(
        rows,
        Object.keys(trainCounts)
          .sort()
          .map((c) => [c, String(trainCounts[c])]),
      );
      await frame.locator('#dataset-cancel').click();
      await waitFor('the preview to close', async () => !(await preview.isVisible()));
      assert.equal(fs.readFileSync(configFile, 'utf8'), before, 'Cancel writes nothing');
    } catch (err) {
      await screenshot(page, 'dataset-palette-failure').catch(() => undefined);
      throw err;
    } finally {
      await wb.close();
    }
  });
});
