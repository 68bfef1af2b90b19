#!/usr/bin/env node
// `npm run sandbox`: try the extension in a browser, without VS Code.
//   1. installs code-server (a real VS Code server) with ../shared/tools/vscode-server/install.sh
//      into .code-server/ (offline, ~90 s the first time, then reused),
//   2. builds and packages model-optimizer.vsix and installs it into .code-server/sandbox/,
//   3. creates a sample workspace OUTSIDE the repository (so Git does not ask about the parent
//      repository on every start): $XDG_DATA_HOME/model-optimizer/sample-workspace/ (default
//      ~/.local/share/…, or --workspace DIR) with a small model-optimizer.json (kept if it
//      exists, so your edits survive),
//   4. starts code-server on 127.0.0.1:<free port> and prints the URL. Ctrl-C stops it.
//
// Options: --port N (default: a free port), --no-build (reuse dist/ and the .vsix).
// Open the URL on this machine (127.0.0.1 or localhost: webviews need a secure context).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, DEFAULT_VSIX, packageVsix } from './package-vsix.mjs';
import { codeServerLayout, codeServerServeArgs } from './code-server.mjs';

const args = process.argv.slice(2);
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 0;
const build = !args.includes('--no-build');

const CS_DIR = path.join(ROOT, '.code-server');
const CS_BIN = path.join(CS_DIR, 'node_modules', '.bin', 'code-server');
const RUN_DIR = path.join(CS_DIR, 'sandbox');
const DATA_HOME = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
const WORKSPACE = args.includes('--workspace') ? path.resolve(args[args.indexOf('--workspace') + 1]) : path.join(DATA_HOME, 'model-optimizer', 'sample-workspace');
/** Where earlier versions put it (inside the repository): its config is carried over once. */
const OLD_WORKSPACE = path.join(CS_DIR, 'sample-workspace');
const INSTALLER = path.resolve(ROOT, '..', 'shared', 'tools', 'vscode-server', 'install.sh');

function fail(msg) {
  console.error(`sandbox: ${msg}`);
  process.exit(1);
}

function run(cmd, argv, what) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    fail(`${what} failed (exit ${r.status ?? r.signal}).`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

// 1. code-server
if (!fs.existsSync(INSTALLER)) {
  fail(`${INSTALLER} is missing: the sandbox expects the shared tools folder beside the project (../shared).`);
}
console.log('sandbox: installing code-server into .code-server/ (reused when already there)');
run('bash', [INSTALLER, CS_DIR], 'installing code-server');

// 2. the extension
if (build) {
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], 'npm run build');
  packageVsix({ out: DEFAULT_VSIX });
} else if (!fs.existsSync(DEFAULT_VSIX)) {
  fail(`${DEFAULT_VSIX} is missing: run without --no-build.`);
}
const port = portArg || (await freePort());
const { userDataDir, dirArgs: common } = codeServerLayout(fs, path, RUN_DIR, port);
const settingsFile = path.join(userDataDir, 'User', 'settings.json');
{
  // Your own settings are kept; these are added when missing. The workspace is outside any Git
  // repository, and Git must not offer to open one found in a parent folder either.
  let settings;
  try {
    settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  } catch {
    settings = {};
  }
  const defaults = { 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'git.openRepositoryInParentFolders': 'never' };
  fs.writeFileSync(settingsFile, JSON.stringify({ ...defaults, ...settings }, null, 2));
}
run(CS_BIN, ['--install-extension', DEFAULT_VSIX, '--force', ...common], 'installing the .vsix into code-server');

// 3. sample workspace
fs.mkdirSync(WORKSPACE, { recursive: true });
const sampleConfig = path.join(WORKSPACE, 'model-optimizer.json');
const oldConfig = path.join(OLD_WORKSPACE, 'model-optimizer.json');
if (!fs.existsSync(sampleConfig) && fs.existsSync(oldConfig)) {
  fs.copyFileSync(oldConfig, sampleConfig);
  console.log(`sandbox: the sample workspace moved out of the repository; your ${path.relative(ROOT, oldConfig)} was copied to ${sampleConfig}`);
}
if (!fs.existsSync(sampleConfig)) {
  // Small enough to finish in about a minute on a laptop; delete the limits for the full reference run.
  const sample = {
    data: { trainLimit: 12000, testLimit: 2000 },
    train: { epochs: 2 },
    prune: { epochs: 1 },
  };
  fs.writeFileSync(sampleConfig, JSON.stringify(sample, null, 2) + '\n');
}

// 4. start and wait until it answers
const args2 = [...codeServerServeArgs(port, common, { disableTrust: true }), WORKSPACE];
const child = spawn(CS_BIN, args2, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
const logFile = path.join(RUN_DIR, 'code-server.log');
const log = fs.createWriteStream(logFile);
child.stdout.pipe(log);
child.stderr.pipe(log);
let stopping = false;
child.on('exit', (code, signal) => {
  if (!stopping) {
    console.error(`sandbox: code-server exited (code ${code}, signal ${signal}); log: ${path.relative(ROOT, logFile)}`);
  }
  process.exit(stopping ? 0 : 1);
});
const stop = () => {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log('\nsandbox: stopping code-server');
  try {
    process.kill(-child.pid, 'SIGTERM'); // its whole process group (it was started detached)
  } catch {
    process.exit(0);
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    process.exit(0);
  }, 5000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`;
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    if (r.ok) {
      break;
    }
  } catch {
    /* not up yet */
  }
  if (Date.now() > deadline) {
    stop();
    fail(`code-server did not answer on port ${port} within 60 s; log: ${path.relative(ROOT, logFile)}`);
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`
Model Optimizer sandbox is running (code-server, VS Code in the browser):

    ${url}

Workspace: ${WORKSPACE}/ (edit model-optimizer.json there)
Open the Model Optimizer view in the activity bar, or run "Model Optimizer: Run Full Pipeline"
from the command palette (F1). Log: ${path.relative(ROOT, logFile)}. Press Ctrl-C to stop.
`);
