/**
 * `model-optimizer deploy [--model F.tflite] [--out DIR] [--json]`: the TensorFlow Lite Micro
 * files and deploy report for one `.tflite`. Runs in-process (no training, no engine child).
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { deployModel } from '../engine/deploy/report';
import { BadInputError } from '../engine/errors';
import { problemText } from './format';

export const DEPLOY_HELP = `model-optimizer deploy [--model F.tflite] [--out DIR] [--json]
  Writes <stem>_model_data.cc/.h (C array), <stem>_ops.h (MicroMutableOpResolver list) and
  <stem>_deploy.json/.md (MACs, flash, tensor-arena estimate, TFLite Micro compatibility).
  Without --model: the *_full_int8.tflite in ./model-optimizer-output. --out defaults to the model's folder.`;

interface DeployArgs {
  model?: string;
  out?: string;
  json: boolean;
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
    else if (f === '--json') {a.json = true;}
    else if (f.startsWith('--model=')) {a.model = f.slice(8);}
    else if (f.startsWith('--out=')) {a.out = f.slice(6);}
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
    const { report, files } = await deployModel(model, out);
    if (a.json) {
      process.stdout.write(`${JSON.stringify({ ...report, written: files })}\n`);
    } else {
      const n = (x: number): string => x.toLocaleString('en-US');
      process.stdout.write(
        [
          `${report.model}: ${n(report.macs)} MACs, flash ${n(report.flash_bytes)} B, arena ≈ ${n(report.arena_bytes)} B (lower bound ${n(report.arena_lower_bound_bytes)} B)`,
          `TFLite Micro: ${report.tflm_compatible ? 'runs' : 'refuses this file'}; ops ${report.ops.join(', ')}`,
          ...report.findings.map((f) => `  ${f.severity}: ${f.message}\n    fix: ${f.fix}`),
          ...files.map((f) => `wrote ${f}`),
          '',
        ].join('\n'),
      );
    }
    return report.tflm_compatible ? 0 : 1;
  } catch (err) {
    if (err instanceof BadInputError) {
      process.stderr.write(problemText(err.message, err.where));
      return 2;
    }
    throw err;
  }
}
