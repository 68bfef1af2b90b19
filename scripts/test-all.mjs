#!/usr/bin/env node
// What `npm test` runs after `npm run build`:
//   1. `npm run lint` (must pass; a failure is reported and fails the run, tests still run),
//   2. packages model-optimizer.vsix (the end-to-end tests install it into code-server),
//   3. runs EVERY test file (test/unit, test/webview, test/e2e) in ONE `node --test`
//      invocation, so Node's test runner prints one final summary (tests / pass / fail).
// Exit code: the test runner's (or 1 when lint failed).
//
// Options (for local use; CI uses none):
//   node scripts/test-all.mjs [--no-lint] [--no-package] [PATH_PREFIX ...]
//   PATH_PREFIX limits the files, e.g. `test/e2e` or `test/unit/data-`.
// Env:
//   MODEL_OPTIMIZER_SKIP_E2E=1   skip the code-server tests (each prints why); without it a
//                                missing code-server FAILS them (see test/e2e/harness.ts).
//   TEST_CONCURRENCY=N           test files run in parallel (default 2: the machine has 2 cores
//                                and the e2e files each drive a code-server + Chromium).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, packageVsix, DEFAULT_VSIX } from './package-vsix.mjs';

const args = process.argv.slice(2);
const noLint = args.includes('--no-lint');
const noPackage = args.includes('--no-package');
const prefixes = args.filter((a) => !a.startsWith('--')).map((a) => a.replace(/^\.\//, ''));
const SUITES = ['test/unit', 'test/webview', 'test/e2e'];

const t0 = Date.now();
const secs = (t) => ((Date.now() - t) / 1000).toFixed(1) + ' s';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function listTests(dir) {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) {
    return [];
  }
  const out = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.test\.(ts|mts|mjs|js)$/.test(e.name)) {
      out.push(path.relative(ROOT, path.join(e.parentPath ?? e.path, e.name)));
    }
  }
  return out.sort();
}

let files = SUITES.flatMap(listTests);
if (prefixes.length) {
  files = files.filter((f) => prefixes.some((p) => f.startsWith(p)));
}
if (!files.length) {
  console.error(`test-all: no test files found${prefixes.length ? ` under ${prefixes.join(', ')}` : ''}`);
  process.exit(1);
}
// The e2e files are the longest; start them first so they overlap with the unit tests
// instead of running alone at the end.
files.sort((a, b) => Number(b.startsWith('test/e2e')) - Number(a.startsWith('test/e2e')) || a.localeCompare(b));

let lintFailed = false;
if (!noLint) {
  const t = Date.now();
  console.log('test-all: npm run lint');
  const r = spawnSync(npm, ['run', '--silent', 'lint'], { cwd: ROOT, stdio: 'inherit' });
  lintFailed = r.status !== 0;
  console.log(`test-all: lint ${lintFailed ? 'FAILED' : 'passed'} (${secs(t)})`);
}

// This run's own package (teammates may package or test in the same tree at the same time).
const vsix = noPackage ? (process.env.MODEL_OPTIMIZER_VSIX ?? DEFAULT_VSIX) : path.join(ROOT, '.test-output', `model-optimizer-${process.pid}.vsix`);
const needsVsix = files.some((f) => f.startsWith('test/e2e'));
if (needsVsix && !noPackage) {
  try {
    packageVsix({ out: vsix });
  } catch (err) {
    // The e2e tests then fail with their own message; everything else still runs.
    console.error(`test-all: packaging the .vsix failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
// A test that hangs (a webview assertion that never settles once held a file for 18 minutes) must
// fail on its own instead of eating CI's 90-minute budget. 30 minutes is above any test's time on a
// loaded 2-core machine (the first TFLite Micro build inside deploy-tflm is the longest).
const testTimeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 30 * 60 * 1000);
console.log(`test-all: ${files.length} test files, concurrency ${concurrency}`);
const runnerArgs = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${testTimeoutMs}`,
  '--test-reporter=spec',
  ...files,
];
const t = Date.now();
const r = spawnSync(process.execPath, runnerArgs, {
  cwd: ROOT,
  stdio: 'inherit',
  env: {
    ...process.env,
    MODEL_OPTIMIZER_VSIX: vsix,
    // Packaged above: the e2e files (which may run in parallel) must not repackage it.
    MODEL_OPTIMIZER_VSIX_FIXED: noPackage ? (process.env.MODEL_OPTIMIZER_VSIX_FIXED ?? '') : '1',
  },
});
const code = r.status ?? 1;
if (!noPackage) {
  fs.rmSync(vsix, { force: true });
}
console.log(`test-all: tests ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${secs(t)}; lint ${noLint ? 'skipped' : lintFailed ? 'FAILED' : 'passed'}; total ${secs(t0)}`);
process.exit(code !== 0 ? code : lintFailed ? 1 : 0);
