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
import { estimateCode, type CodeEstimate } from './kernelCode';
import { estimateLatencyMs, type LatencyRange } from './latency';
import { TARGETS, findTarget, type TargetPreset } from './targets';

/** A .tflite larger than this is no microcontroller model (and would be a huge C file). */
export const MAX_DEPLOY_BYTES = 256 * 1024 * 1024;

export interface DeployReport {
  model: string;
  model_bytes: number;
  macs: number;
  /** Flash a program needs: the model array + the estimated TFLM code (code). */
  flash_bytes: number;
  /** The TFLM runtime and the kernels of the ops used, as measured on the host build (see code.basis). */
  code: CodeEstimate;
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
  /** Per target preset: Σ MACs × cycles/MAC ÷ clock, fast and slow end (docs/targets.md). */
  latency_ms: Record<string, LatencyRange>;
  /** Per target preset: does the file fit its flash and RAM, and does it run there at all. */
  targets: Record<string, TargetFit>;
  /** The target chosen with --target / deploy.target, or null. */
  target: string | null;
  files: string[];
}

export interface TargetFit {
  label: string;
  kind: 'mcu' | 'phone';
  latency_ms: LatencyRange;
  flash_budget_bytes: number | null;
  ram_budget_bytes: number | null;
  /** null where the target has no budget (a phone). */
  fits_flash: boolean | null;
  fits_ram: boolean | null;
  /** A microcontroller runs the file only when TFLM does; a phone runs any .tflite. */
  runs: boolean;
  /** Latency budget met (deploy.maxLatencyMs: the slow end of the estimate is within it), or null without a budget. */
  meets_latency: boolean | null;
  /** Runs, fits flash and RAM, and meets the latency budget. */
  ok: boolean;
}

export interface DeployOptions {
  /** A preset name (TARGET_NAMES); its fit becomes findings. */
  target?: string | null;
  /** Latency budget in ms for the chosen target (and every target's meets_latency). */
  maxLatencyMs?: number | null;
}

/** How a file fits one target: flash = the model array, RAM = the arena estimate. */
export function targetFit(t: TargetPreset, r: Pick<DeployReport, 'flash_bytes' | 'arena_bytes' | 'tflm_compatible'>, latency: LatencyRange, maxLatencyMs: number | null): TargetFit {
  const flash = t.flashBytes?.value ?? null;
  const ram = t.ramBytes?.value ?? null;
  const fitsFlash = flash === null ? null : r.flash_bytes <= flash;
  const fitsRam = ram === null ? null : r.arena_bytes <= ram;
  const runs = t.kind === 'phone' || r.tflm_compatible;
  const meets = maxLatencyMs === null ? null : latency.high <= maxLatencyMs;
  return {
    label: t.label,
    kind: t.kind,
    latency_ms: latency,
    flash_budget_bytes: flash,
    ram_budget_bytes: ram,
    fits_flash: fitsFlash,
    fits_ram: fitsRam,
    runs,
    meets_latency: meets,
    ok: runs && fitsFlash !== false && fitsRam !== false && meets !== false,
  };
}

function targetFindings(name: string, f: TargetFit, r: Pick<DeployReport, 'flash_bytes' | 'model_bytes' | 'arena_bytes'>, maxLatencyMs: number | null): Finding[] {
  const n = (x: number): string => x.toLocaleString('en-US');
  const out: Finding[] = [];
  if (f.fits_flash === false) {
    out.push({
      severity: 'warning',
      code: 'exceeds-target-flash',
      message: `The model array and TFLM's code (${n(r.model_bytes)} + ${n(r.flash_bytes - r.model_bytes)} B estimated) do not fit ${f.label}'s flash (${n(f.flash_budget_bytes!)} B).`,
      fix: 'Deploy a smaller file: full-int8 (4× smaller than float32), more pruning with a compressed format, or a target with more flash.',
    });
  }
  if (f.fits_ram === false) {
    out.push({
      severity: 'warning',
      code: 'exceeds-target-ram',
      message: `The tensor arena (${n(r.arena_bytes)} B estimated) does not fit ${f.label}'s RAM (${n(f.ram_budget_bytes!)} B).`,
      fix: 'Use the full-int8 file (int8 activations, no dequantized weights in RAM), smaller layers, or a target with more RAM.',
    });
  }
  if (!f.runs) {
    out.push({
      severity: 'warning',
      code: 'target-cannot-run',
      message: `${f.label} runs TensorFlow Lite Micro, which refuses this file (see the findings above).`,
      fix: 'Deploy the full-int8 or float32 file.',
    });
  }
  if (f.meets_latency === false) {
    out.push({
      severity: 'warning',
      code: 'exceeds-latency-budget',
      message: `Estimated ${f.latency_ms.low.toFixed(2)}–${f.latency_ms.high.toFixed(2)} ms per inference on ${f.label}: the slow end is over the ${maxLatencyMs} ms budget (deploy.maxLatencyMs).`,
      fix: 'Use the int8 file (CMSIS-NN / ESP-NN kernels), prune channels, or choose a faster target.',
    });
  }
  return out.map((x) => ({ ...x, message: `[${name}] ${x.message}` }));
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

export function analyzeDeploy(file: string, bytes: Uint8Array, opts: DeployOptions = {}): DeployReport {
  const chosen = opts.target ?? null;
  if (chosen !== null && !findTarget(chosen)) {
    throw new BadInputError(`Unknown deploy target "${chosen}". Pick one of: ${TARGETS.map((t) => t.name).join(', ')} (docs/targets.md).`);
  }
  const maxLatencyMs = opts.maxLatencyMs ?? null;
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
  const compatible = tflmCompatible(findings);
  const ops = opNames(g);
  const code = estimateCode(ops);
  const flash = bytes.length + code.totalBytes;
  const latency: Record<string, LatencyRange> = {};
  const targets: Record<string, TargetFit> = {};
  for (const t of TARGETS) {
    latency[t.name] = estimateLatencyMs(cost.layers, t);
    targets[t.name] = targetFit(t, { flash_bytes: flash, arena_bytes: arena.estimateBytes, tflm_compatible: compatible }, latency[t.name], maxLatencyMs);
  }
  if (chosen !== null) {
    findings.push(...targetFindings(chosen, targets[chosen], { flash_bytes: flash, model_bytes: bytes.length, arena_bytes: arena.estimateBytes }, maxLatencyMs));
  }
  return {
    model: path.basename(file),
    model_bytes: bytes.length,
    macs: cost.macs,
    flash_bytes: flash,
    code,
    weight_bytes: cost.weightBytes,
    arena_bytes: arena.estimateBytes,
    arena_lower_bound_bytes: arena.lowerBoundBytes,
    arena: { ...arenaRest, peak_operator: plan.peakScope - 1 },
    ops,
    tflm_compatible: compatible,
    findings,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
    layers: cost.layers,
    latency_ms: latency,
    targets,
    target: chosen,
    files: [],
  };
}

/** Milliseconds with three significant digits (0.0123, 1.23, 123). */
export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3);
}

function markdown(r: DeployReport): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = [
    `# Deploy report: ${r.model}`,
    '',
    `| | |`,
    `|---|---:|`,
    `| MACs per inference | ${n(r.macs)} |`,
    `| Flash (model array + TFLM code, estimated) | ${n(r.flash_bytes)} B |`,
    `| model array | ${n(r.model_bytes)} B |`,
    `| of which weights | ${n(r.weight_bytes)} B |`,
    `| TFLM runtime + kernels of these ops | ${n(r.code.totalBytes)} B |`,
    `| Tensor arena (estimate) | ${n(r.arena_bytes)} B |`,
    `| Arena lower bound | ${n(r.arena_lower_bound_bytes)} B |`,
    `| Runs in TensorFlow Lite Micro | ${r.tflm_compatible ? 'yes' : 'no'} |`,
    '',
    `Arena = ${n(r.arena.plannedBytes)} B of planned activations + ${n(r.arena.overheadBytes)} B of TFLM bookkeeping. Assumptions: ${r.arena.assumptions.join('; ')}.`,
    `Code estimate: runtime core ${n(r.code.coreBytes)} B + kernels ${r.code.kernels.map((k) => `${k.op} ${n(k.bytes)} B`).join(', ')}${r.code.unmeasured.length ? ` (not measured: ${r.code.unmeasured.join(', ')})` : ''}. Measured on the ${r.code.basis}; a Cortex-M build (Thumb-2, -Os) is smaller, and optimized kernels (CMSIS-NN, ESP-NN) add their own code. Your application comes on top.`,
    '',
    `Ops (register these, see the _ops.h file): ${r.ops.join(', ')}`,
    '',
    '## Targets',
    '',
    'Latency = Σ MACs × cycles/MAC ÷ clock per operator, from the fast end (optimized kernels: CMSIS-NN, ESP-NN, XNNPACK) to the slow end (plain reference kernels) of each preset\'s published figures (docs/targets.md). Flash = the model array + the estimated TFLM code; RAM = the arena estimate.',
    '',
    '| Target | Latency (ms) | Flash | RAM | Runs | Verdict |',
    '|---|---:|---|---|---|---|',
    ...Object.entries(r.targets).map(([name, t]) => {
      const mark = name === r.target ? ' **(chosen)**' : '';
      const budget = (need: number, have: number | null, fits: boolean | null): string => (have === null ? 'no limit' : `${fits ? 'fits' : '**does not fit**'} (${n(need)} / ${n(have)} B)`);
      return `| ${t.label}${mark} | ${fmtMs(t.latency_ms.low)}–${fmtMs(t.latency_ms.high)} | ${budget(r.flash_bytes, t.flash_budget_bytes, t.fits_flash)} | ${budget(r.arena_bytes, t.ram_budget_bytes, t.fits_ram)} | ${t.runs ? 'yes' : 'no (TFLM refuses)'} | ${t.ok ? 'ok' : 'no'}${t.meets_latency === false ? ' (over latency budget)' : ''} |`;
    }),
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
export async function deployModel(modelPath: string, outDir: string, opts: DeployOptions = {}): Promise<DeployResult> {
  const bytes = readModelFile(modelPath);
  const report = analyzeDeploy(modelPath, bytes, opts);
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
