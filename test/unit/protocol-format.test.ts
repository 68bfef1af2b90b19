/** The shared formatters: one unit system (KiB) and readable long durations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatDuration } from '../../src/protocol/format';

void test('formatDuration: ms, s, min s, and h min above an hour', () => {
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(12_345), '12.3 s');
  assert.equal(formatDuration(247_000), '4 min 7 s');
  assert.equal(formatDuration(299_600), '5 min 0 s', '4 min 59.6 s rounds up to the next minute, never "4 min 60 s"');
  // The example: 3057 min 48 s = 50 h 57.8 min → 50 h 58 min.
  assert.equal(formatDuration((3057 * 60 + 48) * 1000), '50 h 58 min');
  assert.equal(formatDuration(3_600_000), '1 h 0 min');
  assert.equal(formatDuration((2 * 3600 + 59 * 60 + 50) * 1000), '3 h 0 min', '2 h 59 min 50 s rounds to 3 h 0 min');
});

void test('formatBytes: binary units everywhere', () => {
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(69_680), '68.0 KiB');
  assert.equal(formatBytes(3 * 1024 * 1024), '3.00 MiB');
  assert.equal(formatBytes(1.25 * 1024 ** 3), '1.25 GiB');
});
