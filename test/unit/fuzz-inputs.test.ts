/**
 * Issue 13 fuzz tests: seeded mutations of .tflite, .h5, .keras, TF.js model.json (+ weights),
 * IDX/gzip, .npy, CSV, PNG/JPEG and config files, each fed to the engine through the entry points the CLI uses
 * (evaluate, load a model to prune, load data, load a config). Every input must end in
 * success or BadInputError (CLI exit 2): never another exception (exit 1 "This is a bug"),
 * a crash, a hang or unbounded memory.
 *
 * Each format runs in a worker thread with a heap limit; the parent watches it: an input that
 * does not finish within WATCHDOG_MS is a hang (the worker is terminated, which also stops a
 * synchronous loop or a wasm call), and the process RSS is sampled every 20 ms so the worst
 * growth during one input is known. Counts, worst time and worst memory are printed.
 *
 * Env: FUZZ_SEED (default 13) picks other inputs; FUZZ_SCALE multiplies the counts (CI: 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { freshOutDir } from './child-helpers';
import { FIXTURES_DIR } from './import-helpers';
import type { FuzzFormat, FuzzJob, FuzzMessage } from './fuzz-worker';

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Per input: a hang detector, not a timing test (one input normally takes milliseconds). */
const WATCHDOG_MS = 30_000;
/** Bounded memory: the issue's failures grew by gigabytes. */
const MAX_RSS_GROWTH = 1024 * 1024 * 1024;

const COUNTS: Record<FuzzFormat, number> = { tflite: 120, h5: 60, keras: 30, 'model.json': 100, idx: 150, npy: 100, csv: 100, image: 24, config: 200 };

interface Summary {
  format: FuzzFormat;
  inputs: number;
  ok: number;
  badInput: number;
  bugs: string[];
  worstMs: number;
  worstMsInput: string;
  worstRss: number;
  worstRssInput: string;
  hang?: string;
}

function runFormat(format: FuzzFormat, count: number): Promise<Summary> {
  const job: FuzzJob = { format, seed: SEED, count, dir: freshOutDir(`fuzz-${format.replace('.', '-')}`), fixturesDir: existsSync(FIXTURES_DIR) ? FIXTURES_DIR : undefined };
  const tsx = require.resolve('tsx/cjs');
  const worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(path.join(__dirname, 'fuzz-worker.ts'))});`, {
    eval: true,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: 768 },
    stdout: true,
    stderr: true,
  });
  // Anything the engine prints would reach the user's terminal: collect it (HDF5-DIAG must not appear).
  let printed = '';
  worker.stdout.on('data', (c: Buffer) => (printed += c.toString()));
  worker.stderr.on('data', (c: Buffer) => (printed += c.toString()));
  const s: Summary = { format, inputs: 0, ok: 0, badInput: 0, bugs: [], worstMs: 0, worstMsInput: '', worstRss: 0, worstRssInput: '' };
  let current = -1;
  let rssAtStart = 0;
  let peak = 0;
  return new Promise((resolve, reject) => {
    let watchdog: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        s.hang = `input ${current} (seed ${SEED}) did not finish within ${WATCHDOG_MS / 1000} s`;
        void worker.terminate();
      }, WATCHDOG_MS);
    };
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    arm();
    worker.on('message', (m: FuzzMessage) => {
      arm();
      if (m.type === 'start') {
        current = m.i;
        rssAtStart = process.memoryUsage.rss();
        peak = rssAtStart;
      } else if (m.type === 'end' && m.i < 0) {
        // The unmutated base files were refused: the fuzzer would test nothing.
        s.bugs.push(m.message);
      } else if (m.type === 'end') {
        peak = Math.max(peak, process.memoryUsage.rss());
        s.inputs++;
        if (m.outcome === 'ok') {
          s.ok++;
        } else if (m.outcome === 'bad-input') {
          s.badInput++;
        } else {
          s.bugs.push(`#${m.i} ${m.message}${m.input ? ` (kept as ${m.input})` : ''}`);
        }
        if (m.ms > s.worstMs) {
          s.worstMs = m.ms;
          s.worstMsInput = `#${m.i} ${m.message.slice(0, 120)}`;
        }
        if (peak - rssAtStart > s.worstRss) {
          s.worstRss = peak - rssAtStart;
          s.worstRssInput = `#${m.i} ${m.message.slice(0, 120)}`;
        }
      } else if (m.type === 'done') {
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      s.bugs.push(`worker died during input ${current}: ${err.message}`);
    });
    worker.on('exit', () => {
      clearTimeout(watchdog);
      clearInterval(sampler);
      if (/HDF5-DIAG/.test(printed)) {
        s.bugs.push('HDF5 diagnostics were printed');
      }
      resolve(s);
    });
    worker.on('messageerror', reject);
  });
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

for (const format of Object.keys(COUNTS) as FuzzFormat[]) {
  // The .keras format needs the real Keras files beside the repository (there in CI).
  const skip = format === 'keras' && !existsSync(FIXTURES_DIR) && `no Keras fixtures at ${FIXTURES_DIR}`;
  void test(`fuzz ${format}: every mutated input is accepted or bad input (exit 2), never a bug, hang or memory blow-up`, { skip }, async () => {
    const s = await runFormat(format, Math.max(1, Math.round(COUNTS[format] * SCALE)));
    console.log(
      `fuzz ${format} (seed ${SEED}): ${s.inputs} inputs, ${s.ok} accepted, ${s.badInput} bad input, ${s.bugs.length} bugs; ` +
        `worst time ${s.worstMs.toFixed(0)} ms (${s.worstMsInput}); worst RSS growth ${mb(s.worstRss)} (${s.worstRssInput})`,
    );
    assert.equal(s.hang, undefined, s.hang);
    assert.deepEqual(s.bugs, []);
    assert.equal(s.inputs, Math.max(1, Math.round(COUNTS[format] * SCALE)));
    // The mutations must reach the checks (a fuzzer whose inputs all load tests nothing).
    assert.ok(s.badInput >= s.inputs / 10, `only ${s.badInput} of ${s.inputs} inputs were refused`);
    assert.ok(s.worstRss < MAX_RSS_GROWTH, `RSS grew by ${mb(s.worstRss)} on ${s.worstRssInput}`);
  });
}
