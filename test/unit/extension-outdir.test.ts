/** The extension's output folder never leads outside the workspace (paths, '..', symlinks). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { artifactPath, OutputDirError, resolveOutputDir } from '../../src/extension/outputDir';

const WHERE = 'modelOptimizer.outputDirectory';

void describe('resolveOutputDir', () => {
  let base = '';
  let ws = '';
  before(() => {
    base = mkdtempSync(path.join(tmpdir(), 'mo-outdir-'));
    ws = path.join(base, 'workspace');
    mkdirSync(path.join(ws, 'sub'), { recursive: true });
    mkdirSync(path.join(base, 'elsewhere'));
    symlinkSync(path.join(base, 'elsewhere'), path.join(ws, 'escape'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  void it('resolves the default and nested relative folders inside the workspace', () => {
    assert.equal(resolveOutputDir(ws, 'model-optimizer-output', WHERE), path.join(ws, 'model-optimizer-output'));
    assert.equal(resolveOutputDir(ws, 'sub/out', WHERE), path.join(ws, 'sub', 'out'));
    assert.equal(resolveOutputDir(ws, './sub/../out', WHERE), path.join(ws, 'out'));
    assert.equal(resolveOutputDir(ws, path.join(ws, 'abs-inside'), WHERE), path.join(ws, 'abs-inside'));
  });

  void it('refuses paths that lead outside the workspace, naming the setting', () => {
    for (const bad of ['..', '../x', 'sub/../../x', path.join(base, 'elsewhere'), '/tmp']) {
      assert.throws(
        () => resolveOutputDir(ws, bad, WHERE),
        (e: unknown) => e instanceof OutputDirError && e.where === WHERE && /outside the workspace/.test(e.message),
        bad,
      );
    }
  });

  void it('refuses the workspace root itself, an empty value, and a symlink that points out', () => {
    assert.throws(() => resolveOutputDir(ws, '.', WHERE), /workspace folder itself/);
    assert.throws(() => resolveOutputDir(ws, '  ', WHERE), /is empty/);
    assert.throws(() => resolveOutputDir(ws, 'escape/out', WHERE), /symbolic link/);
    assert.throws(() => resolveOutputDir(ws, 'escape', WHERE), /symbolic link/);
  });

  void it('artifactPath keeps webview-supplied paths inside the run folder', () => {
    const out = path.join(ws, 'model-optimizer-output');
    assert.equal(artifactPath(out, 'mnist_model/model.json'), path.join(out, 'mnist_model', 'model.json'));
    assert.equal(artifactPath(out, '../secret'), null);
    assert.equal(artifactPath(out, 'a/../../b'), null);
    assert.equal(artifactPath(out, '/etc/passwd'), null);
    assert.equal(artifactPath(out, ''), null);
    assert.equal(artifactPath(out, '.'), null);
  });
});
