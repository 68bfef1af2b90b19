/**
 * The deploy card the metrics panel shows for one `.tflite` (Model Optimizer: Deploy), and the
 * parser that builds it from the deploy report JSON (`model-optimizer deploy --json`, the
 * engine's DeployReport). The JSON crosses a process boundary, so every field is checked; a
 * report that does not have the expected shape is refused (null), never half-shown.
 */

export interface DeployCardTarget {
  name: string;
  label: string;
  kind: 'mcu' | 'phone';
  latencyMs: { low: number; high: number };
  flashBudgetBytes: number | null;
  ramBudgetBytes: number | null;
  fitsFlash: boolean | null;
  fitsRam: boolean | null;
  /** A microcontroller runs the file only when TFLM does. */
  runs: boolean;
  ok: boolean;
}

export interface DeployCardLayer {
  index: number;
  op: string;
  macs: number;
  /** Constant inputs (weights, biases) as stored: flash. */
  weightBytes: number;
  /** Output tensors: RAM while they live. */
  activationBytes: number;
  outputShape: number[];
}

export interface DeployCardFinding {
  severity: 'error' | 'warning' | 'info';
  message: string;
  fix: string;
}

export interface DeployCard {
  /** Absolute path of the analysed .tflite (the card's identity). */
  file: string;
  /** Its file name. */
  model: string;
  macs: number;
  flashBytes: number;
  arenaBytes: number;
  arenaLowerBoundBytes: number;
  tflmCompatible: boolean;
  ops: string[];
  findings: DeployCardFinding[];
  layers: DeployCardLayer[];
  targets: DeployCardTarget[];
  /** The target from --target / deploy.target (preselected in the card), or null. */
  target: string | null;
  /** The files `deploy` wrote (absolute paths). */
  written: string[];
}

/** More layers than this are cut from the card (the .md report has them all). */
export const MAX_CARD_LAYERS = 2000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const boolOrNull = (v: unknown): v is boolean | null => v === null || typeof v === 'boolean';
const numOrNull = (v: unknown): v is number | null => v === null || num(v);

function target(name: string, v: unknown): DeployCardTarget | null {
  if (!isObj(v) || !str(v.label, 100) || (v.kind !== 'mcu' && v.kind !== 'phone') || !isObj(v.latency_ms)) {
    return null;
  }
  const l = v.latency_ms;
  if (!num(l.low) || !num(l.high) || !numOrNull(v.flash_budget_bytes) || !numOrNull(v.ram_budget_bytes) || !boolOrNull(v.fits_flash) || !boolOrNull(v.fits_ram)) {
    return null;
  }
  if (typeof v.runs !== 'boolean' || typeof v.ok !== 'boolean') {
    return null;
  }
  return {
    name,
    label: v.label,
    kind: v.kind,
    latencyMs: { low: l.low, high: l.high },
    flashBudgetBytes: v.flash_budget_bytes,
    ramBudgetBytes: v.ram_budget_bytes,
    fitsFlash: v.fits_flash,
    fitsRam: v.fits_ram,
    runs: v.runs,
    ok: v.ok,
  };
}

function layer(v: unknown): DeployCardLayer | null {
  if (!isObj(v) || !num(v.index) || !str(v.op, 100) || !num(v.macs) || !num(v.weightBytes) || !num(v.activationBytes)) {
    return null;
  }
  if (!Array.isArray(v.outputShape) || v.outputShape.length > 8 || !v.outputShape.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    return null;
  }
  return { index: v.index, op: v.op, macs: v.macs, weightBytes: v.weightBytes, activationBytes: v.activationBytes, outputShape: v.outputShape as number[] };
}

function finding(v: unknown): DeployCardFinding | null {
  if (!isObj(v) || (v.severity !== 'error' && v.severity !== 'warning' && v.severity !== 'info') || !str(v.message) || !str(v.fix)) {
    return null;
  }
  return { severity: v.severity, message: v.message, fix: v.fix };
}

function all<T>(xs: unknown, f: (x: unknown) => T | null, max: number): T[] | null {
  if (!Array.isArray(xs) || xs.length > max) {
    return null;
  }
  const out = xs.map(f);
  return out.every((x): x is T => x !== null) ? out : null;
}

/** The card for `file` from a parsed deploy report, or null when the report is not one. */
export function deployCardFromReport(file: string, report: unknown, written: string[]): DeployCard | null {
  if (!isObj(report) || !str(report.model, 1000) || !num(report.macs) || !num(report.flash_bytes) || !num(report.arena_bytes) || !num(report.arena_lower_bound_bytes)) {
    return null;
  }
  if (typeof report.tflm_compatible !== 'boolean' || !isObj(report.targets) || !(report.target === null || str(report.target, 100))) {
    return null;
  }
  const ops = all(report.ops, (x) => (str(x, 100) ? x : null), 500);
  const findings = all(report.findings, finding, 500);
  const layers = Array.isArray(report.layers) ? all(report.layers.slice(0, MAX_CARD_LAYERS), layer, MAX_CARD_LAYERS) : null;
  const targets = Object.entries(report.targets).map(([name, t]) => target(name, t));
  if (!ops || !findings || !layers || targets.length > 50 || !targets.every((t): t is DeployCardTarget => t !== null)) {
    return null;
  }
  if (report.target !== null && !targets.some((t) => t.name === report.target)) {
    return null;
  }
  return {
    file,
    model: report.model,
    macs: report.macs,
    flashBytes: report.flash_bytes,
    arenaBytes: report.arena_bytes,
    arenaLowerBoundBytes: report.arena_lower_bound_bytes,
    tflmCompatible: report.tflm_compatible,
    ops,
    findings,
    layers,
    targets,
    target: report.target,
    written,
  };
}

/** The rows of a card's per-layer table, largest first by MACs or by memory (weights + output); ties keep operator order. */
export function sortLayers(layers: readonly DeployCardLayer[], by: 'macs' | 'memory' | 'index'): DeployCardLayer[] {
  const key = (l: DeployCardLayer): number => (by === 'macs' ? l.macs : by === 'memory' ? l.weightBytes + l.activationBytes : -l.index);
  return layers.map((l) => l).sort((a, b) => key(b) - key(a) || a.index - b.index);
}
