/**
 * Activation of the real extension bundle against a minimal stand-in for the `vscode` API:
 * every command contributed in package.json is registered (package.json is the independent
 * reference), the Runs tree shows past runs read from `<out>/runs/*.json`, activation is fast,
 * and the heavy parts (run manager, engine child process wrapper, panel) are not loaded yet.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { DEFAULT_CONFIG } from '../../src/protocol/config';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Disposable {
  dispose(): void;
}
const noop: Disposable = { dispose: () => undefined };

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void): Disposable => {
    this.listeners.push(l);
    return noop;
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

function makeUri(fsPath: string): { fsPath: string; toString(): string } {
  return { fsPath, toString: () => `file://${fsPath}` };
}

function vscodeStub(workspace: string, registered: string[], contextKeys: Map<string, unknown>, trees: Map<string, { treeDataProvider: TreeProvider }>): unknown {
  class TreeItem {
    constructor(
      public label: string,
      public collapsibleState?: number,
    ) {}
  }
  return {
    EventEmitter,
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class {
      static File = { id: 'file' };
      constructor(
        public id: string,
        public color?: unknown,
      ) {}
    },
    ThemeColor: class {
      constructor(public id: string) {}
    },
    MarkdownString: class {
      value = '';
      appendMarkdown(s: string): this {
        this.value += s;
        return this;
      }
    },
    RelativePattern: class {
      constructor(
        public base: unknown,
        public pattern: string,
      ) {}
    },
    Uri: {
      file: (p: string) => makeUri(p),
      joinPath: (u: { fsPath: string }, ...parts: string[]) => makeUri(path.join(u.fsPath, ...parts)),
    },
    commands: {
      registerCommand: (id: string) => {
        registered.push(id);
        return noop;
      },
      getCommands: () => Promise.resolve(registered.slice()),
      executeCommand: (id: string, key?: string, value?: unknown) => {
        if (id === 'setContext' && key !== undefined) {
          contextKeys.set(key, value);
        }
        return Promise.resolve();
      },
    },
    window: {
      createTreeView: (id: string, options: { treeDataProvider: TreeProvider }) => {
        trees.set(id, options);
        return { ...noop, message: undefined };
      },
      registerWebviewPanelSerializer: () => noop,
      createOutputChannel: () => ({ ...noop, appendLine: () => undefined, append: () => undefined, show: () => undefined }),
      showErrorMessage: (m: string) => Promise.reject(new Error(`unexpected error message during activation: ${m}`)),
    },
    extensions: { onDidChange: () => noop },
    workspace: {
      isTrusted: true,
      workspaceFolders: [{ uri: makeUri(workspace), name: 'ws', index: 0 }],
      onDidGrantWorkspaceTrust: () => noop,
      onDidChangeConfiguration: () => noop,
      createFileSystemWatcher: () => ({ ...noop, onDidChange: () => noop, onDidCreate: () => noop, onDidDelete: () => noop }),
      getConfiguration: () => ({ get: <T>(_k: string, d: T) => d }),
      fs: {
        stat: (u: { fsPath: string }) => import('node:fs/promises').then((fs) => fs.stat(u.fsPath)),
      },
    },
  };
}

interface TreeProvider {
  getChildren(node?: unknown): unknown[];
  getTreeItem(node: unknown): { label: string; description?: string; contextValue?: string; accessibilityInformation?: { label: string } };
}

void describe('extension activation (real bundle, stubbed vscode API)', () => {
  let dir = '';
  let bundle = '';
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mo-activate-'));
    bundle = path.join(dir, 'extension.js');
    // Same options as esbuild.mjs's extension entry.
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/extension/extension.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      external: ['vscode'],
      logLevel: 'warning',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('registers every contributed command, shows past runs, loads nothing heavy', async () => {
    const ws = path.join(dir, 'workspace');
    const runs = path.join(ws, 'model-optimizer-output', 'runs');
    mkdirSync(runs, { recursive: true });
    const record = {
      version: 1,
      runId: '20261127-200000-train',
      job: 'train',
      status: 'done',
      startedAt: '2026-11-27T20:00:00.000Z',
      finishedAt: '2026-11-27T20:01:00.000Z',
      durationMs: 60000,
      config: DEFAULT_CONFIG,
      backend: { tfjs: 'wasm', trainer: 'tfjs', requested: 'auto' },
      dataset: { name: 'mnist', train: 54000, validation: 6000, test: 10000 },
      stages: [{ stage: 'train', model: 'mnist_model', durationMs: 1, testAccuracy: 0.9771, epochs: [] }],
      artifacts: [
        { kind: 'tfjs', model: 'mnist_model', path: 'mnist_model/model.json', bytes: 409_000 },
        { kind: 'tensorboard', model: 'mnist_model', path: 'logs/train/events.out.tfevents.1.host', bytes: 2_000 },
        { kind: 'run-record', model: '', path: 'runs/20261127-200000-train.json', bytes: 3_000 },
      ],
      report: [],
      warnings: [],
      timings: {},
      host: { node: 'v20', platform: 'linux', cpu: 'x', cores: 2 },
    };
    writeFileSync(path.join(runs, `${record.runId}.json`), JSON.stringify(record));
    // An older sweep: the tree names the file its recommendation says to deploy.
    const quant = { model: 'pruned_s75', format: 'tflite', variant: 'dynamic-int8', path: 'sweep/pruned_s75_quant.tflite', bytes: 103_424, gzipBytes: 38_195, params: 101_770, nonzeros: 25_546, layers: [], accuracy: 0.9085, accuracyDelta: 0.007, runtime: 'tflite-wasm', latencyUs: null, targetSparsity: 0.75 };
    const sweepRecord = {
      ...record,
      runId: '20261127-190000-sweep',
      job: 'sweep',
      startedAt: '2026-11-27T19:00:00.000Z',
      stages: [],
      artifacts: [],
      report: [quant],
      sweep: { version: 1, complete: true, sparsities: [0.75], layers: 'all', variants: ['dynamic-int8'], epochs: 1, baselineAccuracy: 0.9015, maxAccuracyDrop: 0.01, rows: [], recommended: quant.path, recommendation: 'Deploy sweep/pruned_s75_quant.tflite: the smallest file within 1 point.' },
    };
    writeFileSync(path.join(runs, `${sweepRecord.runId}.json`), JSON.stringify(sweepRecord));

    const registered: string[] = [];
    const contextKeys = new Map<string, unknown>();
    const trees = new Map<string, { treeDataProvider: TreeProvider }>();
    const stub = vscodeStub(ws, registered, contextKeys, trees);
    const loaded: string[] = [];
    const M = Module as unknown as { _load: (req: string, parent: unknown, isMain: boolean) => unknown };
    const original = M._load;
    M._load = function (req: string, parent: unknown, isMain: boolean) {
      loaded.push(req);
      return req === 'vscode' ? stub : original.call(this, req, parent, isMain);
    };
    try {
      const t0 = performance.now();
      const ext = createRequire(import.meta.url)(bundle) as { activate(c: unknown): void; deactivate(): Promise<void> };
      ext.activate({ subscriptions: [], extensionUri: makeUri(path.join(dir, 'ext')) });
      const ms = performance.now() - t0;
      console.log(`# require + activate: ${ms.toFixed(1)} ms`);
      assert.ok(ms < 1000, `activation took ${ms} ms`);

      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> } };
      assert.deepEqual([...registered].sort(), manifest.contributes.commands.map((c) => c.command).sort());
      assert.deepEqual([...trees.keys()], manifest.contributes.views.modelOptimizer.map((v) => v.id));
      assert.equal(contextKeys.get('modelOptimizer.running'), false);
      assert.ok(!loaded.some((r) => r.includes('child_process')), `child_process loaded at activation: ${loaded.join(', ')}`);

      // Past runs arrive in the background.
      const tree = trees.get('modelOptimizer.runs')?.treeDataProvider;
      assert.ok(tree);
      const deadline = Date.now() + 5000;
      while (tree.getChildren().length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const [first] = tree.getChildren();
      assert.ok(first, 'the past run is shown');
      const item = tree.getTreeItem(first);
      assert.equal(item.contextValue, 'run.done');
      // Key figures: duration and best test accuracy (no evaluated files in this run).
      assert.match(item.description ?? '', / · 1 min 0 s · 97\.71 %$/);
      assert.match(item.accessibilityInformation?.label ?? '', new RegExp(`^Run ${record.runId}, Train baseline, done, .* · 1 min 0 s · 97\\.71 %$`));
      // Files sit under the stage that wrote them; TensorBoard event files under one node; the record is the run itself.
      const childNodes = tree.getChildren(first);
      const children = childNodes.map((c) => tree.getTreeItem(c));
      assert.deepEqual(
        children.map((c) => [c.label, c.description, c.contextValue]),
        [
          ['Baseline training', 'test 97.71 %', 'stage'],
          ['TensorBoard logs', '1 event file', 'tensorboard'],
        ],
      );
      const files = tree.getChildren(childNodes[0]).map((c) => tree.getTreeItem(c));
      assert.deepEqual(
        files.map((c) => [c.label, c.description, c.contextValue]),
        [['mnist_model/ (TF.js)', '399.4 KiB', 'artifact.model.tfjs']],
      );
      const events = tree.getChildren(childNodes[1]).map((c) => tree.getTreeItem(c));
      assert.deepEqual(
        events.map((c) => [c.label, c.contextValue]),
        [['logs/train/events.out.tfevents.1.host', 'artifact.file']],
      );
      const sweepRun = tree.getChildren()[1];
      assert.ok(sweepRun, 'the older sweep run is listed second');
      assert.equal(tree.getTreeItem(sweepRun).label, 'Sparsity sweep');
      const [deploy] = tree.getChildren(sweepRun).map((c) => tree.getTreeItem(c));
      assert.deepEqual([deploy?.label, deploy?.description, deploy?.contextValue], ['Deploy pruned_s75_quant.tflite', 'gzip 37.3 KiB · acc 90.85 %', 'artifact.model.tflite']);
      await ext.deactivate();
    } finally {
      M._load = original;
    }
  });
});
