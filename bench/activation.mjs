// Measures extension activation in a fresh Node process: require dist/extension.js and await
// activate(context) with a minimal fake `vscode` module injected through
// Module._resolveFilename / require.cache (no VS Code needed). Prints one JSON line:
// { "activation_ms": …, "require_ms": …, "activate_ms": … } or { "error": … }.
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const FAKE_ID = join(root, '__fake_vscode__.js');

/** A do-nothing stand-in for any API object: property reads, calls and `new` all return another stand-in. */
function stub(label) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === 'then') {
        return undefined; // not a thenable
      }
      if (prop === Symbol.iterator) {
        return function* () {};
      }
      if (prop === Symbol.toPrimitive || prop === 'toString') {
        return () => `[stub ${label}]`;
      }
      if (prop === 'dispose') {
        return () => undefined;
      }
      if (!cache.has(prop)) {
        cache.set(prop, stub(`${label}.${String(prop)}`));
      }
      return cache.get(prop);
    },
    set(_t, prop, value) {
      cache.set(prop, value);
      return true;
    },
    apply() {
      return stub(`${label}()`);
    },
    construct() {
      return stub(`new ${label}`);
    },
  });
}

class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  static from(...ds) {
    return new Disposable(() => ds.forEach((d) => d?.dispose?.()));
  }
  dispose() {
    this.fn?.();
  }
}

class EventEmitter {
  listeners = new Set();
  event = (fn) => {
    this.listeners.add(fn);
    return new Disposable(() => this.listeners.delete(fn));
  };
  fire(e) {
    this.listeners.forEach((fn) => fn(e));
  }
  dispose() {
    this.listeners.clear();
  }
}

const uri = (p) => ({ fsPath: p, path: p, scheme: 'file', toString: () => `file://${p}`, with: () => uri(p) });
const event = () => new Disposable();
const disposableFn = () => () => new Disposable();

const vscodeFake = {
  Disposable,
  EventEmitter,
  Uri: { file: uri, joinPath: (base, ...parts) => uri(join(base.fsPath, ...parts)), parse: (s) => uri(s.replace(/^file:\/\//, '')) },
  StatusBarAlignment: { Left: 1, Right: 2 },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ThemeIcon: class { constructor(id) { this.id = id; } },
  ThemeColor: class { constructor(id) { this.id = id; } },
  TreeItem: class { constructor(label, state) { this.label = label; this.collapsibleState = state; } },
  Position: class { constructor(l, c) { this.line = l; this.character = c; } },
  Range: class { constructor(a, b) { this.start = a; this.end = b; } },
  MarkdownString: class { constructor(v) { this.value = v; } },
  commands: { registerCommand: disposableFn(), executeCommand: () => Promise.resolve(undefined), getCommands: () => Promise.resolve([]) },
  window: new Proxy(
    {
      createOutputChannel: () => stub('outputChannel'),
      createStatusBarItem: () => stub('statusBarItem'),
      registerTreeDataProvider: disposableFn(),
      registerWebviewViewProvider: disposableFn(),
      registerWebviewPanelSerializer: disposableFn(),
      createTreeView: () => stub('treeView'),
      showErrorMessage: () => Promise.resolve(undefined),
      showWarningMessage: () => Promise.resolve(undefined),
      showInformationMessage: () => Promise.resolve(undefined),
      onDidChangeActiveTextEditor: event,
      visibleTextEditors: [],
      activeTextEditor: undefined,
    },
    { get: (t, p) => (p in t ? t[p] : stub(`window.${String(p)}`)) },
  ),
  workspace: new Proxy(
    {
      workspaceFolders: undefined,
      isTrusted: true,
      getConfiguration: () => ({ get: (_k, d) => d, has: () => false, inspect: () => undefined, update: () => Promise.resolve() }),
      onDidChangeConfiguration: event,
      onDidGrantWorkspaceTrust: event,
      onDidChangeWorkspaceFolders: event,
      createFileSystemWatcher: () => stub('watcher'),
      fs: stub('fs'),
    },
    { get: (t, p) => (p in t ? t[p] : stub(`workspace.${String(p)}`)) },
  ),
  env: stub('env'),
  extensions: stub('extensions'),
  l10n: { t: (s) => s },
};
const vscode = new Proxy(vscodeFake, { get: (t, p) => (p in t ? t[p] : stub(`vscode.${String(p)}`)) });

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? FAKE_ID : resolve.call(this, request, ...rest);
};
const fakeModule = new Module(FAKE_ID);
fakeModule.filename = FAKE_ID;
fakeModule.loaded = true;
fakeModule.exports = vscode;
Module._cache[FAKE_ID] = fakeModule;

const memento = () => {
  const m = new Map();
  return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: (k, v) => Promise.resolve(void m.set(k, v)), keys: () => [...m.keys()], setKeysForSync: () => undefined };
};
const context = new Proxy(
  {
    subscriptions: [],
    extensionPath: root,
    extensionUri: uri(root),
    globalStorageUri: uri(join(root, '.test-output', 'bench-global')),
    storageUri: undefined,
    logUri: uri(join(root, '.test-output', 'bench-log')),
    globalState: memento(),
    workspaceState: memento(),
    extensionMode: 1,
    asAbsolutePath: (p) => join(root, p),
    environmentVariableCollection: stub('envCollection'),
    secrets: stub('secrets'),
  },
  { get: (t, p) => (p in t ? t[p] : stub(`context.${String(p)}`)) },
);

const require = createRequire(import.meta.url);
try {
  const t0 = performance.now();
  const ext = require(join(root, 'dist', 'extension.js'));
  const t1 = performance.now();
  await ext.activate(context);
  const t2 = performance.now();
  const r = (x) => Math.round(x * 10) / 10;
  process.stdout.write(`${JSON.stringify({ activation_ms: r(t2 - t0), require_ms: r(t1 - t0), activate_ms: r(t2 - t1) })}\n`);
  context.subscriptions.forEach((d) => d?.dispose?.());
  await ext.deactivate?.();
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: String(err?.stack ?? err).split('\n').slice(0, 3).join(' | ') })}\n`);
}
process.exit(0);
