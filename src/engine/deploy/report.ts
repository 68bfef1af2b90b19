/**
 * `model-optimizer deploy`: reads a `.tflite`, analyses it for TensorFlow Lite Micro and writes
 * the C sources and the deploy report beside it (or into `outDir`).
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { readTflite } from '../export/tflite/reader';
import { tensorTypeName } from '../export/tflite/schema';
import { writeFileAtomic } from '../util/atomic';
import { estimateArena, modelCost, type ArenaEstimate, type LayerCost } from './analyze';
import { modelCFiles, opNames } from './cArray';
import { tflmCompatible, tflmFindings, type Finding } from './compat';

/** A .tflite larger than this is no microcontroller model (and would be a huge C file). */
export const MAX_DEPLOY_BYTES = 256 * 1024 * 1024;

export interface DeployReport {
  model: string;
  model_bytes: number;
  macs: number;
  flash_bytes: number;
  weight_bytes: number;
  arena_bytes: number;
  arena_lower_bound_bytes: number;
  arena: Omit<ArenaEstimate, 'plan'> & { peak_operator: number };
  ops: string[];
  tflm_compatible: boolean;
  findings: Finding[];
  inputs: { name: string; type: string; shape: number[]; scale?: number; zero_point?: number }[];
  outputs: { name: string; type: string; shape: number[]; scale?: number; zero_point?: number }[];
  layers: LayerCost[];
  latency_ms: Record<string, { low: number; high: number }>;
  files: string[];
}

export function readModelFile(file: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) {throw new BadInputError(`${file} is not a regular file. Pass a .tflite file with --model.`, file);}
    size = st.size;
  } catch (err) {
    if (err instanceof BadInputError) {throw err;}
    throw new BadInputError(`Cannot read ${file}: ${(err as Error).message}. Pass an existing .tflite file with --model.`, file);
  }
  if (size > MAX_DEPLOY_BYTES) {
    throw new BadInputError(`${file} is ${size} bytes, more than the ${MAX_DEPLOY_BYTES} a deployable model can be. Pass a microcontroller-sized .tflite.`, file);
  }
  return new Uint8Array(readFileSync(file));
}

export function analyzeDeploy(file: string, bytes: Uint8Array): DeployReport {
  const g = readTflite(bytes, file);
  const cost = modelCost(g);
  const arena = estimateArena(g);
  const findings = tflmFindings(g);
  const io = (i: number): DeployReport['inputs'][number] => {
    const t = g.tensors[i];
    const q = t.quant && t.quant.scale.length === 1 ? { scale: t.quant.scale[0], zero_point: t.quant.zeroPoint[0] ?? 0 } : {};
    return { name: t.name, type: tensorTypeName(t.type), shape: t.shape, ...q };
  };
  const { plan, ...arenaRest } = arena;
  return {
    model: path.basename(file),
    model_bytes: bytes.length,
    macs: cost.macs,
    // The model array is what goes to flash; kernel code comes on top (see the .md).
    flash_bytes: bytes.length,
    weight_bytes: cost.weightBytes,
    arena_bytes: arena.estimateBytes,
    arena_lower_bound_bytes: arena.lowerBoundBytes,
    arena: { ...arenaRest, peak_operator: plan.peakScope - 1 },
    ops: opNames(g),
    tflm_compatible: tflmCompatible(findings),
    findings,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
    layers: cost.layers,
    latency_ms: {},
    files: [],
  };
}

function markdown(r: DeployReport): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = [
    `# Deploy report: ${r.model}`,
    '',
    `| | |`,
    `|---|---:|`,
    `| MACs per inference | ${n(r.macs)} |`,
    `| Flash: model array | ${n(r.flash_bytes)} B |`,
    `| of which weights | ${n(r.weight_bytes)} B |`,
    `| Tensor arena (estimate) | ${n(r.arena_bytes)} B |`,
    `| Arena lower bound | ${n(r.arena_lower_bound_bytes)} B |`,
    `| Runs in TensorFlow Lite Micro | ${r.tflm_compatible ? 'yes' : 'no'} |`,
    '',
    `Arena = ${n(r.arena.plannedBytes)} B of planned activations + ${n(r.arena.overheadBytes)} B of TFLM bookkeeping. Assumptions: ${r.arena.assumptions.join('; ')}.`,
    'Flash for the program adds the TFLM interpreter and the kernels of the ops below (typically tens of kB with reference kernels).',
    '',
    `Ops (register these, see the _ops.h file): ${r.ops.join(', ')}`,
    '',
    '## Findings',
    '',
    ...(r.findings.length ? r.findings.map((f) => `- **${f.severity}** ${f.message} Fix: ${f.fix}`) : ['- none']),
    '',
    '## Per operator',
    '',
    '| # | op | MACs | weights (flash) | output (RAM) | output shape |',
    '|---:|---|---:|---:|---:|---|',
    ...r.layers.map((l) => `| ${l.index} | ${l.op} v${l.version} | ${n(l.macs)} | ${n(l.weightBytes)} B | ${n(l.activationBytes)} B | [${l.outputShape.join(', ')}] |`),
    '',
  ];
  return lines.join('\n');
}

export interface DeployResult {
  report: DeployReport;
  files: string[];
}

/** Analyses `modelPath` and writes the five deploy files into `outDir`. */
export async function deployModel(modelPath: string, outDir: string): Promise<DeployResult> {
  const bytes = readModelFile(modelPath);
  const report = analyzeDeploy(modelPath, bytes);
  const stem = path.basename(modelPath).replace(/\.tflite$/i, '');
  const g = readTflite(bytes, modelPath);
  const c = modelCFiles(stem, bytes, g, report.ops);
  const files: [string, string][] = [
    [`${stem}_model_data.cc`, c.cc],
    [`${stem}_model_data.h`, c.h],
    [`${stem}_ops.h`, c.opsH],
  ];
  report.files = [...files.map(([f]) => f), `${stem}_deploy.json`, `${stem}_deploy.md`];
  files.push([`${stem}_deploy.json`, `${JSON.stringify(report, null, 2)}\n`], [`${stem}_deploy.md`, markdown(report)]);
  const written: string[] = [];
  for (const [name, text] of files) {
    const p = path.join(outDir, name);
    await writeFileAtomic(p, text);
    written.push(p);
  }
  return { report, files: written };
}
