// Sweep time with 1 and with N worker processes (issue 15): `sweep_s` of bench/results.json.
// Part of `npm run bench`; alone: `node bench/sweep.mjs` (after `npm run bundle`) prints the
// figure as JSON. One baseline is trained first (1 epoch of the reference MLP on full MNIST),
// then the same default sweep (4 sparsities, prune.epochs fine-tuning epochs each, dynamic-int8
// and full-int8 files measured in the TFLite runtime) runs twice on it through the CLI:
// `--workers 1` (every point in the engine's process) and `--workers auto` (N = what auto picks
// here: the available cores ÷ threads per worker, so 1 on a one-core machine). Wall and CPU seconds (user + sys of the CLI and every process it started, from
// /usr/bin/time) of each, and whether both gave the same files with the same accuracy.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

function run(args, timeoutS) {
  return new Promise((resolve) => {
    const haveTime = existsSync('/usr/bin/time');
    const cmd = haveTime ? '/usr/bin/time' : process.execPath;
    const full = haveTime ? ['-f', 'TIME %e %U %S %M', process.execPath, ...args] : args;
    const t0 = performance.now();
    const child = spawn(cmd, full, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      resolve({
        code,
        stdout,
        stderr,
        wall_s: m ? Number(m[1]) : (performance.now() - t0) / 1000,
        cpu_s: m ? Number(m[2]) + Number(m[3]) : null,
      });
    });
  });
}

function events(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);
}

/** path → [accuracy, nonzeros] of every file in the sweep table of a run folder. */
function table(out) {
  const runs = join(out, 'runs');
  const dir = readdirSync(runs, { withFileTypes: true }).find((e) => e.isDirectory());
  if (!dir) {
    return null;
  }
  const s = JSON.parse(readFileSync(join(runs, dir.name, 'sweep', 'sweep.json'), 'utf8'));
  return Object.fromEntries(s.rows.map((r) => [r.path, [r.accuracy, r.nonzeros]]));
}

export async function measureSweep() {
  const cli = join(root, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    return { error: 'dist/cli.js missing (npm run bundle)' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mo-bench-sweep-'));
  try {
    const base = join(dir, 'base');
    const trained = await run([cli, 'train', '--epochs', '1', '--out', base, '--json'], 600);
    if (trained.code !== 0) {
      return { error: `training the baseline failed: ${trained.stderr.trim().split('\n').slice(-2).join(' | ')}` };
    }
    const model = join(base, 'mnist_model', 'model.json');
    const result = { workload: 'reference MLP (1 training epoch, full MNIST) swept to 0.25, 0.5, 0.75, 0.9 (all layers, prune.epochs fine-tuning each, dynamic-int8 + full-int8 measured): node dist/cli.js sweep --model … --workers 1 | auto', cores: availableParallelism() };
    const runs = {};
    for (const workers of ['1', 'auto']) {
      const out = join(dir, `w${workers}`);
      const load = loadavg()[0];
      const r = await run([cli, 'sweep', '--model', model, '--out', out, '--workers', workers, '--json'], 1800);
      const ev = events(r.stdout);
      const terminal = ev.find((e) => e.type === 'done' || e.type === 'error' || e.type === 'cancelled');
      const used = ev.map((e) => (e.type === 'log' ? /^sweep: \d+ points in (\d+) worker processes/.exec(e.message) : null)).find(Boolean);
      runs[workers] = { ...r, load, terminal, n: used ? Number(used[1]) : 1, table: terminal?.type === 'done' ? table(out) : null };
    }
    const one = runs['1'];
    const n = runs.auto;
    return {
      ...result,
      workers_1: one.terminal?.type === 'done' ? round(one.wall_s) : null,
      workers_n: n.terminal?.type === 'done' ? round(n.wall_s) : null,
      n: n.n,
      speedup: one.terminal?.type === 'done' && n.terminal?.type === 'done' ? round(one.wall_s / n.wall_s) : null,
      cpu_s: { workers_1: round(one.cpu_s), workers_n: round(n.cpu_s) },
      load_average_1min_before: { workers_1: round(one.load), workers_n: round(n.load) },
      same_results: one.table && n.table ? JSON.stringify(one.table) === JSON.stringify(n.table) : null,
      ...(one.terminal?.type !== 'done' || n.terminal?.type !== 'done'
        ? { error: [one, n].map((r) => (r.terminal?.type === 'done' ? '' : (r.terminal?.message ?? r.stderr.trim().split('\n').slice(-2).join(' | ')))).filter(Boolean).join('; ') }
        : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measureSweep())}\n`);
}
