/**
 * `resolveConfig`: deep-merges a user's partial config over DEFAULT_CONFIG and checks every
 * field against CONFIG_SPEC, then the rules that span fields. Every problem is collected; then one
 * ConfigError (a BadInputError) is thrown. Each problem has a `where` naming the file and the field
 * ('model-optimizer.json: train.epochs') and a message saying what was found and how to fix it.
 * The error's `where` is the first problem's (in the order of the fields in the user's document);
 * its message is that problem's message when there is one, else a list with one problem a line.
 */
import { DEFAULT_CONFIG } from '../../protocol/config';
import type { DataConfig, RunConfig } from '../../protocol/config';
import { CLASS_NAME_LIMITS, classNamesProblem } from '../data/classNames';
import { BadInputError } from '../errors';
import { CONFIG_SPEC } from './spec';
import type { ObjectSpec, Spec, TaggedSpec } from './spec';

type Json = unknown;

export interface ConfigProblem {
  /** 'model-optimizer.json: train.epochs' (or just the source for the config as a whole). */
  where: string;
  message: string;
}

/** Every problem of a config at once; `where` and the problem list's first entry agree. */
export class ConfigError extends BadInputError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      problems.length === 1
        ? problems[0].message
        : [`${problems.length} problems in the configuration:`, ...problems.map((p) => `- ${p.where}: ${p.message}`)].join('\n'),
      problems[0].where,
    );
  }
}

/** What a config is resolved for. */
export interface ResolveOptions {
  /**
   * The run works on a model file (--model): its layer names are not the reference MLP's, so
   * prune.layers / sweep.layers names are checked against the file's graph when the job starts
   * (selectPruneTargets), not here.
   */
  modelFile?: boolean;
}

export function resolveConfig(partial: unknown, source = 'config', opts: ResolveOptions = {}): RunConfig {
  const doc = partial ?? {};
  const v = new Validator(source);
  const merged = v.merge(CONFIG_SPEC, doc, DEFAULT_CONFIG, '') as RunConfig;
  crossCheck(merged, v, opts);
  if (v.problems.length > 0) {
    throw new ConfigError(v.sorted(doc));
  }
  return merged;
}

/** A sweep point's sparsity in percent for file names: 0.5 → "50", 0.875 → "87_5", 0.9999 → "99_99". */
export function sparsityLabel(s: number): string {
  return String(Number((s * 100).toFixed(2))).replace('.', '_');
}

/** Layer names as Keras gives them to a Sequential of Dense layers: dense, dense_1, … */
export function kerasDenseNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'dense' : `dense_${i}`));
}

/** A problem as found: `path` is the field path inside the config ('' = the config itself). */
interface Found {
  path: string;
  message: string;
}

class Validator {
  readonly problems: Found[] = [];

  constructor(private readonly source: string) {}

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** True when a problem was recorded at one of these paths or inside it. */
  hasProblem(...paths: string[]): boolean {
    return this.problems.some((p) => paths.some((q) => p.path === q || p.path.startsWith(`${q}.`) || p.path.startsWith(`${q}[`)));
  }

  /** Runs `fn` and tells whether it recorded no problem; a failed attempt's problems are dropped. */
  attempt(fn: () => Json): { ok: boolean; value: Json } {
    const before = this.problems.length;
    const value = fn();
    const ok = this.problems.length === before;
    this.problems.length = before;
    return { ok, value };
  }

  /**
   * The problems in the order of their fields in the user's document (a depth-first walk of it);
   * a field absent from the document (e.g. a missing data path) comes after its parent's fields.
   */
  sorted(doc: Json): ConfigProblem[] {
    const span = new Map<string, [number, number]>();
    let n = 0;
    const walk = (v: Json, path: string): void => {
      const start = n++;
      if (Array.isArray(v)) {
        v.forEach((item, i) => walk(item, `${path}[${i}]`));
      } else if (isPlainObject(v)) {
        for (const [k, item] of Object.entries(v)) {
          walk(item, join(path, k));
        }
      }
      if (!span.has(path)) {
        span.set(path, [start, n]);
      }
    };
    walk(doc, '');
    const position = (path: string): number => {
      const own = span.get(path);
      if (own) {
        return own[0];
      }
      for (let p = path; p; ) {
        const parentPath = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
        p = parentPath === p ? '' : parentPath;
        const parent = span.get(p);
        if (parent) {
          return parent[1] - 0.5;
        }
      }
      return Infinity;
    };
    return this.problems
      .map((p, i) => ({ p, i, at: position(p.path) }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map(({ p }) => ({ where: p.path ? `${this.source}: ${p.path}` : this.source, message: p.message }));
  }

  /** Records that `value` does not fit `spec` and returns the default to go on with. */
  bad(path: string, spec: Spec, value: Json, dflt: Json): Json {
    if (!path) {
      this.fail(path, `The config must be a JSON object such as { "train": { "epochs": 5 } }, but it is ${fmt(value)}. Write an object with the settings to change (or {} for all defaults).`);
      return clone(dflt);
    }
    const shown = path;
    const fix =
      dflt === undefined
        ? `Set it to ${describe(spec)}.`
        : `Set it to ${describe(spec)} (the default is ${fmt(dflt)}), or remove "${lastKey(path)}" to use the default.`;
    this.fail(path, `${shown} must be ${describe(spec)}, but it is ${fmt(value)}. ${fix}`);
    return clone(dflt);
  }

  merge(spec: Spec, value: Json, dflt: Json, path: string): Json {
    if (value === undefined) {
      return clone(dflt);
    }
    switch (spec.kind) {
      case 'object':
        return this.mergeObject(spec, value, dflt, path);
      case 'tagged':
        return this.mergeTagged(spec, value, dflt, path);
      case 'oneOf':
        return this.mergeOneOf(spec, value, dflt, path);
      case 'array': {
        if (!Array.isArray(value)) {
          return this.bad(path, spec, value, dflt);
        }
        if (spec.minItems !== undefined && value.length < spec.minItems) {
          this.fail(path, `${path} must have at least ${spec.minItems} item(s), but it is ${fmt(value)}. Add an item, or remove "${lastKey(path)}" to use the default (${fmt(dflt)}).`);
          return clone(dflt);
        }
        const before = this.problems.length;
        const out = value.map((item, i) => this.merge(spec.items, item, undefined, `${path}[${i}]`));
        if (this.problems.length > before) {
          return clone(dflt);
        }
        if (spec.unique) {
          const seen = new Set<string>();
          out.forEach((item, i) => {
            const key = JSON.stringify(item);
            if (seen.has(key)) {
              this.fail(`${path}[${i}]`, `${path}[${i}] repeats ${fmt(item)}, which is already in the list. Remove the duplicate.`);
            }
            seen.add(key);
          });
          if (this.problems.length > before) {
            return clone(dflt);
          }
        }
        return out;
      }
      case 'record': {
        if (!isPlainObject(value) || Object.keys(value).length < (spec.minItems ?? 0)) {
          return this.bad(path, spec, value, dflt);
        }
        const before = this.problems.length;
        const out: Record<string, Json> = {};
        for (const [k, item] of Object.entries(value)) {
          out[k] = this.merge(spec.values, item, undefined, join(path, k));
        }
        return this.problems.length > before ? clone(dflt) : out;
      }
      case 'layerList': {
        if (!Array.isArray(value) || value.length === 0) {
          return this.bad(path, spec, value, dflt);
        }
        const before = this.problems.length;
        value.forEach((item, i) => {
          if (!isPlainObject(item) || typeof item.type !== 'string') {
            this.fail(`${path}[${i}]`, `${path}[${i}] must be a layer object with a "type" (one of ${spec.types.join(', ')}), but it is ${fmt(item)}.`);
          }
        });
        return this.problems.length > before ? clone(dflt) : clone(value);
      }
      case 'tuple': {
        if (!Array.isArray(value) || value.length !== spec.items.length) {
          return this.bad(path, spec, value, dflt);
        }
        const before = this.problems.length;
        const out = value.map((item, i) => this.merge(spec.items[i], item, undefined, `${path}[${i}]`));
        return this.problems.length > before ? clone(dflt) : out;
      }
      default:
        if (!checkLeaf(spec, value)) {
          return this.bad(path, spec, value, dflt);
        }
        return value;
    }
  }

  private mergeObject(spec: ObjectSpec, value: Json, dflt: Json, path: string): Json {
    if (!isPlainObject(value)) {
      return this.bad(path, spec, value, dflt);
    }
    const base = (isPlainObject(dflt) ? dflt : {});
    const known = Object.keys(spec.fields);
    // Checked in the document's order, so the problems come out in that order.
    const merged: Record<string, Json> = {};
    for (const key of Object.keys(value)) {
      if (key in spec.fields) {
        merged[key] = this.merge(spec.fields[key], value[key], base[key], join(path, key));
      } else {
        const where = join(path, key);
        const guess = didYouMean(key, known);
        const hint = guess ? ` Did you mean "${join(path, guess)}"?` : '';
        this.fail(where, `Unknown setting "${where}".${hint} Known settings${path ? ` in ${path}` : ''}: ${known.join(', ')}. Rename or remove it.`);
      }
    }
    const out: Record<string, Json> = {};
    for (const key of known) {
      const m = key in merged ? merged[key] : this.merge(spec.fields[key], undefined, base[key], join(path, key));
      if (m !== undefined) {
        out[key] = m;
      } else if (value[key] === undefined && !spec.optional?.includes(key)) {
        this.fail(join(path, key), `${join(path, key)} is missing. Set it to ${describe(spec.fields[key])}.`);
      }
    }
    return out;
  }

  private mergeTagged(spec: TaggedSpec, value: Json, dflt: Json, path: string): Json {
    if (!isPlainObject(value)) {
      return this.bad(path, spec, value, dflt);
    }
    const base = (isPlainObject(dflt) ? dflt : {});
    const names = Object.keys(spec.variants);
    const tag = value[spec.tag] ?? base[spec.tag];
    if (typeof tag !== 'string' || !(tag in spec.variants)) {
      const where = join(path, spec.tag);
      const guess = typeof tag === 'string' ? didYouMean(tag, names) : undefined;
      this.fail(
        where,
        `${where} must be one of ${names.map((n) => `"${n}"`).join(', ')}, but it is ${fmt(tag)}.${guess ? ` Did you mean "${guess}"?` : ''} Fix the kind or remove it to use "${String(base[spec.tag])}".`,
      );
      // The other fields depend on the kind: they are checked once the kind is fixed.
      return clone(dflt);
    }
    // Switching kind starts from that kind's defaults, never a mix of two schedules.
    const variantBase = base[spec.tag] === tag ? base : spec.variantDefaults[tag];
    return this.mergeObject(spec.variants[tag], value, variantBase, path);
  }

  private mergeOneOf(spec: Extract<Spec, { kind: 'oneOf' }>, value: Json, dflt: Json, path: string): Json {
    for (const option of spec.options) {
      const tried = this.attempt(() => this.merge(option, value, undefined, path));
      if (tried.ok) {
        return tried.value;
      }
    }
    // Report the precise inner problem when exactly one option has the value's shape.
    const sameShape = spec.options.filter((o) => shapeOf(o) === jsonShape(value));
    if (sameShape.length === 1 && (shapeOf(sameShape[0]) === 'array')) {
      return this.merge(sameShape[0], value, dflt, path);
    }
    return this.bad(path, spec, value, dflt);
  }
}

/**
 * The rules that span fields. A bad field was replaced by its default, so a rule is skipped when
 * one of its fields already has a problem: it would judge the default, not what the user wrote.
 */
function crossCheck(cfg: RunConfig, v: Validator, opts: ResolveOptions = {}): void {
  const { data, train, prune } = cfg;
  if (!v.hasProblem('data.source')) {
    checkDataPaths(data, v);
  }
  if (!v.hasProblem('data.trainLimit', 'train.validationSplit') && data.trainLimit > 0 && Math.floor(data.trainLimit * (1 - train.validationSplit)) < 1) {
    v.fail('data.trainLimit', `data.trainLimit ${data.trainLimit} leaves no training samples after the validation split of ${train.validationSplit}. Raise data.trainLimit (or use 0 for all samples) or lower train.validationSplit.`);
  }
  const s = prune.schedule;
  const scheduleOk = !v.hasProblem('prune.schedule.kind', 'prune.schedule.beginStep', 'prune.schedule.endStep');
  if (scheduleOk && s.kind === 'polynomial_decay' && typeof s.endStep === 'number' && s.endStep <= s.beginStep) {
    v.fail('prune.schedule.endStep', `prune.schedule.endStep (${s.endStep}) must be greater than prune.schedule.beginStep (${s.beginStep}). Raise endStep, lower beginStep, or set endStep to "auto".`);
  }
  if (scheduleOk && s.kind === 'constant_sparsity' && s.endStep !== -1 && s.endStep < s.beginStep) {
    v.fail('prune.schedule.endStep', `prune.schedule.endStep (${s.endStep}) must be -1 (until the end) or at least prune.schedule.beginStep (${s.beginStep}). Fix one of the two.`);
  }
  // A config-defined model's layers are checked by their kinds when a run starts (checkModelConfig,
  // before any data loads); here only what needs no tfjs: the reference MLP's layer names.
  const names = kerasDenseNames(cfg.model.hidden.length + 1);
  const modelOk = !v.hasProblem('model.hidden') && !cfg.model.layers && !opts.modelFile;
  if (cfg.model.input && !cfg.model.layers && !v.hasProblem('model.input')) {
    v.fail('model.input', 'model.input is set but model.layers is not: the input shape only applies to a model defined by its layers. Add model.layers, or remove model.input to train the reference MLP.');
  }
  if (cfg.model.layers && !cfg.model.input && !v.hasProblem('model.layers')) {
    v.fail('model.input', 'model.layers needs model.input, the per-sample input shape (e.g. [28, 28, 1] for MNIST images, [784] for flat rows).');
  }
  const layerLists = [['prune.layers', Array.isArray(prune.layers) || typeof prune.layers !== 'object' ? prune.layers : Object.keys(prune.layers)], ['sweep.layers', cfg.sweep.layers]] as const;
  for (const [key, layers] of layerLists) {
    if (Array.isArray(layers) && modelOk && !v.hasProblem(key)) {
      layers.forEach((name, i) => {
        if (!names.includes(name)) {
          const guess = didYouMean(name, names);
          const at = Array.isArray(key === 'prune.layers' ? prune.layers : cfg.sweep.layers) ? `${key}[${i}]` : `${key}.${name}`;
          v.fail(at, `${at} is "${name}", which is not a layer of this model.${guess ? ` Did you mean "${guess}"?` : ''} The layers are ${names.map((n) => `"${n}"`).join(', ')}; or use "last" / "all".`);
        }
      });
    }
  }
  // Each point's files are named after its sparsity in percent (pruned_s50): two points must not share a name.
  const seen = new Map<string, number>();
  (v.hasProblem('sweep.sparsities') ? [] : cfg.sweep.sparsities).forEach((s, i) => {
    const label = sparsityLabel(s);
    const prev = seen.get(label);
    if (prev !== undefined) {
      v.fail(`sweep.sparsities[${i}]`, `sweep.sparsities[${i}] (${s}) and sweep.sparsities[${prev}] (${cfg.sweep.sparsities[prev]}) are the same to 0.01 % (both would be pruned_s${label}). Remove one, or make them differ by at least 0.0001.`);
    }
    seen.set(label, i);
  });
  const sens = cfg.sensitivity;
  if (!v.hasProblem('sensitivity.sparsities', 'sensitivity.targetSparsity') && sens.targetSparsity > Math.max(...sens.sparsities)) {
    v.fail(
      'sensitivity.targetSparsity',
      `sensitivity.targetSparsity (${sens.targetSparsity}) is above the largest of sensitivity.sparsities (${Math.max(...sens.sparsities)}): the suggestion can only use sparsities it measured. Add ${sens.targetSparsity} or more to sensitivity.sparsities, or lower the target.`,
    );
  }
  if (prune.sparsityMN && !v.hasProblem('prune.sparsityMN')) {
    const [m, n] = prune.sparsityMN;
    if (m >= n) {
      v.fail('prune.sparsityMN', `prune.sparsityMN [${m}, ${n}] must have m < n (m zeros in every group of n weights), e.g. [2, 4]. Fix the pair or set it to null.`);
    }
    if (!v.hasProblem('prune.blockSize') && (prune.blockSize[0] !== 1 || prune.blockSize[1] !== 1)) {
      v.fail('prune.sparsityMN', `prune.sparsityMN and prune.blockSize ${fmt(prune.blockSize)} cannot be combined. Set prune.sparsityMN to null or prune.blockSize to [1, 1].`);
    }
  }
}

/** The paths each data source needs (and the ones that belong to another source). */
const SOURCE_PATHS: Record<DataConfig['source'], { need: (keyof DataConfig)[][]; what: string }> = {
  mnist: { need: [], what: '' },
  idx: { need: [['trainImages', 'trainLabels', 'testImages', 'testLabels']], what: 'the path of an IDX file (raw or .gz)' },
  'image-folder': { need: [['trainDir', 'testDir']], what: 'a folder with one subfolder per class' },
  csv: { need: [['trainFile', 'testFile']], what: 'the path of a CSV file' },
  npy: { need: [['npzFile'], ['trainImages', 'trainLabels', 'testImages', 'testLabels']], what: 'the path of a .npy file' },
};
const ALL_PATHS = ['trainImages', 'trainLabels', 'testImages', 'testLabels', 'valImages', 'valLabels', 'npzFile', 'trainDir', 'testDir', 'valDir', 'trainFile', 'testFile', 'valFile'] as const;
const PATHS_OF: Record<DataConfig['source'], readonly string[]> = {
  mnist: [],
  idx: ['trainImages', 'trainLabels', 'testImages', 'testLabels'],
  'image-folder': ['trainDir', 'testDir', 'valDir'],
  csv: ['trainFile', 'testFile', 'valFile'],
  npy: ['trainImages', 'trainLabels', 'testImages', 'testLabels', 'valImages', 'valLabels', 'npzFile'],
};

function checkDataPaths(data: DataConfig, v: Validator): void {
  const { need, what } = SOURCE_PATHS[data.source];
  const has = (k: keyof DataConfig): boolean => data[k] !== undefined || v.hasProblem(`data.${k}`);
  if (need.length > 0 && !need.some((group) => group.every(has))) {
    // npy: either the .npz or the four arrays; the message names the group the user started on.
    const group = need.find((g) => g.some(has)) ?? need[need.length - 1];
    const alt = data.source === 'npy' ? ' (or set data.npzFile to one .npz holding x_train, y_train, x_test, y_test)' : '';
    for (const key of group) {
      if (!has(key)) {
        v.fail(`data.${key}`, `data.source is "${data.source}" but data.${key} is missing. Set data.${key} to ${what}${alt}, or set data.source to "mnist" to use the built-in MNIST files.`);
      }
    }
  }
  for (const key of ALL_PATHS) {
    if (data[key] !== undefined && !PATHS_OF[data.source].includes(key)) {
      const owner = (Object.keys(PATHS_OF) as DataConfig['source'][]).filter((s) => PATHS_OF[s].includes(key));
      v.fail(`data.${key}`, `data.${key} is set but data.source is "${data.source}", which does not read it (it belongs to ${owner.map((o) => `"${o}"`).join(' or ')}). Remove data.${key} or change data.source.`);
    }
  }
  if (data.source === 'npy' && data.npzFile !== undefined && ['trainImages', 'trainLabels', 'testImages', 'testLabels'].some((k) => data[k as keyof DataConfig] !== undefined)) {
    v.fail('data.npzFile', 'data.npzFile and the .npy paths (data.trainImages, …) are both set. Use one: the .npz, or the four .npy files.');
  }
  if (data.valImages !== undefined && data.valLabels === undefined && !v.hasProblem('data.valLabels')) {
    v.fail('data.valLabels', 'data.valImages is set but data.valLabels is missing. Set data.valLabels to the .npy file of the validation labels, or remove data.valImages.');
  }
  if (data.valLabels !== undefined && data.valImages === undefined && !v.hasProblem('data.valImages')) {
    v.fail('data.valImages', 'data.valLabels is set but data.valImages is missing. Set data.valImages to the .npy file of the validation samples, or remove data.valLabels.');
  }
  if (typeof data.normalize === 'object' && data.normalize.mean.length !== data.normalize.std.length && !v.hasProblem('data.normalize')) {
    v.fail('data.normalize', `data.normalize has ${data.normalize.mean.length} mean values but ${data.normalize.std.length} std values. Give one std per mean (one value, or one per channel).`);
  }
  const namesProblem = data.classNames === undefined || v.hasProblem('data.classNames') ? null : classNamesProblem(data.classNames);
  if (namesProblem) {
    v.fail('data.classNames', `data.classNames cannot name the classes: ${namesProblem}. Give one distinct, non-empty name (one line, at most ${CLASS_NAME_LIMITS.chars} characters) per class, in the order of the model's outputs.`);
  }
  if (data.imageSize !== undefined && data.source !== 'image-folder' && !v.hasProblem('data.imageSize')) {
    v.fail('data.imageSize', `data.imageSize resizes images of an image folder, but data.source is "${data.source}". Remove data.imageSize (the samples keep the shape stored in the files).`);
  }
}

// ----------------------------------------------------------------------------------------

function checkLeaf(spec: Spec, value: Json): boolean {
  switch (spec.kind) {
    case 'int':
      return Number.isInteger(value) && inRange(value as number, spec.min, undefined, spec.max, undefined);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(value, spec.min, spec.exclusiveMin, spec.max, spec.exclusiveMax);
    case 'bool':
      return typeof value === 'boolean';
    case 'enum':
      return (typeof value === 'string' || typeof value === 'number') && spec.values.includes(value);
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') {
        return false;
      }
      return !spec.relativeInside || (!/^([/\\]|[A-Za-z]:)/.test(value) && !value.split(/[/\\]/).includes('..'));
    case 'null':
      return value === null;
    default:
      return false;
  }
}

function inRange(x: number, min?: number, exMin?: number, max?: number, exMax?: number): boolean {
  return (min === undefined || x >= min) && (exMin === undefined || x > exMin) && (max === undefined || x <= max) && (exMax === undefined || x < exMax);
}

/** A short English description of what a spec accepts, used in every error message. */
export function describe(spec: Spec): string {
  switch (spec.kind) {
    case 'int':
      if (spec.min !== undefined && spec.max !== undefined) {
        return `a whole number from ${spec.min} to ${spec.max}`;
      }
      return spec.min !== undefined ? `a whole number ≥ ${spec.min}` : 'a whole number';
    case 'number': {
      const lo = spec.min !== undefined ? `${spec.min}` : spec.exclusiveMin !== undefined ? `${spec.exclusiveMin}` : undefined;
      const hi = spec.max !== undefined ? `${spec.max}` : spec.exclusiveMax !== undefined ? `${spec.exclusiveMax}` : undefined;
      if (lo !== undefined && hi !== undefined) {
        return `a number in ${spec.min !== undefined ? '[' : '('}${lo}, ${hi}${spec.max !== undefined ? ']' : ')'}`;
      }
      if (lo !== undefined) {
        return `a number ${spec.min !== undefined ? '≥' : '>'} ${lo}`;
      }
      return hi !== undefined ? `a number ${spec.max !== undefined ? '≤' : '<'} ${hi}` : 'a number';
    }
    case 'bool':
      return 'true or false';
    case 'enum':
      return spec.values.length === 1 ? fmt(spec.values[0]) : `one of ${spec.values.map((x) => fmt(x)).join(', ')}`;
    case 'string':
      return spec.relativeInside ? 'a relative folder path without ".."' : 'a non-empty string';
    case 'null':
      return 'null';
    case 'record':
      return `an object mapping names to ${describe(spec.values)}`;
    case 'layerList':
      return 'a non-empty list of layer objects such as {"type": "dense", "units": 10}';
    case 'array':
      return `a list${spec.minItems ? ' (not empty)' : ''} of ${plural(describe(spec.items))}${spec.unique ? ' without repeats' : ''}`;
    case 'tuple':
      return `a list of exactly ${spec.items.length} items [${spec.items.map(describe).join(', ')}]`;
    case 'oneOf':
      return spec.options.map(describe).join(' or ');
    case 'object':
    case 'tagged':
      return 'an object { … }';
  }
}

function plural(s: string): string {
  return s.replace(/^an? /, '').replace(/^(whole number|number|non-empty string)/, '$1s').replace(/^one of /, 'values among ');
}

function shapeOf(spec: Spec): string {
  switch (spec.kind) {
    case 'int':
    case 'number':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'enum':
      return typeof spec.values[0];
    case 'string':
      return 'string';
    case 'null':
      return 'null';
    case 'array':
    case 'tuple':
      return 'array';
    default:
      return 'object';
  }
}

function jsonShape(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function lastKey(path: string): string {
  return path.replace(/\[\d+\]$/, '').split('.').pop() ?? path;
}

export function fmt(v: Json): string {
  if (v === undefined) {
    return 'missing';
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return String(v);
  }
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** The closest candidate when it is plausibly a typo (case, one or two edits). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const [w, cl] = [word.toLowerCase(), c.toLowerCase()];
    const prefix = w.length >= 4 && (cl.startsWith(w) || w.startsWith(cl));
    const d = w === cl ? 0 : Math.min(levenshtein(w, cl), prefix ? 1.5 : Infinity);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDist <= limit ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
