/**
 * End-to-end harness: the packaged .vsix installed into a real VS Code (code-server, installed
 * by ../shared/tools/vscode-server/install.sh into .code-server/), driven through its
 * workbench by playwright-core + Debian's /usr/bin/chromium.
 *
 * Every wait is on a condition (HTTP answer, DOM state, file on disk): no fixed sleeps.
 * Everything a test writes lands under .test-output/e2e/ (logs, user data, workspaces,
 * screenshots).
 *
 * Missing prerequisites (code-server not installed, no Chromium, no .vsix) FAIL the e2e
 * tests with the command that fixes it, unless MODEL_OPTIMIZER_SKIP_E2E=1 is set, in which
 * case they are skipped with the reason printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { isAlive } from '../../src/engine/util/process';
import { codeServerLayout, codeServerServeArgs } from '../../scripts/code-server.mjs';
import type { RunRecord } from '../../src/protocol/engine';
import { TEMP_MARK } from '../../src/engine/util/atomic';

// The engine's mark for temporary files of its atomic writes (never a finished file).
export { TEMP_MARK };

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const OUT = path.join(ROOT, '.test-output', 'e2e');
export const CODE_SERVER_DIR = path.resolve(process.env.MODEL_OPTIMIZER_CODE_SERVER ?? path.join(ROOT, '.code-server'));
export const CODE_SERVER_BIN = path.join(CODE_SERVER_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.MODEL_OPTIMIZER_CHROMIUM ?? '/usr/bin/chromium';
/** The package to install: given by scripts/test-all.mjs, else the one `npm run package` wrote. */
export const VSIX = path.resolve(process.env.MODEL_OPTIMIZER_VSIX ?? path.join(ROOT, 'model-optimizer.vsix'));

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
/** What code-server puts in a webview iframe's src: `extensionId=<publisher.name>`. */
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

/** Stable ids from package.json `contributes` (owned by the EXTENSION engineer). */
export const IDS = {
  container: 'modelOptimizer',
  runsView: 'modelOptimizer.runs',
  containerTitle: 'Model Optimizer',
  commandCategory: 'Model Optimizer',
} as const;

// ---------------------------------------------------------------------------------------
// prerequisites
// ---------------------------------------------------------------------------------------

/** Why the e2e tests cannot run here, or undefined when they can. */
export function missingPrerequisite(): string | undefined {
  if (!fs.existsSync(path.join(CODE_SERVER_DIR, '.installed')) || !fs.existsSync(CODE_SERVER_BIN)) {
    return `code-server is not installed in ${CODE_SERVER_DIR}. Install it with ` + '`bash ../shared/tools/vscode-server/install.sh .code-server` (about 90 s, offline), ' + 'or set MODEL_OPTIMIZER_SKIP_E2E=1 to skip the end-to-end tests on purpose.';
  }
  if (!fs.existsSync(CHROMIUM)) {
    return `Chromium is not at ${CHROMIUM}. Install it with \`apt-get install chromium\`, or set MODEL_OPTIMIZER_CHROMIUM to its path.`;
  }
  return undefined;
}

/**
 * `describe` for an e2e suite: runs `body` when code-server and Chromium are there;
 * otherwise one failing test that says what is missing (or a printed skip when
 * MODEL_OPTIMIZER_SKIP_E2E=1).
 */
export function e2eSuite(name: string, body: () => void): void {
  const missing = missingPrerequisite();
  if (process.env.MODEL_OPTIMIZER_SKIP_E2E === '1') {
    const reason = `MODEL_OPTIMIZER_SKIP_E2E=1: end-to-end tests in code-server skipped on request${missing ? ` (${missing})` : ''}`;
    console.log(`# ${name}: ${reason}`);
    void describe(name, () => {
      void it('runs in code-server', { skip: reason }, () => undefined);
    });
    return;
  }
  if (missing) {
    void describe(name, () => {
      void it('has code-server and Chromium to run in', () => {
        throw new Error(missing);
      });
    });
    return;
  }
  void describe(name, { timeout: 15 * 60_000 }, body);
}

/** The packaged extension; packaged now when missing or older than the build in dist/. */
export function ensureVsix(): string {
  if (process.env.MODEL_OPTIMIZER_VSIX_FIXED === '1') {
    // Packaged once by scripts/test-all.mjs (or by hand): used as is, never repackaged here.
    if (!fs.existsSync(VSIX)) {
      throw new Error(`${VSIX} is missing: packaging failed earlier (see the output above), or run \`npm run package\`.`);
    }
    return VSIX;
  }
  const dist = ['extension.js', 'engine.js', 'webview.js'].map((f) => path.join(ROOT, 'dist', f));
  const newest = Math.max(...dist.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : Infinity)));
  if (fs.existsSync(VSIX) && fs.statSync(VSIX).mtimeMs >= newest) {
    return VSIX;
  }
  if (!Number.isFinite(newest)) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does) before the e2e tests.');
  }
  // Stale or missing: package this process's own copy (never overwrite a shared file mid-use).
  for (const f of fs.existsSync(OUT) ? fs.readdirSync(OUT) : []) {
    const m = /^model-optimizer-(\d+)\.vsix$/.exec(f);
    if (m && !isAlive(Number(m[1]))) {
      fs.rmSync(path.join(OUT, f), { force: true });
    }
  }
  const own = path.join(OUT, `model-optimizer-${process.pid}.vsix`);
  if (fs.existsSync(own)) {
    return own;
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'package-vsix.mjs'), '--out', own], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`packaging the .vsix failed:\n${r.stdout}\n${r.stderr}`);
  }
  return own;
}

// ---------------------------------------------------------------------------------------
// waiting
// ---------------------------------------------------------------------------------------

/** Polls `check` until it returns a value other than undefined/false; rejects with `what` on timeout. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) {
        return v;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// code-server
// ---------------------------------------------------------------------------------------

export interface CodeServer {
  url: string;
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  close(): Promise<void>;
}

export interface CodeServerOptions {
  /** Folder name under .test-output/e2e/ (wiped first). */
  name: string;
  /** true = pass --disable-workspace-trust (every test that is not about trust). */
  disableTrust: boolean;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
}

/** Installs the .vsix into a fresh user-data/extensions dir and starts code-server on a free loopback port. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const vsix = ensureVsix();
  // One folder per process: teammates share this work tree and may run the e2e tests at
  // the same time. Folders of finished processes are removed here.
  removeStaleServerDirs(opts.name);
  const dir = path.join(OUT, `${opts.name}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  const { userDataDir, extensionsDir, dirArgs: common } = codeServerLayout(fs, path, dir, port);
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'window.restoreWindows': 'none',
    'files.hotExit': 'off',
    // Workspaces live inside this repository: no "open the parent git repository?" toast.
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    ...opts.settings,
  };
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const inst = spawnSync(CODE_SERVER_BIN, ['--install-extension', vsix, ...common], { encoding: 'utf8', timeout: 120_000 });
  if (inst.status !== 0 || !fs.readdirSync(extensionsDir).some((d) => d.toLowerCase().startsWith(EXTENSION_ID.toLowerCase()))) {
    throw new Error(`installing ${vsix} into code-server failed (exit ${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
  }

  const logFile = path.join(dir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = codeServerServeArgs(port, common, { disableTrust: opts.disableTrust });
  // Own process group, so close() ends code-server and every process it started.
  const proc: ChildProcess = spawn(CODE_SERVER_BIN, args, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, CI: 'true' } });
  fs.closeSync(log);
  if (proc.pid !== undefined) {
    liveGroups.add(proc.pid);
  }
  let exited: string | undefined;
  proc.once('exit', (code, signal) => {
    exited = `code-server exited (code ${code}, signal ${signal}); see ${logFile}`;
    liveGroups.delete(proc.pid!);
  });
  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    url,
    dir,
    userDataDir,
    extensionsDir,
    logFile,
    close: async () => {
      if (exited || proc.pid === undefined) {
        return;
      }
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5000);
      await gone;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor(
      `code-server /healthz on ${url}`,
      async () => {
        if (exited) {
          throw new Error(exited);
        }
        const r = await fetch(`${url}/healthz`);
        return r.ok;
      },
      60_000,
    );
  } catch (err) {
    await server.close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${logFile} ---\n${tail(logFile)}`, { cause: err });
  }
  return server;
}

/**
 * Process groups of the code-servers this process started. If the test process ends without
 * running its `after` hooks (killed by the runner's timeout, Ctrl-C), they are ended here.
 */
const liveGroups = new Set<number>();
function killLiveGroups(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveGroups.clear();
}
process.once('exit', killLiveGroups);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killLiveGroups();
    process.exit(130);
  });
}

function removeStaleServerDirs(name: string): void {
  if (!fs.existsSync(OUT)) {
    return;
  }
  for (const d of fs.readdirSync(OUT)) {
    const m = new RegExp(`^${name}-(\\d+)$`).exec(d);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) {
      fs.rmSync(path.join(OUT, d), { recursive: true, force: true });
    }
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------
// browser + workbench
// ---------------------------------------------------------------------------------------

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A workspace folder under .test-output/e2e/<server>/workspaces/<name> with the given files. */
export function makeWorkspace(server: CodeServer, name: string, files: Record<string, string | object>): string {
  const ws = path.join(server.dir, 'workspaces', name);
  fs.rmSync(ws, { recursive: true, force: true });
  fs.mkdirSync(ws, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(ws, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  }
  return ws;
}

export interface Workbench {
  page: Page;
  /** Messages the page logged (errors and warnings), for failure reports. */
  consoleLines: string[];
  close(): Promise<void>;
}

/** Opens `folder` in the workbench and waits until the workbench and our activity-bar entry are there. */
export async function openWorkbench(browser: Browser, server: CodeServer, folder: string): Promise<Workbench> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const consoleLines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      consoleLines.push(`[${m.type()}] ${m.text()}`);
    }
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor();
  await activityBarItem(page).waitFor({ timeout: 90_000 });
  return { page, consoleLines, close: () => context.close() };
}

/** Our view container's entry in the activity bar. */
export function activityBarItem(page: Page): Locator {
  return page.locator(`.part.activitybar .action-item a[aria-label^="${IDS.containerTitle}"]`).first();
}

/** The view container's side bar part (visible once opened). */
export function containerPane(page: Page): Locator {
  return page.locator(`[id="workbench.view.extension.${IDS.container}"]`);
}

/** Opens our view container in the side bar (idempotent). */
export async function openContainer(page: Page): Promise<Locator> {
  const pane = containerPane(page);
  if (!(await pane.isVisible())) {
    await activityBarItem(page).click();
  }
  await pane.waitFor({ state: 'visible' });
  return pane;
}

/** Rows of the Runs tree (empty while the welcome content shows). */
export function treeRows(page: Page): Locator {
  return containerPane(page).locator('.monaco-list-row');
}

/**
 * The rows of the Runs tree as text ("<shown text> | <aria-label>"), read in one go: the tree
 * re-renders while a run reports progress, so rows are never looked up one by one.
 */
export async function treeLabels(page: Page): Promise<string[]> {
  return treeRows(page).evaluateAll((els) => els.map((e) => `${(e as HTMLElement).innerText.replace(/\s+/g, ' ').trim()} | ${e.getAttribute('aria-label') ?? ''}`));
}

/** Expands every collapsed row of the Runs tree once. */
export async function expandAll(page: Page): Promise<void> {
  for (let guard = 0; guard < 20; guard++) {
    const collapsed = containerPane(page).locator('.monaco-list-row[aria-expanded="false"]');
    if ((await collapsed.count()) === 0) {
      return;
    }
    await collapsed.first().locator('.monaco-tl-twistie').click();
  }
}

/** Toasts currently shown (text of each), read in one go. */
export async function notifications(page: Page): Promise<string[]> {
  return page
    .locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item')
    .evaluateAll((els) => els.map((e) => (e.getAttribute('aria-label') ?? (e as HTMLElement).innerText).replace(/\s+/g, ' ')));
}

/**
 * Runs a command from the command palette by its title ("Model Optimizer: Run Full Pipeline").
 * The palette lists contributed commands before the extension host has activated the
 * extension; running one that early shows "command ... not found". In that case we wait for
 * that toast, clear it, and run the command again, until `done` holds or the time is up.
 */
export async function runCommand(page: Page, title: string, done?: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title.split(': ').pop()! }).first();
    // Under load the palette can replace what was typed while it is still opening: type again until the command is listed.
    await waitFor(
      `the palette to list "${title}"`,
      async () => {
        if ((await input.inputValue()) !== `>${title}`) {
          await input.fill(`>${title}`);
        }
        return row.isVisible();
      },
      60_000,
      500,
    );
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    if (!done) {
      return;
    }
    const outcome = await waitFor(
      `"${title}" to take effect`,
      async () => {
        if (await done()) {
          return 'ok';
        }
        const texts = await notifications(page);
        return texts.some((t) => /command .* not found/i.test(t)) ? 'not-found' : undefined;
      },
      Math.max(1000, deadline - Date.now()),
    );
    if (outcome === 'ok') {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`"${title}": command not found after ${attempt} attempts (extension never activated?)`);
    }
    await clearNotifications(page);
  }
}

/**
 * Waits for a notification whose text matches `re`, as a toast or, after a few seconds, in the
 * notification center: VS Code hides an info toast after a while (and on Escape), and under load
 * that can happen before the test looks. Returns the notification's text.
 */
export async function waitForNotification(page: Page, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const started = Date.now();
  let centerOpen = false;
  return waitFor(
    `a notification matching ${String(re)}`,
    async () => {
      const hit = (await notifications(page)).find((t) => re.test(t));
      if (hit !== undefined) {
        return hit;
      }
      if (!centerOpen && Date.now() - started > 5000) {
        await runWorkbenchCommand(page, 'Notifications: Show Notifications');
        centerOpen = true;
      }
      return undefined;
    },
    timeoutMs,
  );
}

export async function clearNotifications(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await runWorkbenchCommand(page, 'Notifications: Clear All Notifications');
  await waitFor('notifications to clear', async () => (await page.locator('.notifications-toasts .notification-toast').count()) === 0, 10_000);
}

/** A built-in workbench command (no activation involved). */
export async function runWorkbenchCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title.split(': ').pop()! }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/**
 * The content frame of our extension's webview: outer `iframe.webview` whose src names the
 * extension, then its inner `iframe#active-frame`. (`frame.name()` is stale: not used.)
 */
export async function webviewFrame(page: Page, timeoutMs = 60_000): Promise<Frame> {
  return waitFor(
    `the ${EXTENSION_ID} webview frame`,
    async () => {
      const outer = page.locator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`);
      if ((await outer.count()) === 0) {
        return undefined;
      }
      const outerFrame = await (await outer.first().elementHandle())?.contentFrame();
      const inner = await (await outerFrame?.waitForSelector('iframe#active-frame', { timeout: 5000 }))?.contentFrame();
      if (!inner || (await inner.locator('body').count()) === 0) {
        return undefined;
      }
      return inner;
    },
    timeoutMs,
  );
}

/** Screenshot to .test-output/e2e/<name>.png (the file name is printed). */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  const file = path.join(OUT, `${name}.png`);
  fs.mkdirSync(OUT, { recursive: true });
  const page = 'mouse' in target ? target : target.page();
  // Park the pointer on the empty title bar (no hover tooltips) and let toasts finish fading in.
  await page.mouse.move(page.viewportSize()!.width - 200, 16);
  await waitFor('toasts to finish fading in', async () => (await page.locator('.notification-toast:not(.notification-fade-in-done)').count()) === 0, 5000).catch(() => undefined);
  await target.screenshot({ path: file });
  console.log(`# screenshot: ${path.relative(ROOT, file)}`);
  return file;
}


/** Every run record in `outDir`/runs (temporary files left out), [] before the first. */
export function readRecords(outDir: string): RunRecord[] {
  const dir = path.join(outDir, 'runs');
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.includes(TEMP_MARK))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunRecord);
}

/** The first run record whose run has ended (records are written as "running" at start). */
export function finishedRecord(outDir: string): RunRecord | undefined {
  return readRecords(outDir).find((r) => r.status !== 'running');
}

/** Every file under dir (relative POSIX paths), [] when dir does not exist. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** before/after helpers shared by the suites: one code-server + one browser per file. */
export function useCodeServer(opts: CodeServerOptions): { server: () => CodeServer; browser: () => Browser } {
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startCodeServer(opts);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    server: () => server ?? assertFail('code-server did not start'),
    browser: () => browser ?? assertFail('the browser did not start'),
  };
}

function assertFail(msg: string): never {
  throw new Error(msg);
}

/**
 * Takes an item of the open context menu. By keyboard (Down until the item has the focus, then
 * Enter): a click can miss under load, when the menu is still being laid out or a hover widget
 * of the row right-clicked (the Runs tree's run tooltip) lies over the item, and a missed click
 * closes the menu without running anything. Clicking is the fallback when the menu takes no keys.
 */
export async function pickMenu(page: Page, label: string | RegExp): Promise<void> {
  const re = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item:not(.disabled) .action-label', { hasText: re }).first();
  await item.waitFor({ state: 'visible' });
  // Keys go to the menu only once it has the focus (given a moment after it shows).
  const focused = await waitFor(
    'the context menu to take the keyboard focus',
    () => menu.evaluate((m) => m.contains(document.activeElement)),
    5000,
    100,
  ).catch(() => false);
  const count = focused ? await menu.locator('.action-item:not(.disabled) .action-label').count() : -2;
  for (let i = 0; i <= count + 1; i++) {
    const current = await menu
      .locator('.action-item.focused .action-label')
      .first()
      .innerText({ timeout: 1000 })
      .catch(() => '');
    if (re.test(current.trim())) {
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: 30_000 });
      await parkMouse(page);
      return;
    }
    await page.keyboard.press('ArrowDown');
  }
  await waitFor(
    `the menu item "${String(label)}" to be taken`,
    async () => {
      if (!(await menu.isVisible())) {
        return true;
      }
      await item.click({ timeout: 5000 }).catch(() => undefined);
      return !(await menu.isVisible());
    },
    30_000,
    500,
  );
  await parkMouse(page);
}

/**
 * Moves the pointer to the empty title bar. The pointer left resting on a tree row (after a
 * right-click and a menu item taken by keyboard) brings up that row's hover, which then lies over
 * the rows below and takes the next click.
 */
export async function parkMouse(page: Page): Promise<void> {
  await page.mouse.move(page.viewportSize()!.width - 200, 16);
}

/**
 * Right-clicks `row` and picks the enabled menu item whose label matches `label`. Right after a
 * window opens, the extension may not have activated yet and its items are missing: the menu is
 * opened again until the item is offered; the click is repeated until the menu has closed.
 */
export async function pickFromContextMenu(page: Page, row: Locator, label: RegExp, timeoutMs = 60_000): Promise<void> {
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item:not(.disabled) .action-label', { hasText: label }).first();
  await waitFor(
    `the context menu to offer ${String(label)}`,
    async () => {
      if (!(await menu.isVisible())) {
        await row.click({ button: 'right' });
      }
      if ((await item.count()) > 0) {
        return true;
      }
      await page.keyboard.press('Escape');
      return false;
    },
    timeoutMs,
    500,
  );
  await pickMenu(page, label);
}
