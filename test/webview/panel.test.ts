/**
 * The metrics panel's real bundle (dist/webview.js) and real HTML/CSP (src/extension/panel/html.ts)
 * in headless Chromium, with a stand-in for `acquireVsCodeApi` that records posted messages.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeNonce, panelHtml } from '../../src/extension/panel/html';
import type { EngineEvent, ModelReport, RunRecord } from '../../src/protocol/engine';
import type { FromWebview, ToWebview } from '../../src/protocol/webview';
import type { DatasetPreview } from '../../src/protocol/datasetPreview';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import { deployCardFromReport, type DeployCard } from '../../src/protocol/deploy';
import { analyzeDeploy } from '../../src/engine/deploy/report';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { randomModel } from '../unit/export-helpers';
import { convnet } from '../unit/tflite-graph-helpers';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, '.test-output');
const CHROMIUM = '/usr/bin/chromium';
const RUN_ID = '20261127-221500-pipeline';

let server: Server;
let origin = '';
let browser: Browser | undefined;
let page: Page;
const requests: string[] = [];
let skipReason: string | null = null;

type Posted = FromWebview[];

async function posted(): Promise<Posted> {
  return page.evaluate(() => (window as unknown as { __posted: Posted }).__posted.slice());
}

/** Posts a host message and waits until the panel has handled it (messages arrive in order). */
async function send(msg: ToWebview): Promise<void> {
  await page.evaluate(
    (m) =>
      new Promise<void>((done) => {
        window.postMessage(m, '*');
        const sync = (e: MessageEvent): void => {
          if (e.data === '__sync') {
            window.removeEventListener('message', sync);
            done();
          }
        };
        window.addEventListener('message', sync);
        window.postMessage('__sync', '*');
      }),
    msg,
  );
}

async function event(event: EngineEvent): Promise<void> {
  await send({ type: 'engineEvent', runId: RUN_ID, event });
}

/**
 * Per selector: whether the element is what the page shows at its own centre (not hidden under the
 * sticky run header or anything else), in the viewport as it is now (no scrolling here).
 */
async function uncovered(selectors: string[]): Promise<boolean[]> {
  return page.evaluate(
    (sels: string[]) =>
      sels.map((sel) => {
        const e = document.querySelector(sel);
        if (!e) {
          return false;
        }
        const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (e === hit || e.contains(hit));
      }),
    selectors,
  );
}

async function attr(selector: string, name: string): Promise<string | null> {
  return page.locator(selector).getAttribute(name);
}

const backend = { tfjs: 'wasm', trainer: 'simd-kernel', requested: 'auto', detail: '2 threads, SIMD' };
const dataset = { name: 'mnist', train: 54000, validation: 6000, test: 10000 };

function epochEnd(stage: 'train' | 'prune', epoch: number, epochs: number, extra: Partial<EngineEvent> = {}): EngineEvent {
  // Pruning fine-tunes the trained model: its epochs continue the baseline's curves.
  const k = stage === 'prune' ? epoch + 3 : epoch;
  const acc = 0.9 + k * 0.015;
  return {
    type: 'epochEnd',
    stage,
    model: stage === 'train' ? 'mnist_model' : 'pruned_mnist_model',
    epoch,
    epochs,
    step: epoch * 844,
    metrics: { loss: 0.35 / k, accuracy: acc, valLoss: 0.3 / k + 0.02, valAccuracy: acc + 0.004 },
    durationMs: 2100,
    ...extra,
  } as EngineEvent;
}

function report(): ModelReport[] {
  const row = (model: string, format: ModelReport['format'], variant: string, path: string, bytes: number, acc: number, sparsity: number): ModelReport => ({
    model,
    format,
    variant,
    path,
    bytes,
    gzipBytes: Math.round(bytes * (0.92 - sparsity * 0.5)),
    params: 101770,
    nonzeros: Math.round(101770 - 1280 * sparsity),
    layers: [
      { name: 'dense', sparsity: 0 },
      { name: 'dense_1', sparsity },
    ],
    accuracy: acc,
    accuracyDelta: acc - 0.9771,
    runtime: format === 'tflite' ? 'tflite-wasm' : 'tfjs-wasm',
    latencyUs: format === 'tflite' ? 41.5 : 88.2,
  });
  return [
    row('mnist_model', 'keras-h5', 'float32', 'mnist_model.h5', 415_000, 0.9771, 0),
    row('pruned_mnist_model', 'keras-h5', 'float32', 'pruned_mnist_model.h5', 415_000, 0.9779, 0.5),
    row('pruned_mnist_model', 'tflite', 'dynamic-int8', 'pruned_mnist_model_quant.tflite', 104_000, 0.9777, 0.5),
    row('pruned_mnist_model', 'tflite', 'float16', 'pruned_mnist_model_float16.tflite', 205_000, 0.978, 0.5),
  ];
}

/** A hand-made sweep: [target, variant, gzip bytes, accuracy]; the Pareto front is worked out by hand in the test. */
function sweepPoints(): ModelReport[] {
  const table: [number, string, number, number][] = [
    [0, 'float32', 370_000, 0.9771],
    [0, 'dynamic-int8', 95_000, 0.977],
    [0, 'full-int8', 93_000, 0.9765],
    [0.25, 'dynamic-int8', 80_000, 0.9773],
    [0.25, 'full-int8', 78_000, 0.976],
    [0.5, 'dynamic-int8', 60_000, 0.9768],
    [0.5, 'full-int8', 59_000, 0.9769],
    [0.75, 'dynamic-int8', 40_000, 0.9742],
    [0.75, 'full-int8', 39_000, 0.9735],
    [0.9, 'dynamic-int8', 22_000, 0.9601],
    [0.9, 'full-int8', 21_500, 0.959],
  ];
  return table.map(([target, variant, gzip, acc]) => {
    const model = target === 0 ? 'mnist_model' : `pruned_s${target * 100}`;
    const suffix = variant === 'dynamic-int8' ? 'quant' : variant.replace('-', '_');
    return {
      model,
      format: 'tflite',
      variant,
      path: `sweep/${model}_${suffix}.tflite`,
      bytes: variant === 'float32' ? 407_000 : 104_000,
      gzipBytes: gzip,
      params: 101_770,
      nonzeros: Math.round(101_770 * (1 - target)),
      layers: [
        { name: 'dense', sparsity: target },
        { name: 'dense_1', sparsity: target },
      ],
      accuracy: acc,
      accuracyDelta: Math.round((acc - 0.9771) * 1e6) / 1e6,
      runtime: 'tflite-wasm',
      latencyUs: 40,
      targetSparsity: target,
    };
  });
}

/** Hovers each trade-off marker (positions from data-point-xy) and checks its tooltip names the file. */
async function hoverEveryPoint(files: string[]): Promise<void> {
  await page.locator('#tradeoff-card').scrollIntoViewIfNeeded();
  const box = await page.locator('#chart-tradeoff').boundingBox();
  assert.ok(box);
  const xy = ((await attr('#chart-tradeoff', 'data-point-xy')) ?? '').split('|').map((p) => p.split(',').map(Number));
  assert.equal(xy.length, files.length);
  const titles: string[] = [];
  for (const [x, y] of xy) {
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction(() => (document.getElementById('chart-tradeoff')?.dataset.tooltip ?? '') !== '');
    titles.push((await attr('#chart-tradeoff', 'data-tooltip')) ?? '');
    await page.mouse.move(box.x + 2, box.y + 2);
  }
  // Dataset order = legend groups; compare as sets of files.
  assert.deepEqual([...titles].sort(), files.map((f) => f.split('/').pop() ?? f).sort());
}

/** A finished pipeline run record with `over` replacing its fields. */
function savedRecord(runId: string, over: Partial<RunRecord>): RunRecord {
  return {
    version: 1,
    runId,
    job: 'pipeline',
    status: 'done',
    startedAt: '2026-11-27T19:00:00.000Z',
    finishedAt: '2026-11-27T19:02:00.000Z',
    durationMs: 120_000,
    config: DEFAULT_CONFIG,
    backend,
    dataset,
    stages: [],
    artifacts: [],
    report: [],
    warnings: [],
    timings: {},
    host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
    ...over,
  };
}

void describe('metrics panel in headless Chromium', () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) {
      skipReason = `${CHROMIUM} is missing (apt-get install -y chromium)`;
      console.log(`# webview tests skipped: ${skipReason}`);
      return;
    }
    // The same bundle options as esbuild.mjs's webview entry, so this file tests current sources.
    await esbuild.build({
      entryPoints: { webview: join(ROOT, 'src/webview/main.ts') },
      outdir: join(ROOT, 'dist'),
      bundle: true,
      sourcemap: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      logLevel: 'warning',
    });
    mkdirSync(OUT, { recursive: true });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const files: Record<string, [string, string]> = {
        '/dist/webview.js': [join(ROOT, 'dist/webview.js'), 'text/javascript'],
        '/media/panel.css': [join(ROOT, 'media/panel.css'), 'text/css'],
        '/theme-dark.css': [join(ROOT, 'test/webview/theme-dark.css'), 'text/css'],
        '/theme-light.css': [join(ROOT, 'test/webview/theme-light.css'), 'text/css'],
        '/theme-hc.css': [join(ROOT, 'test/webview/theme-hc.css'), 'text/css'],
      };
      if (url.pathname === '/') {
        let html = panelHtml({
          cspSource: origin,
          nonce: makeNonce(),
          scriptUri: `${origin}/dist/webview.js`,
          styleUris: [`${origin}/theme-dark.css`, `${origin}/media/panel.css`],
        });
        // An attacker's inline script without the nonce: the CSP must stop it.
        html = html.replace('</head>', '<script>window.__inlineRan = true;</script>\n  </head>');
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html);
        return;
      }
      const file = files[url.pathname];
      if (!file) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': file[1] });
      res.end(readFileSync(file[0]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1180 }, colorScheme: 'dark' });
    page.on('request', (r) => {
      requests.push(r.url());
    });
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
    // A string, not a function: tsx would wrap a function's inner names in its `__name` helper,
    // which does not exist in the page.
    await page.addInitScript(`
      window.__name = (f) => f;
      window.__posted = [];
      window.__state = undefined;
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.__posted.push(m),
        getState: () => window.__state,
        setState: (st) => { window.__state = st; },
      });
    `);
    await page.goto(`${origin}/`);
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  void it('says ready on load, and the CSP blocks an inline script without the nonce', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const inlineRan = await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan);
    assert.equal(inlineRan, undefined, 'the inline script must not run');
    const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    assert.ok(violations.some((v) => v.startsWith('script-src-elem inline')), `expected a script-src violation, got ${JSON.stringify(violations)}`);
    // The panel's own script ran (it posted ready), so the nonce works.
    assert.deepEqual((await posted())[0], { type: 'ready' });
  });

  void it('shows the start buttons when there are no runs', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await send({ type: 'snapshot', runs: [], selectedRunId: null, canRun: true });
    assert.equal(await page.locator('#empty-state').isVisible(), true);
    await page.locator('#start-pipeline').click();
    assert.deepEqual((await posted()).at(-1), { type: 'startJob', job: 'pipeline' });
    await page.locator('#start-sweep').click();
    assert.deepEqual((await posted()).at(-1), { type: 'startJob', job: 'sweep' });
    // Untrusted workspace: no start buttons, and the panel says why.
    await send({ type: 'snapshot', runs: [], selectedRunId: null, canRun: false });
    assert.equal(await page.locator('#start-train').isVisible(), false);
    assert.equal(await page.locator('#start-pipeline').isVisible(), false);
    assert.equal(await page.locator('#start-sweep').isVisible(), false);
    assert.match(await page.locator('#untrusted-note').innerText(), /not trusted/);
  });

  void it('draws a live run: header, progress inside the epoch, curves per epoch, sparsity', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await send({
      type: 'snapshot',
      canRun: true,
      selectedRunId: RUN_ID,
      runs: [{ runId: RUN_ID, job: 'pipeline', status: 'running', startedAt: '2026-11-27T22:15:00.000Z', backend: null, events: [] }],
    });
    // Loading the data set comes first: a bar of its own, gone once the job starts.
    await event({ type: 'dataProgress', phase: 'decoding images', done: 17500, total: 70000 });
    assert.equal(await page.locator('#progress-section').isVisible(), true);
    assert.equal(await attr('#epoch-progress', 'data-stage'), 'data');
    assert.equal(Number(await attr('#epoch-progress', 'data-value')), 0.25);
    assert.equal(await page.locator('#progress-text').innerText(), 'Loading data · decoding images 17,500 of 70,000 (25 %)');
    await event({
      type: 'jobStarted',
      runId: RUN_ID,
      job: 'pipeline',
      config: DEFAULT_CONFIG,
      backend,
      stages: ['train', 'prune', 'export'],
      startedAt: '2026-11-27T22:15:00.000Z',
      dataset,
    });
    assert.equal(await page.locator('#progress-section').isVisible(), false, 'the data bar goes when the job starts');
    assert.match(await page.locator('#run-backend').innerText(), /wasm · simd-kernel trainer/);
    assert.match(await page.locator('#run-dataset').innerText(), /54,000 train \/ 6,000 val \/ 10,000 test/);
    assert.equal(await attr('#run-status', 'data-status'), 'running');
    assert.equal(await page.locator('#stop-button').isVisible(), true);
    assert.match(await page.locator('#run-duration').innerText(), /so far$/, 'a running run shows its elapsed time');

    await event({ type: 'stageStarted', stage: 'train', model: 'mnist_model', epochs: 3, stepsPerEpoch: 844 });
    for (let epoch = 1; epoch <= 3; epoch++) {
      let last = -1;
      for (const batch of [120, 430, 800]) {
        await event({ type: 'batchProgress', stage: 'train', epoch, epochs: 3, batch, batches: 844, loss: 0.4 / epoch, accuracy: 0.85 + epoch / 100 });
        const v = Number(await attr('#epoch-progress', 'data-value'));
        assert.ok(Math.abs(v - batch / 844) < 1e-3, `progress ${v} for batch ${batch}`);
        assert.ok(v > last, 'the progress bar moves forward within the epoch');
        last = v;
        const barValue = await page.locator('#epoch-progress').evaluate((e) => (e as HTMLElement & { value: number }).value);
        assert.ok(Math.abs(barValue - batch / 844) < 1e-3);
      }
      assert.match(await page.locator('#progress-text').innerText(), new RegExp(`epoch ${epoch}/3 · batch 800/844`));
      await event(epochEnd('train', epoch, 3));
      assert.equal(await attr('#chart-accuracy', 'data-points'), String(epoch), 'one accuracy point per epoch');
      assert.equal(await attr('#chart-loss', 'data-points'), String(epoch));
    }
    assert.equal(Number(await attr('#chart-accuracy', 'data-last-val-accuracy')), 0.9 + 3 * 0.015 + 0.004);

    await event({ type: 'stageStarted', stage: 'prune', model: 'pruned_mnist_model', epochs: 2, stepsPerEpoch: 844 });
    assert.equal(await page.locator('#sparsity-card').isVisible(), false, 'no sparsity chart before pruning steps');
    for (const [step, s] of [
      [1, 0],
      [101, 0.118],
      [201, 0.23],
      [801, 0.44],
    ] as const) {
      await event({ type: 'pruningStep', step, targetSparsity: s, layers: [{ name: 'dense_1', sparsity: s, threshold: s / 10 }] });
    }
    await event(epochEnd('prune', 1, 2, { step: 844, sparsity: { dense_1: 0.44 } }));
    assert.equal(await page.locator('#sparsity-card').isVisible(), true);
    assert.equal(await attr('#chart-sparsity', 'data-layers'), '1');
    assert.equal(await attr('#chart-sparsity', 'data-points'), '5', '4 mask updates + the epoch end (step 844)');
    assert.equal(await attr('#chart-accuracy', 'data-points'), '4', 'baseline and pruning epochs share one curve');
    await event({ type: 'batchProgress', stage: 'prune', epoch: 2, epochs: 2, batch: 300, batches: 844, loss: 0.08, accuracy: 0.975 });

    await event({ type: 'warning', code: 'prune-end-step', message: 'end_step 4690 lies beyond the last training step 1688; using 1688.' });
    assert.match(await page.locator('#warnings').innerText(), /prune-end-step/);
  });

  void it('lists artifacts and reveals them on click', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await event({ type: 'artifactWritten', kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 408_123 });
    await event({ type: 'artifactWritten', kind: 'keras-h5', model: 'mnist_model', path: 'mnist_model.h5', bytes: 415_000 });
    assert.equal(await page.locator('#artifacts li').count(), 2);
    await page.locator('#artifacts a[data-path="mnist_model/model.json"]').click();
    assert.deepEqual((await posted()).at(-1), { type: 'revealArtifact', runId: RUN_ID, path: 'mnist_model/model.json' });
  });

  void it('renders the comparison table and sorts it by clicking headers', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await event({ type: 'report', rows: report() });
    const rows = page.locator('#comparison-body tr');
    assert.equal(await rows.count(), 4);
    const paths = async (): Promise<string[]> => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.path ?? ''));
    assert.deepEqual((await paths())[0], 'mnist_model.h5', 'engine order before sorting');

    await page.locator('#comparison-head th[data-key="bytes"]').click();
    assert.equal(await attr('#comparison-head th[data-key="bytes"]', 'aria-sort'), 'ascending');
    assert.deepEqual(await paths(), ['pruned_mnist_model_quant.tflite', 'pruned_mnist_model_float16.tflite', 'mnist_model.h5', 'pruned_mnist_model.h5']);
    await page.locator('#comparison-head th[data-key="bytes"]').click();
    assert.equal(await attr('#comparison-head th[data-key="bytes"]', 'aria-sort'), 'descending');
    assert.deepEqual((await paths()).slice(2), ['pruned_mnist_model_float16.tflite', 'pruned_mnist_model_quant.tflite']);

    await page.locator('#comparison-head th[data-key="accuracy"]').click();
    assert.equal(await attr('#comparison-head th[data-key="bytes"]', 'aria-sort'), 'none');
    assert.deepEqual(await paths(), ['mnist_model.h5', 'pruned_mnist_model_quant.tflite', 'pruned_mnist_model.h5', 'pruned_mnist_model_float16.tflite']);
    const quantRow = page.locator('#comparison-body tr[data-path="pruned_mnist_model_quant.tflite"]');
    assert.equal(await quantRow.locator('td[data-key="gzipBytes"]').innerText(), '68.0 KiB', '104000 × 0.67 = 69680 B = 68.05 KiB');
    assert.equal(await quantRow.locator('td[data-key="accuracyDelta"]').innerText(), '+0.06 pt');
    assert.equal(await quantRow.locator('td[data-key="sparsity"]').innerText(), '50.0 %');

    await quantRow.locator('a.artifact-link').click();
    assert.deepEqual((await posted()).at(-1), { type: 'revealArtifact', runId: RUN_ID, path: 'pruned_mnist_model_quant.tflite' });
  });

  void it('shows a confusion matrix heat map with the class names for files that have one', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    assert.equal(await page.locator('#confusion-section').isHidden(), true, 'no per-class results yet');
    const quant = report().find((r) => r.path === 'pruned_mnist_model_quant.tflite')!;
    const classes = { names: ['cat', 'dog', 'fox'], support: [4, 2, 4], accuracy: [0.75, 1, 0.5], precision: [0.75, 0.5, 1], confusion: [[3, 1, 0], [0, 2, 0], [1, 1, 2]] };
    await event({ type: 'report', rows: [{ ...quant, classes }] });
    assert.equal(await page.locator('#comparison-body tr').count(), 4, 'the row is replaced, not added');
    await page.locator('#confusion-section').waitFor({ state: 'visible' });
    assert.deepEqual(await page.locator('#confusion-model option').allInnerTexts(), ['pruned_mnist_model_quant.tflite (tflite · dynamic-int8)']);
    assert.deepEqual(await page.locator('#confusion-grid thead th').allInnerTexts(), ['true ↓ / predicted →', 'cat', 'dog', 'fox', 'accuracy']);
    assert.deepEqual(await page.locator('#confusion-grid tbody th').allInnerTexts(), ['cat', 'dog', 'fox']);
    const fox = page.locator('#confusion-grid tbody tr').nth(2);
    assert.deepEqual(await fox.locator('td').allInnerTexts(), ['1', '1', '2', '50.0 %']);
    assert.equal(await fox.locator('td.cm-diag').getAttribute('title'), 'true fox, predicted fox: 2 of 4 (50.0 %)');
    // The shade follows the share of the true class: 3 of 4 cats shade more than 1 of 4.
    const shade = (i: number, j: number): Promise<string> => page.locator('#confusion-grid tbody tr').nth(i).locator('td').nth(j).evaluate((td) => getComputedStyle(td).getPropertyValue('--share').trim());
    assert.equal(await shade(0, 0), '75%');
    assert.equal(await shade(0, 1), '25%');
  });

  void it('a pipeline run also gets the size / accuracy trade-off of its files', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    assert.equal(await page.locator('#tradeoff-card').isVisible(), true);
    assert.equal(await attr('#chart-tradeoff', 'data-points'), '4');
    // Several formats: one legend group per format + variant.
    assert.equal(await attr('#chart-tradeoff', 'data-groups'), '3');
    // By hand (gzip = bytes × (0.92 − sparsity/2)): quant 69 680 B 97.77 %, float16 137 350 B 97.80 %;
    // pruned .h5 (278 050 B, 97.79 %) is beaten by float16, mnist_model.h5 (381 800 B, 97.71 %) by all.
    assert.equal(await attr('#chart-tradeoff', 'data-pareto-paths'), 'pruned_mnist_model_quant.tflite|pruned_mnist_model_float16.tflite');
    assert.equal(Number(await attr('#chart-tradeoff', 'data-baseline')), 0.9771, 'accuracy − Δ of any row');
    assert.equal(await attr('#chart-tradeoff', 'data-scale'), 'logarithmic', '68 KiB … 373 KiB spans more than 4×');
    assert.equal(await attr('#chart-tradeoff', 'data-recommended'), '', 'only a sweep recommends a file');
    assert.equal(await page.locator('#tradeoff-recommendation').isVisible(), false);
  });

  void it('the comparison table fits the panel beside the default side bar at 1600 px (no column cut off)', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    // 1600 px window − activity bar (48) − default side bar (~300) ≈ 1250 px of editor.
    await page.setViewportSize({ width: 1250, height: 1180 });
    try {
      const fits = await page.locator('#report-section .table-wrap').evaluate((w) => w.scrollWidth <= w.clientWidth + 1);
      assert.equal(fits, true, 'no horizontal scrolling in the comparison table');
      const runtime = await page.locator('#comparison-head th[data-key="runtime"]').boundingBox();
      const wrap = await page.locator('#report-section .table-wrap').boundingBox();
      assert.ok(runtime && wrap && runtime.x + runtime.width <= wrap.x + wrap.width + 1, 'the Runtime column is inside the panel');
    } finally {
      await page.setViewportSize({ width: 1280, height: 1180 });
    }
  });

  void it('a pipeline\'s trade-off points are labelled by variant (not "50 %" on every point), with a tooltip per point', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    assert.equal(await attr('#chart-tradeoff', 'data-labels'), 'Keras H5 float32 · 0 %|Keras H5 float32 · 50 %|TFLite dynamic-int8 · 50 %|TFLite float16 · 50 %');
    await hoverEveryPoint(['mnist_model.h5', 'pruned_mnist_model.h5', 'pruned_mnist_model_quant.tflite', 'pruned_mnist_model_float16.tflite']);
  });

  void it('each chart has a keyboard-reachable data table, PNG and SVG export, and report.md export', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const card = page.locator('figure[data-chart="accuracy"]');
    const summary = card.locator('details.chart-data summary');
    await summary.focus();
    await page.keyboard.press('Enter');
    assert.equal(await card.locator('details.chart-data').evaluate((d) => (d as HTMLDetailsElement).open), true, 'Enter opens the data table');
    const points = Number(await attr('#chart-accuracy', 'data-points'));
    assert.equal(await card.locator('details.chart-data tbody tr').count(), points, 'one row per epoch point');
    assert.match(await card.locator('details.chart-data tbody tr').first().innerText(), /baseline\s+mnist_model\s+1\/3\s+91\.50 %\s+91\.90 %/);
    // Tab order: the summary is followed by the next card's export buttons, all reachable.
    assert.equal(await page.locator('figure[data-chart="sparsity"] details.chart-data tbody tr').count(), 5, 'sparsity table: one row per step');

    await card.locator('button[data-export="png"]').click();
    const png = (await posted()).at(-1) as Extract<FromWebview, { type: 'saveChart' }>;
    assert.equal(png.type, 'saveChart');
    assert.equal(png.format, 'png');
    assert.equal(png.chart.name, 'accuracy');
    assert.ok(png.chart.png.startsWith('data:image/png;base64,') && png.chart.png.length > 2000, 'a real PNG');
    await card.locator('button[data-export="svg"]').click();
    const svg = (await posted()).at(-1) as Extract<FromWebview, { type: 'saveChart' }>;
    assert.equal(svg.format, 'svg');
    assert.match(svg.chart.svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.chart.svg, /<title>Accuracy<\/title>/);
    assert.equal((svg.chart.svg.match(/<polyline/g) ?? []).length, 2, 'train and validation curves');
    assert.ok((svg.chart.svg.match(/<circle/g) ?? []).length >= 2 * points, 'every epoch point');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'webview-chart-accuracy.svg'), svg.chart.svg);

    await page.locator('#export-report').click();
    const report = (await posted()).at(-1) as Extract<FromWebview, { type: 'exportReport' }>;
    assert.equal(report.type, 'exportReport');
    assert.deepEqual(report.runIds, [RUN_ID]);
    assert.deepEqual(report.charts.map((c) => c.name), ['accuracy', 'loss', 'tradeoff', 'sparsity'], 'the charts on screen, none of the comparison');
  });

  void it('light, dark and high-contrast themes: the panel and its charts follow the theme (screenshots)', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const themes = [
      ['light', 'vscode-light', 'rgb(255, 255, 255)', '#3b3b3b'],
      ['hc', 'vscode-high-contrast', 'rgb(0, 0, 0)', '#ffffff'],
      ['dark', 'vscode-dark', 'rgb(31, 31, 31)', '#cccccc'],
    ] as const;
    for (const [name, bodyClass, background, foreground] of themes) {
      await page.evaluate(
        ([file, cls]) =>
          new Promise<void>((done) => {
            const link = document.querySelector<HTMLLinkElement>('link[href*="/theme-"]');
            if (!link) {
              throw new Error('no theme stylesheet');
            }
            link.addEventListener('load', () => {
              // VS Code swaps the body class with the theme; the panel re-reads its colours then.
              document.body.className = cls;
              requestAnimationFrame(() => done());
            });
            link.href = link.href.replace(/theme-[a-z]+\.css/, `theme-${file}.css`);
          }),
        [name, bodyClass] as const,
      );
      await page.waitForFunction((fg) => document.body.dataset.themeForeground === fg, foreground);
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), background, `${name}: background`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(OUT, `webview-theme-${name}.png`), fullPage: true });
    }
  });

  void it('stop button posts stopRun; screenshot in a dark theme', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await page.locator('#stop-button').click();
    assert.deepEqual((await posted()).at(-1), { type: 'stopRun', runId: RUN_ID });
    // The sticky header would otherwise sit mid-page in a full-page shot taken after scrolling.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, 'webview-panel.png'), fullPage: true });
    await event({ type: 'done', runId: RUN_ID, durationMs: 61_000, testAccuracy: { mnist_model: 0.977 }, recordPath: `runs/${RUN_ID}.json` });
    assert.equal(await attr('#run-status', 'data-status'), 'done');
    assert.equal(await page.locator('#stop-button').isVisible(), false);
    assert.equal(await page.locator('#progress-section').isVisible(), false);
  });

  void it('after a reload, says ready again and redraws a saved run from its record', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const record: RunRecord = {
      version: 1,
      runId: 'old-run',
      job: 'train',
      status: 'done',
      startedAt: '2026-11-27T20:00:00.000Z',
      finishedAt: '2026-11-27T20:01:00.000Z',
      durationMs: 60_000,
      config: DEFAULT_CONFIG,
      backend,
      dataset,
      stages: [
        {
          stage: 'train',
          model: 'mnist_model',
          durationMs: 50_000,
          testAccuracy: 0.976,
          epochs: [1, 2, 3, 4, 5].map((epoch) => ({ epoch, step: epoch * 844, durationMs: 10_000, loss: 0.3 / epoch, accuracy: 0.9 + epoch / 100, valLoss: 0.25 / epoch, valAccuracy: 0.91 + epoch / 100 })),
        },
      ],
      artifacts: [{ kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 408_123 }],
      report: [],
      warnings: [],
      timings: { train: 50_000 },
      host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
    };
    await send({
      type: 'snapshot',
      canRun: false,
      selectedRunId: 'old-run',
      runs: [{ runId: 'old-run', job: 'train', status: 'done', startedAt: record.startedAt, backend, events: [], record }],
    });
    assert.equal(await attr('#chart-accuracy', 'data-points'), '5');
    assert.equal(await attr('#run-status', 'data-status'), 'done');
    assert.equal(await page.locator('#run-duration').innerText(), '1 min 0 s');
    assert.equal(await page.locator('#stop-button').isVisible(), false);
  });

  void it('a saved pipeline run draws the per-step sparsity curve from its record, as it did live', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const updates = [1, 101, 201, 301, 401, 501, 601, 701, 801].map((step) => {
      const target = 0.5 * (1 - (1 - Math.min(1, step / 801)) ** 3);
      return { step, targetSparsity: target, layers: { dense_1: Math.round(target * 1280) / 1280 } };
    });
    const record = savedRecord('saved-prune', {
      stages: [
        {
          stage: 'prune',
          model: 'pruned_mnist_model',
          durationMs: 9000,
          epochs: [1, 2].map((epoch) => ({ epoch, step: epoch * 422, durationMs: 4000, loss: 0.1, accuracy: 0.97, valLoss: 0.1, valAccuracy: 0.97, sparsity: { dense_1: epoch === 1 ? updates[4].layers.dense_1 : 0.5 } })),
          pruning: { effectiveEndStep: 844, totalSteps: 844, lastMaskUpdateStep: 801, finalTargetSparsity: 0.5, layers: ['dense_1'], maskUpdates: updates },
        },
      ],
    });
    await send({ type: 'snapshot', canRun: true, selectedRunId: record.runId, runs: [{ runId: record.runId, job: 'pipeline', status: 'done', startedAt: record.startedAt, backend, events: [], record }] });
    assert.equal(await page.locator('#sparsity-card').isVisible(), true);
    assert.equal(await attr('#chart-sparsity', 'data-layers'), '1');
    // 9 mask updates + 2 epoch ends (steps 422 and 844; none coincides with an update).
    assert.equal(await attr('#chart-sparsity', 'data-points'), '11', 'every mask update, not one dot per epoch');
    assert.equal(await attr('#chart-sparsity', 'data-target-points'), '9', 'the schedule target per update');
  });

  void it('overlapping markers are spread apart, and each keeps its own tooltip', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const twin = (path: string, variant: string): ModelReport => ({ ...report()[2], path, variant });
    const record = savedRecord('overlap', { report: [report()[0], twin('a_quant.tflite', 'dynamic-int8'), twin('b_full_int8.tflite', 'full-int8'), report()[3]] });
    await send({ type: 'snapshot', canRun: true, selectedRunId: 'overlap', runs: [{ runId: 'overlap', job: 'pipeline', status: 'done', startedAt: record.startedAt, backend, events: [], record }] });
    // The chart lays out again once the panel has its size (a canvas still being sized puts
    // every marker within 9 px of the others): wait for the laid-out state, then check it.
    await page
      .waitForFunction(() => document.getElementById('chart-tradeoff')?.dataset.spread === '2', undefined, { timeout: 15_000 })
      .catch(() => undefined);
    assert.equal(await attr('#chart-tradeoff', 'data-spread'), '2', 'the two files with the same size and accuracy are moved apart');
    const xy = ((await attr('#chart-tradeoff', 'data-point-xy')) ?? '').split('|').map((p) => p.split(',').map(Number));
    const [a, b] = [xy[1], xy[2]];
    assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) >= 9, `markers ${JSON.stringify(a)} and ${JSON.stringify(b)} no longer overlap`);
    await hoverEveryPoint(['mnist_model.h5', 'a_quant.tflite', 'b_full_int8.tflite', 'pruned_mnist_model_float16.tflite']);
  });

  void it('Compare Runs: config differences highlighted, curves overlaid, model tables merged; Back returns to one run', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const curve = (k: number): RunRecord['stages'] => [
      { stage: 'train', model: 'mnist_model', durationMs: 1, testAccuracy: 0.97, epochs: [1, 2, 3].map((epoch) => ({ epoch, step: epoch * 844, durationMs: 1, loss: 0.3 / epoch, accuracy: 0.9 + epoch / 100, valLoss: 0.25 / epoch + k, valAccuracy: 0.91 + epoch / 100 - k })) },
    ];
    const a = savedRecord('run-a', { stages: curve(0), report: report().slice(0, 2) });
    const b = savedRecord('run-b', { startedAt: '2026-11-27T19:30:00.000Z', stages: curve(0.01), report: report().slice(2), config: { ...DEFAULT_CONFIG, train: { ...DEFAULT_CONFIG.train, epochs: 3 }, prune: { ...DEFAULT_CONFIG.prune, layers: 'all' } } });
    const view = (r: RunRecord) => ({ runId: r.runId, job: r.job, status: r.status, startedAt: r.startedAt, backend, events: [], record: r });
    await send({ type: 'snapshot', canRun: true, selectedRunId: 'run-b', runs: [view(a), view(b)], compare: ['run-a', 'run-b'] });
    assert.equal(await page.locator('#compare-section').isVisible(), true);
    assert.equal(await attr('#app', 'data-mode'), 'compare');
    assert.equal(await page.locator('#charts').isVisible(), false, 'the one-run charts make room');
    assert.equal(await page.locator('#compare-title').textContent(), 'Comparing 2 runs');
    assert.deepEqual(await page.locator('#compare-runs tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.run)), ['run-a', 'run-b']);
    const differs = await page.locator('#compare-config tr.differs').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.key));
    assert.deepEqual(differs, ['train.epochs', 'prune.layers'], 'exactly the settings that differ');
    assert.match(await page.locator('#compare-config tr[data-key="train.epochs"]').innerText(), /train\.epochs\s+5\s+3/);
    await page.locator('#compare-config-all').check();
    assert.ok((await page.locator('#compare-config tbody tr').count()) > 20, 'every setting on request');
    assert.equal(await page.locator('#compare-config tr.differs').count(), 2, 'still highlighted');
    assert.equal(await attr('#chart-compare-accuracy', 'data-series'), '2', 'one curve per run');
    assert.equal(await attr('#chart-compare-loss', 'data-series'), '2');
    assert.deepEqual(
      await page.locator('#compare-files tbody tr').evaluateAll((trs) => trs.map((tr) => `${(tr as HTMLElement).dataset.run} ${(tr as HTMLElement).dataset.path}`)),
      ['run-a mnist_model.h5', 'run-a pruned_mnist_model.h5', 'run-b pruned_mnist_model_quant.tflite', 'run-b pruned_mnist_model_float16.tflite'],
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, 'webview-compare.png'), fullPage: true });
    await page.locator('#export-report').click();
    const exported = (await posted()).at(-1) as Extract<FromWebview, { type: 'exportReport' }>;
    assert.deepEqual(exported.runIds, ['run-a', 'run-b']);
    assert.deepEqual(exported.charts.map((c) => c.name), ['compare-accuracy', 'compare-loss']);
    await page.locator('#compare-back').click();
    assert.deepEqual((await posted()).at(-1), { type: 'selectRun', runId: 'run-b' });
    assert.equal(await page.locator('#compare-section').isVisible(), false);
    assert.equal(await attr('#app', 'data-mode'), 'run');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __state: unknown }).__state), { selectedRunId: 'run-b' }, 'the panel keeps its run for the serializer');
  });

  void it('a live sweep: trade-off points accumulate per point, the Pareto front and the recommendation follow', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const SWEEP_ID = '20261127-230000-sweep';
    const sweepEvent = (e: EngineEvent): Promise<void> => send({ type: 'engineEvent', runId: SWEEP_ID, event: e });
    await send({
      type: 'snapshot',
      canRun: true,
      selectedRunId: SWEEP_ID,
      runs: [{ runId: SWEEP_ID, job: 'sweep', status: 'running', startedAt: '2026-11-27T23:00:00.000Z', backend: null, events: [] }],
    });
    await sweepEvent({ type: 'jobStarted', runId: SWEEP_ID, job: 'sweep', config: DEFAULT_CONFIG, backend, stages: ['train', 'prune', 'export'], startedAt: '2026-11-27T23:00:00.000Z', dataset });
    assert.equal(await page.locator('#run-title').innerText(), 'Sparsity sweep');
    assert.equal(await page.locator('#tradeoff-card').isVisible(), false, 'no trade-off before two files are measured');
    for (let epoch = 1; epoch <= 2; epoch++) {
      await sweepEvent(epochEnd('train', epoch, 2));
    }
    const points = sweepPoints();
    let expected = 0;
    for (const [i, target] of [0, 0.25, 0.5, 0.75, 0.9].entries()) {
      if (target > 0) {
        const model = `pruned_s${target * 100}`;
        await sweepEvent({ type: 'stageStarted', stage: 'prune', model, epochs: 1, stepsPerEpoch: 844 });
        // Every point's schedule starts again at step 0.
        for (const step of [1, 201, 401, 601, 801]) {
          const sp = target * (1 - (1 - Math.min(1, step / 800)) ** 3);
          await sweepEvent({ type: 'pruningStep', step, targetSparsity: sp, layers: ['dense', 'dense_1'].map((name) => ({ name, sparsity: sp, threshold: sp / 10 })) });
        }
        await sweepEvent({ type: 'epochEnd', stage: 'prune', model, epoch: 1, epochs: 1, step: 844, metrics: { loss: 0.08 + target / 10, accuracy: 0.975 - target / 50, valLoss: 0.09 + target / 10, valAccuracy: 0.973 - target / 50 }, durationMs: 2000, sparsity: { dense: target, dense_1: target } });
      }
      const rows = points.filter((r) => r.targetSparsity === target);
      await sweepEvent({ type: 'report', rows });
      expected += rows.length;
      assert.equal(await attr('#chart-tradeoff', 'data-points'), String(expected), `after point ${i}: every file so far is a point`);
      assert.equal(await page.locator('#comparison-body tr').count(), expected, 'the table keeps the earlier points too');
    }
    assert.equal(await page.locator('#tradeoff-card').isVisible(), true);
    assert.equal(await attr('#chart-sparsity', 'data-layers'), '8', 'one curve per (point, layer): 4 × 2');
    assert.equal(await attr('#chart-sparsity', 'data-points'), String(4 * 2 * 6), '5 mask updates + the epoch end per curve');
    assert.equal(await attr('#chart-tradeoff', 'data-groups'), '3', 'float32, dynamic-int8, full-int8');
    assert.equal(await attr('#chart-tradeoff', 'data-scale'), 'logarithmic');
    // Sorted by gzip by hand: 21 500 (95.90) ★, 22 000 (96.01) ★, 39 000 (97.35) ★, 40 000 (97.42) ★,
    // 59 000 (97.69) ★, 60 000 (97.68) beaten by 59 000, 78 000 (97.60) beaten, 80 000 (97.73) ★,
    // 93 000 (97.65) and 95 000 (97.70) beaten by 80 000, the float32 baseline 370 000 (97.71) beaten by 80 000.
    assert.equal(
      await attr('#chart-tradeoff', 'data-pareto-paths'),
      ['sweep/pruned_s90_full_int8.tflite', 'sweep/pruned_s90_quant.tflite', 'sweep/pruned_s75_full_int8.tflite', 'sweep/pruned_s75_quant.tflite', 'sweep/pruned_s50_full_int8.tflite', 'sweep/pruned_s25_quant.tflite'].join('|'),
    );
    assert.equal(Number(await attr('#chart-tradeoff', 'data-baseline')), 0.9771);
    // Budget 1 point (DEFAULT_CONFIG.sweep.maxAccuracyDrop): ≥ 96.71 %; the smallest such file is s75 full-int8 (39 000 B, 97.35 %).
    assert.equal(await attr('#chart-tradeoff', 'data-recommended'), 'sweep/pruned_s75_full_int8.tflite');
    assert.equal(await attr('#tradeoff-recommendation', 'data-path'), 'sweep/pruned_s75_full_int8.tflite');
    // The table marks the same files.
    assert.equal(await page.locator('#comparison-body tr[data-pareto="true"]').count(), 6);
    assert.deepEqual(await page.locator('#comparison-body tr.recommended').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.path)), ['sweep/pruned_s75_full_int8.tflite']);
    assert.match(await page.locator('#comparison-body tr.recommended td[data-key="file"]').innerText(), /★ deploy/);
    assert.match(await page.locator('#tradeoff-recommendation').innerText(), /pruned_s75_full_int8\.tflite: 38\.1 KiB gzip, 97\.35 %/);
    // A sweep shows the trade-off above the training curves.
    const tradeoffBox = await page.locator('#tradeoff-card').boundingBox();
    const accuracyBox = await page.locator('#chart-accuracy').boundingBox();
    assert.ok(tradeoffBox && accuracyBox && tradeoffBox.y < accuracyBox.y, 'trade-off card first');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUT, 'webview-sweep.png'), fullPage: true });
    assert.match(await page.locator('#tradeoff-recommendation').innerText(), /^So far the smallest file within 1 point of the baseline/);
    await sweepEvent({ type: 'done', runId: SWEEP_ID, durationMs: 300_000, testAccuracy: {}, recordPath: `runs/${SWEEP_ID}.json` });
    assert.match(await page.locator('#tradeoff-recommendation').innerText(), /^The smallest file within 1 point/, 'no "so far" once the sweep ended');
  });

  void it('a saved sweep shows the recommendation its record carries', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const rows = sweepPoints();
    const sentence = 'Deploy sweep/pruned_s50_full_int8.tflite: the smallest file within 0.5 points of the baseline accuracy.';
    const record: RunRecord = {
      version: 1,
      runId: 'old-sweep',
      job: 'sweep',
      status: 'done',
      startedAt: '2026-11-27T21:00:00.000Z',
      finishedAt: '2026-11-27T21:05:00.000Z',
      durationMs: 300_000,
      config: { ...DEFAULT_CONFIG, sweep: { ...DEFAULT_CONFIG.sweep, maxAccuracyDrop: 0.005 } },
      backend,
      dataset,
      stages: [],
      artifacts: [],
      report: rows,
      warnings: [],
      timings: {},
      sweep: {
        version: 1,
        complete: true,
        sparsities: [0.25, 0.5, 0.75, 0.9],
        layers: 'all',
        variants: ['dynamic-int8', 'full-int8'],
        epochs: 1,
        baselineAccuracy: 0.9771,
        maxAccuracyDrop: 0.005,
        rows: [],
        recommended: 'sweep/pruned_s50_full_int8.tflite',
        recommendation: sentence,
      },
      host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
    };
    await send({ type: 'snapshot', canRun: true, selectedRunId: 'old-sweep', runs: [{ runId: 'old-sweep', job: 'sweep', status: 'done', startedAt: record.startedAt, backend, events: [], record }] });
    assert.equal(await attr('#chart-tradeoff', 'data-points'), String(rows.length));
    assert.equal(await attr('#chart-tradeoff', 'data-recommended'), 'sweep/pruned_s50_full_int8.tflite');
    assert.equal(await page.locator('#tradeoff-recommendation').innerText(), sentence);
  });

  void it('a deploy card: flash and RAM bars against the chosen target, latency, findings as text, operators sortable by MACs or memory', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    // A real report: float32 784→256→10 (≈ 813 KB) is over the Cortex-M0+'s 512 KiB of flash, under the M4F's 2 MiB.
    const data = tfliteBytes(randomModel('big', [784, 256, 10]), 'float32').data;
    const report = analyzeDeploy('/w/big_float32.tflite', data, { target: 'cortex-m0plus' });
    const card = deployCardFromReport('/w/big_float32.tflite', JSON.parse(JSON.stringify(report)), ['/w/big_float32_deploy.md']) as DeployCard;
    assert.ok(card);
    // Text from a report is never markup.
    card.findings.push({ severity: 'warning', message: '<img src=x onerror="window.__xss = 1">', fix: '<b>not bold</b>' });
    // A convnet's card too (newest first): its operators order differently by MACs and by memory.
    const cData = tfliteBytes(convnet(), 'float32').data;
    const conv = deployCardFromReport('/w/convnet_float32.tflite', JSON.parse(JSON.stringify(analyzeDeploy('/w/convnet_float32.tflite', cData))), []) as DeployCard;
    await send({ type: 'deploy', cards: [conv, card] });
    assert.equal(await page.locator('#deploy-section').isVisible(), true);
    // Scrolled into view below the sticky run header: the section title and the newest card's name are not under it.
    assert.deepEqual(await uncovered(['#deploy-title', '#deploy-section .deploy-card h3']), [true, true]);
    assert.deepEqual(await page.locator('#deploy-section .deploy-card').evaluateAll((cs) => cs.map((x) => (x as HTMLElement).dataset.file)), ['/w/convnet_float32.tflite', '/w/big_float32.tflite']);
    // No deploy.target in the convnet's report: the card starts on the first microcontroller preset.
    assert.equal(await page.locator('#deploy-section .deploy-card').first().getAttribute('data-target'), 'cortex-m0plus');
    const c = page.locator('#deploy-section .deploy-card[data-file="/w/big_float32.tflite"]');
    assert.equal(await c.getAttribute('data-target'), 'cortex-m0plus');
    const m0 = card.targets.find((x) => x.name === 'cortex-m0plus')!;
    const flash = c.locator('.deploy-bar[data-kind="flash"]');
    assert.equal(await flash.getAttribute('data-fits'), 'no');
    assert.ok(Math.abs(Number(await flash.getAttribute('data-fraction')) - card.flashBytes / 524_288) < 1e-6);
    assert.equal(await c.locator('.deploy-bar[data-kind="ram"]').getAttribute('data-fits'), 'yes');
    assert.equal(Number(await c.locator('.deploy-latency').getAttribute('data-low')), m0.latencyMs.low);
    assert.equal(Number(await c.locator('.deploy-latency').getAttribute('data-high')), m0.latencyMs.high);
    assert.match(await c.locator('.deploy-bar-text').first().innerText(), /does not fit/);
    // Another target: the same figures against its budget.
    await c.locator('select.deploy-target').selectOption('cortex-m4f');
    const card2 = page.locator('#deploy-section .deploy-card[data-file="/w/big_float32.tflite"]');
    assert.equal(await card2.getAttribute('data-target'), 'cortex-m4f');
    assert.equal(await card2.locator('.deploy-bar[data-kind="flash"]').getAttribute('data-fits'), 'yes');
    assert.ok(Math.abs(Number(await card2.locator('.deploy-bar[data-kind="flash"]').getAttribute('data-fraction')) - card.flashBytes / 2_097_152) < 1e-6);
    // Findings: the flash misfit on the chosen target, and the injected one shown as text.
    const findings = card2.locator('ul.deploy-findings li');
    assert.equal(await findings.count(), card.findings.length);
    assert.ok((await findings.allInnerTexts()).some((x) => x.includes("do not fit Cortex-M0+'s flash")));
    assert.equal(await page.locator('#deploy-section img, #deploy-section b').count(), 0);
    assert.equal(await page.locator('#deploy-section .deploy-card').first().getAttribute('data-target'), 'cortex-m0plus', 'the other card keeps its own target');
    assert.match((await findings.last().innerText()), /<img src=x/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    // Operators: operator order, then largest MACs first, then largest weights + output first.
    const cc = '#deploy-section .deploy-card[data-file="/w/convnet_float32.tflite"]';
    const order = async (): Promise<number[]> => page.locator(`${cc} table.deploy-layers tbody tr`).evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.index)));
    assert.deepEqual(await order(), conv.layers.map((l) => l.index));
    const byMacs = [...conv.layers].sort((a, b) => b.macs - a.macs || a.index - b.index).map((l) => l.index);
    const byMemory = [...conv.layers].sort((a, b) => b.weightBytes + b.activationBytes - (a.weightBytes + a.activationBytes) || a.index - b.index).map((l) => l.index);
    await page.locator(`${cc} button[data-sort="macs"]`).click();
    assert.deepEqual(await order(), byMacs);
    assert.equal(await page.locator(`${cc} th:has(button[data-sort="macs"])`).getAttribute('aria-sort'), 'descending');
    await page.locator(`${cc} button[data-sort="memory"]`).click();
    assert.deepEqual(await order(), byMemory);
    assert.notDeepEqual(byMacs, byMemory, 'the two orders differ on this model, so each sort is really checked');
    await page.locator('#deploy-section').screenshot({ path: join(OUT, 'webview-deploy-card.png') });
  });

  void it('a sensitivity run: heat maps per layer and sparsity, the int8 table, the suggested prune.layers as text (names never become HTML)', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const ID = '20261205-000000-sensitivity';
    const evil = '<img src=x onerror="window.__pwned=1">';
    await send({ type: 'snapshot', canRun: true, selectedRunId: ID, runs: [{ runId: ID, job: 'sensitivity', status: 'running', startedAt: '2026-12-05T00:00:00.000Z', backend: null, events: [] }] });
    const ev = (e: EngineEvent): Promise<void> => send({ type: 'engineEvent', runId: ID, event: e });
    await ev({ type: 'jobStarted', runId: ID, job: 'sensitivity', config: DEFAULT_CONFIG, backend, stages: ['sensitivity'], startedAt: '2026-12-05T00:00:00.000Z', dataset });
    assert.equal(await page.locator('#sensitivity-section').isVisible(), false, 'nothing to show before the report');
    const stats = { rmse: 0.01, maxAbs: 0.05, cosine: 0.9999, rmseSteps: 0.25 };
    const layers = { conv2d: 0.25, [evil]: 0.7 };
    await ev({
      type: 'sensitivity',
      report: {
        version: 1,
        model: 'mnist_cnn',
        seed: 42,
        split: 'validation',
        samples: 10000,
        calibrationSamples: 200,
        errorSamples: 200,
        baselineAccuracy: 0.99,
        sparsities: [0.5, 0.9],
        prune: [
          { layer: 'conv2d', className: 'Conv2D', weights: 288, accuracy: [0.98, 0.6], drop: [0.01, 0.39] },
          { layer: evil, className: 'Dense', weights: 1000, accuracy: [0.991, 0.97], drop: [-0.001, 0.02] },
        ],
        float32Accuracy: 0.99,
        fullInt8Accuracy: 0.989,
        runtime: 'tfjs-tflite (simd)',
        quantization: 'min-max calibration on 200 samples, per-channel weights',
        quant: [{ layer: 'conv2d', className: 'Conv2D', ops: ['conv2d'], outputScale: 0.04, own: stats, accumulated: stats, int8OnlyAccuracy: 0.989, int8OnlyDrop: 0.001 }],
        suggestion: { targetSparsity: 0.5, achievedSparsity: 0.5, layers, estimatedDrop: 0.012, config: JSON.stringify({ prune: { layers } }) },
        nm: [{ layer: 'conv2d', weight: 'kernel', groupsOk: 0.5, satisfies: false }],
        nmNote: 'only NVIDIA sparse tensor cores',
      },
    });
    assert.equal(await page.locator('#sensitivity-section').isVisible(), true);
    assert.equal(await page.locator('#charts').isVisible(), false, 'no empty training charts for an analysis that trained nothing');
    assert.equal(await page.locator('#sensitivity-prune tbody tr').count(), 2);
    assert.match(await page.locator('#sensitivity-summary').innerText(), /on 10000 validation samples: float accuracy 99\.00 %/, 'says which split the figures are on');
    assert.equal(await page.locator('#sensitivity-prune tbody tr').nth(1).locator('th').innerText(), evil, 'a layer name is shown as text');
    assert.equal(await page.locator('#sensitivity-section img').count(), 0, 'and never parsed as HTML');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    const heat = page.locator('#sensitivity-prune tr[data-layer="conv2d"] td.heat');
    assert.equal(await heat.count(), 2);
    assert.equal(await heat.nth(1).getAttribute('data-drop'), '0.390000');
    assert.match(await heat.nth(1).evaluate((e) => getComputedStyle(e).backgroundColor), /rgba\(220, 50, 47, 0\.75\)/, 'a 39-point drop is full red');
    assert.equal(await page.locator('#sensitivity-prune tbody tr').nth(1).locator('td.heat').first().evaluate((e) => (e as HTMLElement).style.backgroundColor), '', 'a gain is not coloured');
    assert.match(await heat.nth(1).innerText(), /60\.00 % −39\.00 pt/);
    assert.equal(await page.locator('#sensitivity-quant tbody tr').count(), 1);
    assert.deepEqual(JSON.parse(await page.locator('#sensitivity-suggestion pre').innerText()), { prune: { layers } });
    assert.equal(await page.locator('#sensitivity-nm tbody td').nth(1).innerText(), '50.0 %');
    await page.screenshot({ path: join(OUT, 'webview-sensitivity.png'), fullPage: true });
  });

  void it('Choose Dataset preview: classes and counts as text, sample pixels painted exactly, shape and range; Confirm / Cancel post the preview id', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const gray = (v0: number): number[] => Array.from({ length: 16 }, (_, i) => (v0 + i * 13) % 256);
    const preview: DatasetPreview = {
      id: 'preview-1',
      target: 'data/shapes/train',
      data: { source: 'image-folder', trainDir: 'data/shapes/train', testDir: 'data/shapes/test', colorMode: 'grayscale', validation: 'stratified' },
      summary: ['30 training images in 3 classes', '9 test images in data/shapes/test'],
      classes: [
        { name: 'circle', train: 12, test: 3 },
        { name: '<img src=x onerror="window.__xss=1">', train: 10, test: 3 },
        { name: 'square', train: 8, test: 3 },
      ],
      countsOver: 'every image file',
      shape: [4, 4, 1],
      dtype: 'uint8',
      valueRange: { min: 0, max: 249, over: 'the 3 images shown' },
      samples: [
        { classIndex: 0, width: 4, height: 4, channels: 1, pixels: gray(0) },
        { classIndex: 1, width: 4, height: 4, channels: 1, pixels: gray(100) },
        { classIndex: 2, width: 3, height: 2, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90] },
      ],
      samplesNote: 'grayscale (data.colorMode "grayscale")',
    };
    await send({ type: 'datasetPreview', preview });
    await page.locator('#dataset-preview').waitFor({ state: 'visible' });
    assert.equal(await attr('#dataset-preview', 'data-id'), 'preview-1');
    // Scrolled into view below the sticky run header: the title and Write / Cancel are not under it.
    assert.deepEqual(await uncovered(['#dataset-preview-title', '#dataset-confirm', '#dataset-cancel']), [true, true, true]);
    assert.equal(await page.locator('#dataset-preview-title').textContent(), 'Data set: data/shapes/train');
    assert.deepEqual(await page.locator('#dataset-summary li').allInnerTexts(), preview.summary);
    const rows = page.locator('#dataset-classes-body tr');
    assert.equal(await rows.count(), 3);
    assert.deepEqual(await rows.nth(1).locator('td').allInnerTexts(), ['<img src=x onerror="window.__xss=1">', '10', '3'], 'a class name is text, never markup');
    assert.equal(await page.locator('#dataset-preview img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('#dataset-shape').innerText(), '[4, 4, 1] uint8');
    assert.equal(await page.locator('#dataset-range').innerText(), '0 … 249 (the 3 images shown)');
    assert.equal(await attr('#dataset-samples', 'data-count'), '3');
    assert.deepEqual(await page.locator('#dataset-samples figcaption').allInnerTexts(), ['circle', '<img src=x onerror="window.__xss=1">', 'square']);
    // The canvases hold exactly the pixels sent (gray → R = G = B, alpha 255).
    const painted = await page.locator('#dataset-samples canvas').evaluateAll((cs) =>
      cs.map((c) => {
        const k = c as HTMLCanvasElement;
        return Array.from(k.getContext('2d')!.getImageData(0, 0, k.width, k.height).data);
      }),
    );
    assert.deepEqual(painted[0], gray(0).flatMap((v) => [v, v, v, 255]));
    assert.deepEqual(painted[1], gray(100).flatMap((v) => [v, v, v, 255]));
    assert.deepEqual(painted[2], [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255]);
    assert.match(await page.locator('#dataset-json').textContent() ?? '', /"trainDir": "data\/shapes\/train"/);
    await page.screenshot({ path: join(OUT, 'webview-dataset-preview.png'), fullPage: false });

    const before = (await posted()).length;
    await page.locator('#dataset-confirm').click();
    await page.waitForFunction((n) => (window as unknown as { __posted: unknown[] }).__posted.length > n, before);
    assert.deepEqual((await posted()).slice(before), [{ type: 'confirmDataset', id: 'preview-1' }]);
    await page.locator('#dataset-cancel').click();
    await page.waitForFunction((n) => (window as unknown as { __posted: unknown[] }).__posted.length > n + 1, before);
    assert.deepEqual((await posted()).slice(before + 1), [{ type: 'cancelDataset', id: 'preview-1' }]);
    await send({ type: 'datasetPreview', preview: null });
    assert.equal(await page.locator('#dataset-preview').isHidden(), true);
  });

  void it('loaded nothing from outside its own origin, and nothing but the test inline script broke the CSP', async (t) => {
    if (skipReason) {
      return t.skip(skipReason);
    }
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.ok(requests.includes(`${origin}/dist/webview.js`));
    const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    assert.deepEqual(
      violations.filter((v) => !v.startsWith('script-src-elem inline')),
      [],
      'Chart.js and the web components must work without inline styles or eval',
    );
  });
});
