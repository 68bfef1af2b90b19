// Issue 9 acceptance, part a — is the engine's convnet training as good as an independent
// implementation? Trains the Keras "simple MNIST convnet" for 2 epochs (batch 64, Adam 1e-3,
// validationSplit 0.1, full MNIST) once per seed with the engine (`model-optimizer train`, config
// bench/acceptance/convnet.json + train.seed) and with stock tfjs-layers `fit`
// (bench/acceptance/train-tfjs-layers.ts, Math.random seeded), and prints both test accuracies
// per seed and their means. Needs a build (`npm run build`: dist/cli.js, dist/*.wasm).
//
//   node bench/acceptance/seed-study.mjs OUT_DIR [seeds=1,2,3,4,5]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.resolve(process.argv[2] ?? 'seed-study');
const seeds = (process.argv[3] ?? '1,2,3,4,5').split(',').map(Number);
fs.mkdirSync(out, { recursive: true });
const base = JSON.parse(fs.readFileSync(path.join(root, 'bench/acceptance/convnet.json'), 'utf8'));
const rows = [];
console.log(`load: ${execFileSync('uptime').toString().trim()}`);
for (const seed of seeds) {
  const dir = path.join(out, `seed-${seed}`);
  fs.mkdirSync(dir, { recursive: true });
  const cfg = { ...base, train: { ...base.train, seed } };
  delete cfg.prune;
  fs.writeFileSync(path.join(dir, 'model-optimizer.json'), JSON.stringify(cfg, null, 2));
  const ours = execFileSync(process.execPath, [path.join(root, 'bin/model-optimizer.js'), 'train', '--config', 'model-optimizer.json', '--out', 'out'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.writeFileSync(path.join(dir, 'engine.log'), ours);
  const engineAcc = Number(/test accuracy ([0-9.]+), test loss/.exec(ours)?.[1]);
  const stock = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/acceptance/train-tfjs-layers.ts'), path.join(dir, 'tfjs-layers'), '2', '60000', String(seed)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.writeFileSync(path.join(dir, 'tfjs-layers.log'), stock);
  const stockAcc = Number(/test accuracy \([^)]*\): ([0-9.]+)/.exec(stock)?.[1]);
  rows.push({ seed, engine: engineAcc, tfjsLayers: stockAcc });
  console.log(`seed ${seed}: engine ${engineAcc.toFixed(4)}  tfjs-layers fit ${stockAcc.toFixed(4)}  (${execFileSync('uptime').toString().trim()})`);
}
const mean = (k) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
console.log(`mean over ${rows.length} seeds: engine ${mean('engine').toFixed(4)}  tfjs-layers fit ${mean('tfjsLayers').toFixed(4)}`);
fs.writeFileSync(path.join(out, 'seed-study.json'), JSON.stringify({ rows, engineMean: mean('engine'), tfjsLayersMean: mean('tfjsLayers') }, null, 2));
