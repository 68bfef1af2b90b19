/** "Optimize This Model": which files it accepts and how Explorer / palette / string arguments arrive. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { isModelFile, MODEL_FILE_FILTERS, modelArg } from '../../src/extension/modelFile';

const uri = (fsPath: string, scheme = 'file'): { scheme: string; fsPath: string } => ({ scheme, fsPath });

void describe('Optimize This Model arguments', () => {
  void it('accepts Keras .h5 / .keras files and TF.js model.json, case-insensitively for extensions', () => {
    for (const f of ['/ws/m.h5', '/ws/M.H5', '/ws/dir/m.keras', '/ws/tfjs/model.json']) {
      assert.equal(isModelFile(f), true, f);
    }
    for (const f of ['/ws/data.csv', '/ws/model.tflite', '/ws/other.json', '/ws/h5', '/ws/model.json.bak']) {
      assert.equal(isModelFile(f), false, f);
    }
  });

  void it('takes the clicked Explorer file as the pipeline input model', () => {
    assert.deepEqual(modelArg(uri('/ws/models/cnn.h5')), { kind: 'file', file: '/ws/models/cnn.h5' });
    assert.deepEqual(modelArg(uri('/ws/web/model.json')), { kind: 'file', file: '/ws/web/model.json' });
  });

  void it('resolves a string path to an absolute one, as the CLI does with --model', () => {
    assert.deepEqual(modelArg('rel/m.keras'), { kind: 'file', file: path.resolve('rel/m.keras') });
  });

  void it('asks (kind none) when called from the palette without an argument', () => {
    assert.deepEqual(modelArg(undefined), { kind: 'none' });
    assert.deepEqual(modelArg(null), { kind: 'none' });
    assert.deepEqual(modelArg(''), { kind: 'none' });
  });

  void it('refuses unsupported and non-local files with a message that says what is accepted', () => {
    const bad = modelArg(uri('/ws/data.csv'));
    assert.equal(bad.kind, 'error');
    assert.match(bad.kind === 'error' ? bad.message : '', /data\.csv.*\.h5.*\.keras.*model\.json/);
    const remote = modelArg(uri('/ws/m.h5', 'vscode-remote'));
    assert.equal(remote.kind, 'error');
    assert.match(remote.kind === 'error' ? remote.message : '', /not a local file/);
  });

  void it('the open dialog offers exactly the accepted extensions', () => {
    assert.deepEqual(Object.values(MODEL_FILE_FILTERS).flat().sort(), ['h5', 'json', 'keras']);
  });
});
