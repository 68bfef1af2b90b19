/**
 * `model-optimizer deploy [--model F.tflite] [--out DIR] [--json]`: the TensorFlow Lite Micro
 * files and deploy report for one `.tflite`. Runs in-process (no training, no engine child).
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { resolveConfigFile } from '../engine/config';
import { deployModel, fmtMs } from '../engine/deploy/report';
import { TARGET_NAMES } from '../engine/deploy/targets';
import { BadInputError } from '../engine/errors';
import { problemText } from './format';

export const DEPLOY_HELP = `model-optimizer deploy [--model F.tflite] [--target NAME] [--max-latency-ms MS] [--out DIR] [--config FILE] [--json]
  Writes <stem>_model_data.cc/.h (C array), <stem>_ops.h (MicroMutableOpResolver list) and
  <stem>_deploy.json/.md (MACs, flash, tensor-arena estimate, TFLite Micro compatibility,
  latency per target preset, fits / does not fit).
  --target: ${TARGET_NAMES.join(', ')} (docs/targets.md); default deploy.target from the config.
  Without --model: the *_full_int8.tflite in ./model-optimizer-output. --out defaults to the model's folder.
  --config defaults to ./model-optimizer.json when it exists.`;

interface DeployArgs {
  model?: string;
  out?: string;
  target?: string;
  maxLatencyMs?: number;
  config?: string;
  json: boolean;
}

function latencyArg(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) {throw new BadInputError(`--max-latency-ms must be a positive number of milliseconds, not "${v}".`);}
  return x;
}

function targetArg(v: string): string {
  if (!TARGET_NAMES.includes(v)) {throw new BadInputError(`Unknown --target "${v}". Pick one of: ${TARGET_NAMES.join(', ')} (docs/targets.md).`);}
  return v;
}

function parse(argv: string[]): DeployArgs {
  const a: DeployArgs = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) {throw new BadInputError(`${f} needs a value. ${DEPLOY_HELP}`);}
      return v;
    };
    if (f === '--model') {a.model = value();}
    else if (f === '--out') {a.out = value();}
    else if (f === '--target') {a.target = targetArg(value());}
    else if (f === '--max-latency-ms') {a.maxLatencyMs = latencyArg(value());}
    else if (f === '--config') {a.config = value();}
    else if (f === '--json') {a.json = true;}
    else if (f.startsWith('--model=')) {a.model = f.slice(8);}
    else if (f.startsWith('--out=')) {a.out = f.slice(6);}
    else if (f.startsWith('--target=')) {a.target = targetArg(f.slice(9));}
    else if (f.startsWith('--max-latency-ms=')) {a.maxLatencyMs = latencyArg(f.slice(17));}
    else if (f.startsWith('--config=')) {a.config = f.slice(9);}
    else {throw new BadInputError(`Unknown deploy option "${f}". ${DEPLOY_HELP}`);}
  }
  return a;
}

function defaultModel(): string {
  const dir = path.resolve('model-optimizer-output');
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('_full_int8.tflite')) : [];
  if (found.length !== 1) {
    throw new BadInputError(
      found.length ? `Several full-int8 models in ${dir}: ${found.join(', ')}. Pick one with --model.` : `No --model given and no *_full_int8.tflite in ${dir}. Run model-optimizer pipeline first, or pass --model F.tflite.`,
    );
  }
  return path.join(dir, found[0]);
}

export async function runDeploy(argv: string[]): Promise<number> {
  try {
    const a = parse(argv);
    const model = path.resolve(a.model ?? defaultModel());
    const out = path.resolve(a.out ?? path.dirname(model));
    const configFile = a.config ?? (existsSync('model-optimizer.json') ? 'model-optimizer.json' : undefined);
    const deployCfg = configFile ? (await resolveConfigFile(path.resolve(configFile))).deploy : { target: null, maxLatencyMs: null };
    const target = a.target ?? deployCfg.target;
    const maxLatencyMs = a.maxLatencyMs ?? deployCfg.maxLatencyMs;
    const { report, files } = await deployModel(model, out, { target, maxLatencyMs });
    if (a.json) {
      process.stdout.write(`${JSON.stringify({ ...report, written: files })}\n`);
    } else {
      const n = (x: number): string => x.toLocaleString('en-US');
      process.stdout.write(
        [
          `${report.model}: ${n(report.macs)} MACs, flash ${n(report.flash_bytes)} B, arena ≈ ${n(report.arena_bytes)} B (lower bound ${n(report.arena_lower_bound_bytes)} B)`,
          `TFLite Micro: ${report.tflm_compatible ? 'runs' : 'refuses this file'}; ops ${report.ops.join(', ')}`,
          ...Object.entries(report.targets).map(
            ([name, t]) =>
              `  ${name === report.target ? '*' : ' '} ${t.label.padEnd(26)} ${`${fmtMs(t.latency_ms.low)}–${fmtMs(t.latency_ms.high)} ms`.padEnd(20)} ` +
              `flash ${t.fits_flash === null ? 'no limit' : t.fits_flash ? 'fits' : 'DOES NOT FIT'}, RAM ${t.fits_ram === null ? 'no limit' : t.fits_ram ? 'fits' : 'DOES NOT FIT'}${t.runs ? '' : ', TFLM refuses'}`,
          ),
          ...report.findings.map((f) => `  ${f.severity}: ${f.message}\n    fix: ${f.fix}`),
          ...files.map((f) => `wrote ${f}`),
          '',
        ].join('\n'),
      );
    }
    const chosen = report.target === null ? null : report.targets[report.target];
    return (chosen === null ? report.tflm_compatible : chosen.ok) ? 0 : 1;
  } catch (err) {
    if (err instanceof BadInputError) {
      process.stderr.write(problemText(err.message, err.where));
      return 2;
    }
    throw err;
  }
}
