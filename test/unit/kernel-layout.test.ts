/**
 * The Dense SIMD kernel's layout table is described once (src/engine/kernel/assembly/layout.ts)
 * and both sides take their slots from there: the AssemblyScript kernel that reads the table and
 * the host (kernelTrainer.ts) that writes it. Checks the layout is consistent (no two fields in
 * one slot, the f64 loss 8-byte aligned, the header inside its room) and that neither side
 * indexes the table with a number of its own. That the compiled kernel reads what the host
 * writes is checked by running it: test/unit/kernel-gradients and kernel-training (gradients
 * and training against TF.js on the same weights).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as layout from '../../src/engine/kernel/assembly/layout';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const entries = Object.entries(layout) as [string, number][];

void test('layout table: every header and per-layer field has a slot of its own', () => {
  const header = entries.filter(([k]) => k.startsWith('T_') && k !== 'T_LAYERS' && k !== 'T_STRIDE');
  const perLayer = entries.filter(([k]) => k.startsWith('L_'));
  // The f64 loss takes two i32 slots.
  const headerSlots = header.flatMap(([k, v]) => (k === 'T_LOSS_F64' ? [v, v + 1] : [v]));
  assert.equal(new Set(headerSlots).size, headerSlots.length, `header slots overlap: ${JSON.stringify(header)}`);
  assert.ok(Math.max(...headerSlots) < layout.T_LAYERS, 'the header ends before the first layer');
  assert.equal(layout.T_LOSS_F64 % 2, 0, 'the f64 loss is 8-byte aligned (tables are 16-byte aligned)');
  // Per-layer slots: exactly 0 … T_STRIDE − 1, each once.
  assert.deepEqual(perLayer.map(([, v]) => v).sort((a, b) => a - b), Array.from({ length: layout.T_STRIDE }, (_v, i) => i));
  assert.ok(entries.every(([, v]) => Number.isInteger(v) && v >= 0));
});

void test('layout table: the kernel and the host take every slot from layout.ts, never a literal', () => {
  const kernel = read('src/engine/kernel/assembly/index.ts');
  const host = read('src/engine/kernel/kernelTrainer.ts');
  assert.match(kernel, /from '\.\/layout';/);
  assert.match(host, /from '\.\/assembly\/layout';/);
  // Every constant is used where the table is read and where it is written.
  for (const [name] of entries) {
    assert.match(kernel, new RegExp(`\\b${name}\\b`), `the kernel uses ${name}`);
    assert.match(host, new RegExp(`\\b${name}\\b`), `the host uses ${name}`);
  }
  // No slot given as a number, no table constant defined again.
  assert.doesNotMatch(kernel, /\bl?slot\(t, (?:[^,()]+, )?\d+\)/, 'kernel reads a slot by number');
  assert.doesNotMatch(kernel, /(?:store|load)<\w+>\(t \+ \d+/, 'kernel writes the table at a literal offset');
  assert.doesNotMatch(host, /i32\[(?:t|o) \+ \d+\]|this\.(?:i32|f64)\[\(?this\.table[AB](?: \/ 4)? \+ \d+/, 'host indexes the table by number');
  for (const src of [kernel, host]) {
    assert.doesNotMatch(src, /const (?:T|L)_[A-Z_0-9]+ = \d+/, 'a table constant defined outside layout.ts');
  }
});
