/** A config error's `where` becomes the cursor position the "Open model-optimizer.json" button jumps to. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { locateInJson } from '../../src/extension/locate';

const TEXT = ['{', '  "train": {', '    "batchSize": 64,', '    "epochs": -3', '  },', '  "quantize": { "tflite": ["float32", "int3"] }', '}', ''].join('\n');

void describe('locateInJson', () => {
  void it('uses line:column of syntax errors (1-based in, 0-based out)', () => {
    assert.deepEqual(locateInJson(TEXT, 'model-optimizer.json:4:17'), { line: 3, character: 16 });
  });

  void it('finds a field path key by key, so train.epochs is not confused with another "epochs"', () => {
    const text = TEXT.replace('"quantize"', '"prune": { "epochs": 3 },\n  "quantize"');
    assert.deepEqual(locateInJson(text, 'model-optimizer.json: train.epochs'), { line: 3, character: 4 });
    assert.deepEqual(locateInJson(text, 'model-optimizer.json: prune.epochs'), { line: 5, character: 13 });
  });

  void it('strips array indices and falls back to the start', () => {
    assert.deepEqual(locateInJson(TEXT, 'model-optimizer.json: quantize.tflite[1]'), { line: 5, character: 16 });
    assert.deepEqual(locateInJson(TEXT, 'model-optimizer.json: nothing.here'), { line: 0, character: 0 });
    assert.deepEqual(locateInJson(TEXT, undefined), { line: 0, character: 0 });
  });
});
