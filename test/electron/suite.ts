/**
 * @vscode/test-electron suite, for machines that can download VS Code (see run.mjs).
 * NOT part of `npm test` and not counted as proof: the code-server e2e tests are.
 * Runs inside VS Code's extension host; bundled to CommonJS by run.mjs.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'model-optimizer.model-optimizer';
const COMMANDS = ['modelOptimizer.train', 'modelOptimizer.runPipeline', 'modelOptimizer.stopRun', 'modelOptimizer.showPanel'];

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the development host`);
  await ext.activate();
  assert.equal(ext.isActive, true, 'the extension activates');
  const all = await vscode.commands.getCommands(true);
  for (const c of COMMANDS) {
    assert.ok(all.includes(c), `command ${c} is registered`);
  }
  await vscode.commands.executeCommand('modelOptimizer.showPanel');
  console.log(`electron suite: ${EXTENSION_ID} active, ${COMMANDS.length} commands registered, panel opened`);
}
