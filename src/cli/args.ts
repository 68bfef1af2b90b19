/**
 * Command-line parsing for `model-optimizer <command> [flags]`. Pure: no I/O, so the tests
 * can check every flag. Problems throw UsageError (exit code 2).
 */
import type { BackendChoice, PartialRunConfig } from '../protocol/config';
import type { JobKind } from '../protocol/engine';
import { didYouMean } from '../engine/config/validate';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliArgs {
  command: JobKind | 'help' | 'version';
  config?: string;
  out?: string;
  json: boolean;
  verbose: boolean;
  /** Another run writing to --out: wait for it instead of refusing. */
  wait: boolean;
  model?: string;
  /** Flag overrides, applied over the config file. */
  overrides: PartialRunConfig;
}

export const COMMANDS: Record<JobKind, string> = {
  train: 'train the config\'s model (default: the reference MLP, Dense 128 relu → Dense 10) or fine-tune --model F; save as TF.js',
  prune: 'fine-tune a trained model with magnitude pruning (tfmot semantics)',
  quantize: 'export Keras .h5, TFLite (float32/float16/int8) and quantized TF.js, evaluated in their runtimes',
  evaluate: 'measure one model file (model.json, .h5 or .tflite): size, sparsity, accuracy, latency',
  pipeline: 'train → prune → quantize/export → compare (the reference workflow)',
  sweep: 'prune to several sparsities, export each as TFLite, table of size vs accuracy (Pareto front)',
  sensitivity: 'per-layer sensitivity: accuracy with one layer pruned or int8, int8 error per layer, suggested prune.layers',
  qat: 'quantization-aware training of a model (--model, or the pruned/trained one in --out): PTQ vs QAT full-int8',
  cluster: 'weight clustering of a model (k shared values per kernel): gzip sizes vs the unclustered files',
};

export const HELP = `Usage: model-optimizer <command> [options]

Train, prune and quantize the reference MNIST MLP, a model defined in the config, or your own
Keras / TF.js model (--model), headless.

Commands:
${Object.entries(COMMANDS)
  .map(([c, d]) => `  ${c.padEnd(10)} ${d}`)
  .join('\n')}

Options:
  --config FILE       run configuration (JSON, see schemas/model-optimizer.schema.json);
                      default: ./model-optimizer.json when it exists, else built-in defaults
  --out DIR           output folder (default: output.dir of the config, i.e.
                      ./model-optimizer-output)
  --json              print every engine event as one JSON line on stdout, nothing else
  --model PATH        input model: a Keras .h5 / .keras file or a TF.js model.json (or its
                      folder); evaluate also takes .tflite. prune/quantize/evaluate/sweep work on
                      it, train fine-tunes it, pipeline skips training and prunes/exports it; files
                      are named after its stem S (S.h5, pruned_S.h5, pruned_S_quant.tflite).
                      Default: the models in --out
  --backend NAME      auto | wasm | cpu | node  (auto = tfjs-node if installed, else wasm)
  --epochs N          override train.epochs
  --prune-epochs N    override prune.epochs
  --train-limit N     use only the first N training images (data.trainLimit; 0 = all)
  --test-limit N      use only the first N test images (data.testLimit; 0 = all)
  --sparsities LIST   sweep only: comma-separated target sparsities in [0, 1), e.g.
                      0.5,0.8,0.9 (sweep.sparsities; default 0.25,0.5,0.75,0.9)
  --workers N|auto    sweep only: worker processes running the points in parallel
                      (sweep.workers; auto = cores ÷ threads per worker, fewer when
                      memory is short; 1 = one point after another)
  --structured F      prune/pipeline: structured pruning — remove the fraction F of each Dense
                      layer's neurons and Conv2D layer's filters with the smallest norms (and the
                      inputs that read them), then fine-tune (prune.structured)
  --norm l1|l2        with --structured: rank channels by L1 (default) or L2 norm
  --freeze LIST       train/prune/pipeline/sweep: comma-separated layer or nested-model names that keep
                      their weights while training (train.freeze), e.g. --freeze model1 for a
                      Teachable Machine base; "none" trains every layer whatever the file says
  --freeze-up-to NAME train/prune/pipeline/sweep: freeze NAME and every layer it reads from (the
                      whole base under it): train.freeze = {"upTo": NAME}
  --wait              when another run is writing to --out, wait for it to finish
                      (default: refuse with exit 2, naming the running one)
  --verbose           also print debug logs and stack traces
  -h, --help          show this help;  -v, --version  show the version

Exit codes: 0 success, 1 the run failed or was cancelled (Ctrl-C; press twice to quit at
once), 2 bad input (config, data, model file or arguments) with the fix on stderr.

Example: model-optimizer pipeline --epochs 1 --train-limit 6000 --test-limit 2000 --out /tmp/mo

Deploy to a microcontroller (C array, op resolver list, tensor-arena estimate, TFLite Micro check):
  model-optimizer deploy [--model F.tflite] [--out DIR] [--json]

Sparsity sweep (size vs accuracy in one command):
  model-optimizer sweep [--sparsities 0.5,0.8,0.9] [--model PATH] [--out DIR]
  Takes the trained model in --out (mnist_model/model.json) or --model, and trains one
  first when there is none. Writes it as TFLite float32 (the reference row) and in the
  sweep's variants; then for each sparsity prunes it (all layers by default, prune.epochs
  fine-tuning epochs, the prune.schedule aimed at that sparsity) to sweep/pruned_s<NN>/,
  exports it as TFLite (dynamic-int8 and full-int8 by default) and measures every file:
  gzip and raw size, non-zeros, sparsity read back from the file, test accuracy and latency
  in the TFLite runtime. Prints the trade-off table with the Pareto-optimal files (★: no
  other file is smaller and at least as accurate) and the file to deploy: the smallest
  one within sweep.maxAccuracyDrop (default 1 point) of the baseline. Also in
  sweep/sweep.md and sweep/sweep.json. The points run in parallel worker processes
  (--workers; default: the cores ÷ threads per worker), with the same files and numbers
  as one after another. Config section "sweep": sparsities, layers ("all" | "last" |
  names), tflite (variants), epochs, maxAccuracyDrop, workers.`;

const VALUE_FLAGS = ['--config', '--out', '--model', '--backend', '--epochs', '--prune-epochs', '--train-limit', '--test-limit', '--sparsities', '--workers', '--structured', '--norm', '--freeze', '--freeze-up-to'] as const;
const BOOL_FLAGS = ['--json', '--verbose', '--wait', '--help', '-h', '--version', '-v'] as const;
const BACKENDS: BackendChoice[] = ['auto', 'wasm', 'cpu', 'node'];

function wholeNumber(flag: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, but it is "${raw}". Example: ${flag} ${Math.max(min, 1)}.`);
  }
  return Number(raw);
}

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { command: 'help', json: false, verbose: false, wait: false, overrides: {} };
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if ((BOOL_FLAGS as readonly string[]).includes(name)) {
      if (eq > 0) {
        throw new UsageError(`${name} takes no value. Write just ${name}.`);
      }
      values.set(name, 'true');
    } else if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) {
        throw new UsageError(`${name} needs a value, e.g. ${name} ${exampleOf(name)}.`);
      }
      values.set(name, value);
    } else {
      const guess = didYouMean(name.replace(/^-+/, ''), [...VALUE_FLAGS, ...BOOL_FLAGS].map((f) => f.replace(/^-+/, '')));
      throw new UsageError(`Unknown option ${name}.${guess ? ` Did you mean --${guess}?` : ''} Run model-optimizer --help for the list.`);
    }
  }
  if (values.has('--help') || values.has('-h')) {
    return { ...args, command: 'help' };
  }
  if (values.has('--version') || values.has('-v')) {
    return { ...args, command: 'version' };
  }
  if (positional.length === 0) {
    throw new UsageError(`Missing command. Use one of: ${Object.keys(COMMANDS).join(', ')} (e.g. model-optimizer pipeline), or --help.`);
  }
  const [command, ...extra] = positional;
  if (command === 'help') {
    return args;
  }
  if (!(command in COMMANDS)) {
    const guess = didYouMean(command, Object.keys(COMMANDS));
    throw new UsageError(`Unknown command "${command}".${guess ? ` Did you mean "${guess}"?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}.`);
  }
  if (extra.length > 0) {
    throw new UsageError(`Unexpected argument "${extra[0]}". Options start with --; run model-optimizer --help.`);
  }
  args.command = command as JobKind;
  args.json = values.has('--json');
  args.verbose = values.has('--verbose');
  args.wait = values.has('--wait');
  args.config = values.get('--config');
  args.out = values.get('--out');
  args.model = values.get('--model');
  const o: PartialRunConfig = {};
  const backend = values.get('--backend');
  if (backend !== undefined) {
    if (!(BACKENDS as string[]).includes(backend)) {
      throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, but it is "${backend}".`);
    }
    o.backend = backend as BackendChoice;
  }
  const epochs = values.get('--epochs');
  if (epochs !== undefined) {
    o.train = { epochs: wholeNumber('--epochs', epochs, 1) };
  }
  const pruneEpochs = values.get('--prune-epochs');
  if (pruneEpochs !== undefined) {
    o.prune = { epochs: wholeNumber('--prune-epochs', pruneEpochs, 1) };
  }
  const trainLimit = values.get('--train-limit');
  const testLimit = values.get('--test-limit');
  if (trainLimit !== undefined || testLimit !== undefined) {
    o.data = {
      ...(trainLimit !== undefined ? { trainLimit: wholeNumber('--train-limit', trainLimit, 0) } : {}),
      ...(testLimit !== undefined ? { testLimit: wholeNumber('--test-limit', testLimit, 0) } : {}),
    };
  }
  const sparsities = values.get('--sparsities');
  if (sparsities !== undefined) {
    if (command !== 'sweep') {
      throw new UsageError(`--sparsities sets the targets of a sweep; ${command} does not sweep. Run model-optimizer sweep --sparsities ${sparsities}, or remove it.`);
    }
    o.sweep = { sparsities: parseSparsities(sparsities) };
  }
  const workers = values.get('--workers');
  if (workers !== undefined) {
    if (command !== 'sweep') {
      throw new UsageError(`--workers sets how many points of a sweep run in parallel; ${command} does not sweep. Run model-optimizer sweep --workers ${workers}, or remove it.`);
    }
    const w = workers.trim();
    if (w !== 'auto' && (!/^\d+$/.test(w) || Number(w) < 1 || Number(w) > 256)) {
      throw new UsageError(`--workers must be "auto" or a whole number from 1 to 256, but it is "${workers}". Example: --workers 2 (or --workers auto: the cores divided by the threads one worker uses).`);
    }
    o.sweep = { ...o.sweep, workers: w === 'auto' ? 'auto' : Number(w) };
  }
  const structured = values.get('--structured');
  const norm = values.get('--norm');
  if (structured !== undefined || norm !== undefined) {
    if (command !== 'prune' && command !== 'pipeline') {
      throw new UsageError(`--structured and --norm choose structured pruning for prune and pipeline; ${command} does not prune. Remove them.`);
    }
    if (structured === undefined) {
      throw new UsageError(`--norm ${norm} needs --structured FRACTION (the share of each layer's channels to remove), e.g. --structured 0.5 --norm ${norm}.`);
    }
    if (!/^(0?\.\d+|0)$/.test(structured.trim())) {
      throw new UsageError(`--structured must be a fraction in [0, 1) of each layer's channels to remove, but it is "${structured}". Example: --structured 0.5.`);
    }
    if (norm !== undefined && norm !== 'l1' && norm !== 'l2') {
      throw new UsageError(`--norm must be l1 or l2, but it is "${norm}".`);
    }
    o.prune = { ...o.prune, structured: { fraction: Number(structured), norm: (norm ?? 'l1') } };
  }
  const freeze = values.get('--freeze');
  const freezeUpTo = values.get('--freeze-up-to');
  if (freeze !== undefined || freezeUpTo !== undefined) {
    if (command !== 'train' && command !== 'prune' && command !== 'pipeline' && command !== 'sweep') {
      throw new UsageError(`--freeze and --freeze-up-to choose the layers that keep their weights while train, prune, pipeline and sweep fine-tune; ${command} does not use them. Remove them, or set train.freeze in the config.`);
    }
    if (freeze !== undefined && freezeUpTo !== undefined) {
      throw new UsageError(`Use either --freeze LIST or --freeze-up-to NAME, not both (--freeze-up-to ${freezeUpTo} already freezes every layer it reads from).`);
    }
    o.train = { ...o.train, freeze: freezeUpTo !== undefined ? { upTo: freezeName('--freeze-up-to', freezeUpTo) } : parseFreezeList(freeze as string) };
  }
  args.overrides = o;
  return args;
}

function freezeName(flag: string, raw: string): string {
  const name = raw.trim();
  if (name === '') {
    throw new UsageError(`${flag} needs a layer or nested-model name, e.g. ${flag} ${exampleOf(flag)}.`);
  }
  return name;
}

/** "model1,dense_1" → ['model1', 'dense_1']; "none" → 'none' (train every layer). */
export function parseFreezeList(raw: string): string[] | 'none' {
  if (raw.trim() === 'none') {
    return 'none';
  }
  const names = raw.split(',').map((p) => p.trim());
  if (names.some((n) => n === '')) {
    throw new UsageError(`--freeze must be comma-separated layer or nested-model names without empty entries, but it is "${raw}". Example: --freeze ${exampleOf('--freeze')}.`);
  }
  return [...new Set(names)];
}

/** "0.5,0.8,0.9" → [0.5, 0.8, 0.9]; each a number in [0, 1), no repeats. */
export function parseSparsities(raw: string): number[] {
  const example = 'Example: --sparsities 0.5,0.8,0.9';
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) {
    throw new UsageError(`--sparsities needs at least one sparsity in [0, 1), comma-separated. ${example}.`);
  }
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(p)) {
      throw new UsageError(`--sparsities must be comma-separated numbers in [0, 1), but "${p}" in "${raw}" is not a number${p.endsWith('%') ? ' (write fractions, not percent: 0.5 for 50 %)' : ''}. ${example}.`);
    }
    const x = Number(p);
    if (x >= 1) {
      throw new UsageError(`--sparsities: ${p} is not in [0, 1); a sparsity is the fraction of weights set to zero${x < 100 ? ` (for ${x} % write ${x / 100})` : ''}. ${example}.`);
    }
    if (out.includes(x)) {
      throw new UsageError(`--sparsities lists ${p} twice in "${raw}". Remove the repeat. ${example}.`);
    }
    out.push(x);
  }
  return out;
}

function exampleOf(flag: string): string {
  switch (flag) {
    case '--config':
      return 'model-optimizer.json';
    case '--out':
      return 'model-optimizer-output';
    case '--model':
      return 'model-optimizer-output/mnist_model/model.json';
    case '--backend':
      return 'wasm';
    case '--sparsities':
      return '0.5,0.8,0.9';
    case '--structured':
      return '0.5';
    case '--norm':
      return 'l1';
    case '--workers':
      return '2';
    case '--freeze':
      return 'model1';
    case '--freeze-up-to':
      return 'out_relu';
    default:
      return '1';
  }
}

/** Flag overrides applied over the file's partial config (one level deep is all they need). */
export function applyOverrides(base: PartialRunConfig, o: PartialRunConfig): PartialRunConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(o)) {
    const prev = out[k];
    out[k] = typeof v === 'object' && v !== null && typeof prev === 'object' && prev !== null ? { ...prev, ...v } : v;
  }
  return out;
}
