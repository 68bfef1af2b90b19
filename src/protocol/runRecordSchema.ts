/**
 * The run record's shape as data, and a checker driven by it — the same approach as the
 * config (one declarative tree, src/engine/config/spec.ts): `<out>/runs/*.json` is read by the
 * extension (also in Restricted Mode, from folders nobody vetted) and drawn by the panel, so
 * a record is checked all the way down before it is used. A bad record is skipped and
 * reported with where it is wrong; the others are shown. No imports: every bundle can use it.
 */
import type { RunRecord } from './engine';

type Schema =
  | { t: 'string'; max?: number }
  | { t: 'number'; nullable?: boolean }
  | { t: 'int'; min?: number }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'array'; of: Schema; max?: number }
  | { t: 'record'; of: Schema }
  | { t: 'object'; fields: Record<string, Schema>; optional?: readonly string[] }
  | { t: 'relpath' }
  | { t: 'any-object' }
  | { t: 'oneOf'; options: Schema[] };

const str: Schema = { t: 'string', max: 100_000 };
const num: Schema = { t: 'number' };
/** Metrics may be NaN in the run (JSON writes null), e.g. val_loss without a validation split. */
const metric: Schema = { t: 'number', nullable: true };
const int0: Schema = { t: 'int', min: 0 };
const optNum: Schema = { t: 'number', nullable: true };
const JOBS = ['train', 'prune', 'quantize', 'evaluate', 'pipeline', 'sweep', 'sensitivity', 'qat', 'cluster'] as const;
const STAGES = ['train', 'prune', 'export', 'evaluate', 'sensitivity', 'qat', 'cluster'] as const;
const ARTIFACTS = ['tfjs', 'tfjs-quantized', 'keras-h5', 'tflite', 'run-record', 'tensorboard', 'report'] as const;
const FORMATS = ['tfjs', 'tfjs-quantized', 'keras-h5', 'tflite'] as const;
const MANY = 1_000_000;

const reportRow: Schema = {
  t: 'object',
  fields: {
    model: str,
    format: { t: 'enum', values: FORMATS },
    variant: str,
    path: str,
    bytes: int0,
    gzipBytes: int0,
    params: int0,
    nonzeros: int0,
    layers: { t: 'array', of: { t: 'object', fields: { name: str, sparsity: metric } }, max: MANY },
    accuracy: optNum,
    accuracyDelta: optNum,
    runtime: str,
    latencyUs: optNum,
    batchLatencyMs: optNum,
    otherRuntimes: {
      t: 'array',
      max: 16,
      of: {
        t: 'object',
        fields: { runtime: str, accuracy: optNum, latencyUs: optNum, batchLatencyMs: optNum, agreement: optNum, unavailable: str },
        optional: ['unavailable'],
      },
    },
    targetSparsity: num,
    technique: { t: 'enum', values: ['qat', 'clustered'] },
    input: { t: 'enum', values: ['raw', 'normalized'] },
  },
  optional: ['targetSparsity', 'technique', 'batchLatencyMs', 'otherRuntimes', 'input'],
};

const nums: Schema = { t: 'array', of: num, max: MANY };
const errorStats: Schema = { t: 'object', fields: { rmse: num, maxAbs: num, cosine: num, rmseSteps: num } };
/** What the panel draws of a sensitivity analysis (the rest of sensitivity.json is not shown). */
const sensitivity: Schema = {
  t: 'object',
  fields: {
    model: str,
    baselineAccuracy: num,
    sparsities: nums,
    prune: { t: 'array', max: MANY, of: { t: 'object', fields: { layer: str, className: str, weights: int0, accuracy: nums, drop: nums } } },
    float32Accuracy: optNum,
    fullInt8Accuracy: optNum,
    quant: {
      t: 'array',
      max: MANY,
      of: {
        t: 'object',
        fields: { layer: str, className: str, ops: { t: 'array', of: str, max: MANY }, own: errorStats, accumulated: errorStats, int8OnlyAccuracy: optNum, int8OnlyDrop: optNum },
      },
    },
    suggestion: { t: 'object', fields: { targetSparsity: num, achievedSparsity: num, layers: { t: 'record', of: num }, config: str } },
    nm: { t: 'array', max: MANY, of: { t: 'object', fields: { layer: str, weight: str, groupsOk: num, satisfies: { t: 'bool' } } } },
    nmNote: str,
  },
  optional: ['suggestion'],
};

const epochRecord: Schema = {
  t: 'object',
  fields: { epoch: int0, step: int0, durationMs: num, loss: metric, accuracy: metric, valLoss: metric, valAccuracy: metric, sparsity: { t: 'record', of: metric } },
  optional: ['sparsity'],
};

const RUN_RECORD: Schema = {
  t: 'object',
  fields: {
    version: { t: 'enum', values: ['1'] },
    runId: { t: 'string', max: 200 },
    job: { t: 'enum', values: JOBS },
    status: { t: 'enum', values: ['running', 'done', 'failed', 'cancelled'] },
    startedAt: { t: 'string', max: 100 },
    finishedAt: { t: 'string', max: 100 },
    durationMs: num,
    pid: { t: 'int', min: 1 },
    runDir: { t: 'relpath' },
    config: { t: 'any-object' },
    backend: { t: 'object', fields: { tfjs: str, trainer: str, requested: str, detail: str }, optional: ['detail'] },
    dataset: {
      t: 'object',
      fields: { name: str, train: int0, validation: int0, test: int0, shape: { t: 'array', of: int0, max: 16 }, classNames: { t: 'array', of: str, max: MANY }, normalization: { t: 'any-object' }, dtype: str, exportedInput: str },
      optional: ['shape', 'classNames', 'normalization', 'dtype', 'exportedInput'],
    },
    stages: {
      t: 'array',
      max: MANY,
      of: {
        t: 'object',
        fields: {
          stage: { t: 'enum', values: STAGES },
          model: str,
          epochs: { t: 'array', of: epochRecord, max: MANY },
          testAccuracy: metric,
          testLoss: metric,
          durationMs: num,
          pruning: { t: 'any-object' },
        },
        optional: ['testAccuracy', 'testLoss', 'pruning'],
      },
    },
    artifacts: { t: 'array', max: MANY, of: { t: 'object', fields: { kind: { t: 'enum', values: ARTIFACTS }, model: str, path: { t: 'relpath' }, bytes: int0 } } },
    report: { t: 'array', of: reportRow, max: MANY },
    warnings: { t: 'array', max: MANY, of: { t: 'object', fields: { code: str, message: str } } },
    error: { t: 'object', fields: { code: str, message: str, where: str }, optional: ['where'] },
    timings: { t: 'record', of: num },
    sweep: {
      t: 'object',
      fields: {
        complete: { t: 'bool' },
        rows: { t: 'array', max: MANY, of: { t: 'any-object' } },
        recommended: { t: 'oneOf', options: [str, { t: 'number', nullable: true }] },
        recommendation: str,
      },
    },
    sensitivity,
    host: { t: 'object', fields: { node: str, platform: str, cpu: str, cores: int0 } },
  },
  optional: ['pid', 'runDir', 'error', 'sweep', 'sensitivity', 'timings', 'host', 'finishedAt', 'durationMs', 'dataset', 'backend', 'config'],
};

export interface RecordProblem {
  where: string;
  message: string;
}

function check(s: Schema, v: unknown, where: string, out: RecordProblem[]): void {
  if (out.length >= 5) {
    return; // enough to explain why it is skipped
  }
  const bad = (message: string): void => void out.push({ where: where || '(record)', message });
  switch (s.t) {
    case 'string':
      if (typeof v !== 'string') {
        bad('must be a string');
      } else if (s.max !== undefined && v.length > s.max) {
        bad(`is longer than ${s.max} characters`);
      }
      return;
    case 'number':
      if (!(typeof v === 'number' && Number.isFinite(v)) && !(s.nullable && v === null)) {
        bad(s.nullable ? 'must be a number or null' : 'must be a finite number');
      }
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || (s.min !== undefined && v < s.min)) {
        bad(`must be an integer${s.min !== undefined ? ` ≥ ${s.min}` : ''}`);
      }
      return;
    case 'bool':
      if (typeof v !== 'boolean') {
        bad('must be true or false');
      }
      return;
    case 'enum':
      if (!s.values.includes(String(v)) || (typeof v !== 'string' && typeof v !== 'number')) {
        bad(`must be one of ${s.values.join(', ')}`);
      }
      return;
    case 'relpath':
      if (typeof v !== 'string' || v === '' || v.startsWith('/') || /^[A-Za-z]:/.test(v) || v.split(/[\\/]/).includes('..')) {
        bad('must be a path inside the output folder');
      }
      return;
    case 'any-object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        bad('must be an object');
      }
      return;
    case 'oneOf':
      if (!s.options.some((o) => {
        const p: RecordProblem[] = [];
        check(o, v, where, p);
        return p.length === 0;
      })) {
        bad('has the wrong type');
      }
      return;
    case 'array':
      if (!Array.isArray(v)) {
        bad('must be a list');
        return;
      }
      if (s.max !== undefined && v.length > s.max) {
        bad(`has more than ${s.max} entries`);
        return;
      }
      v.forEach((x, i) => check(s.of, x, `${where}[${i}]`, out));
      return;
    case 'record':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        bad('must be an object');
        return;
      }
      for (const [k, x] of Object.entries(v)) {
        check(s.of, x, where ? `${where}.${k}` : k, out);
      }
      return;
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        bad('must be an object');
        return;
      }
      const o = v as Record<string, unknown>;
      for (const [k, fs] of Object.entries(s.fields)) {
        const w = where ? `${where}.${k}` : k;
        if (o[k] === undefined) {
          if (!s.optional?.includes(k) && out.length < 5) {
            out.push({ where: w, message: 'is missing' });
          }
          continue;
        }
        check(fs, o[k], w, out);
      }
      return;
    }
  }
}

/** The problems of a parsed run record (empty: it can be shown). */
export function runRecordProblems(v: unknown): RecordProblem[] {
  const out: RecordProblem[] = [];
  // version is the number 1; the enum compares it as text.
  if (typeof v === 'object' && v !== null && (v as { version?: unknown }).version !== 1) {
    return [{ where: 'version', message: 'must be 1 (a run record of this version of Model Optimizer)' }];
  }
  check(RUN_RECORD, v, '', out);
  return out;
}

export function isValidRunRecord(v: unknown): v is RunRecord {
  return runRecordProblems(v).length === 0;
}
