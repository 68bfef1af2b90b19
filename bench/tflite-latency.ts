/**
 * CPU time per inference of .tflite files in the TFLite runtime (tfjs-tflite, one thread), to
 * compare e.g. a structurally pruned model with an unstructured-pruned one. Files are run in
 * turns (A B A B …) so load changes hit them alike; CPU time (process.cpuUsage) rather than wall
 * time, since the machine is shared. Prints one line per file: median µs of CPU per inference
 * over the rounds, and the ratio to the first file.
 *
 *   npx tsx bench/tflite-latency.ts [--rounds 7] [--runs 500] A.tflite B.tflite …
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TfliteModel } from '../src/engine/runtime/tfliteRuntime';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    if (i < 0) {
      return dflt;
    }
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const rounds = opt('--rounds', 7);
  const runs = opt('--runs', 500);
  if (args.length === 0) {
    throw new Error('usage: npx tsx bench/tflite-latency.ts [--rounds N] [--runs N] A.tflite B.tflite …');
  }
  const models = await Promise.all(args.map(async (f) => ({ file: f, m: await TfliteModel.load(new Uint8Array(readFileSync(f)), path.basename(f)) })));
  const inputs = models.map(({ m }) => {
    const x = m.inputs[0].dataType === 'int8' ? new Int8Array(m.inputSize) : new Float32Array(m.inputSize);
    x.forEach((_v, i) => (x[i] = m.inputs[0].dataType === 'int8' ? (i % 200) - 100 : (i % 255) / 255));
    return x;
  });
  const times: number[][] = models.map(() => []);
  for (let r = 0; r < rounds + 1; r++) {
    models.forEach(({ m }, k) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < runs; i++) {
        m.run(inputs[k]);
      }
      const c = process.cpuUsage(c0);
      if (r > 0) {
        times[k].push((c.user + c.system) / runs); // round 0 warms up
      }
    });
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const base = median(times[0]);
  models.forEach(({ file, m }, k) => {
    const t = median(times[k]);
    console.log(`${path.join(path.basename(path.dirname(file)), path.basename(file)).padEnd(56)} ${t.toFixed(1).padStart(8)} µs CPU/inference  ×${(t / base).toFixed(2)}`);
    m.dispose();
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
