import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG } from '../../src/protocol/config';
import { resolveConfig, loadConfigFile, configJsonSchema, ConfigError } from '../../src/engine/config';
import { BadInputError } from '../../src/engine/errors';
import { CONFIG_SPEC, type ObjectSpec } from '../../src/engine/config/spec';
import Ajv from 'ajv';

const SRC = 'model-optimizer.json';

function badInput(partial: unknown): BadInputError {
  try {
    resolveConfig(partial, SRC);
  } catch (err) {
    assert.ok(err instanceof BadInputError, `expected BadInputError, got ${String(err)}`);
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(partial)}`);
}

void test('empty and missing configs give exactly the defaults (a copy, not the same object)', () => {
  assert.deepEqual(resolveConfig({}), DEFAULT_CONFIG);
  assert.deepEqual(resolveConfig(undefined), DEFAULT_CONFIG);
  const c = resolveConfig({});
  c.model.hidden.push(5);
  assert.deepEqual(DEFAULT_CONFIG.model.hidden, [128]);
});

void test('deep merge keeps untouched siblings; arrays replace', () => {
  const c = resolveConfig({ train: { epochs: 1 }, data: { trainLimit: 3000 }, model: { hidden: [32, 16] }, quantize: { tflite: ['float32'] } });
  assert.equal(c.train.epochs, 1);
  assert.equal(c.train.batchSize, 64);
  assert.equal(c.train.learningRate, 1e-3);
  assert.equal(c.data.trainLimit, 3000);
  assert.equal(c.data.source, 'mnist');
  assert.deepEqual(c.model.hidden, [32, 16]);
  assert.deepEqual(c.quantize.tflite, ['float32']);
  assert.deepEqual(c.quantize.tfjs, ['uint8', 'float16']);
});

void test('switching the schedule kind starts from that kind’s defaults, not a mix', () => {
  const c = resolveConfig({ prune: { schedule: { kind: 'constant_sparsity', targetSparsity: 0.8 } } });
  assert.deepEqual(c.prune.schedule, { kind: 'constant_sparsity', targetSparsity: 0.8, beginStep: 0, endStep: -1, frequency: 100 });
  const p = resolveConfig({ prune: { schedule: { finalSparsity: 0.9, endStep: 4220 } } });
  assert.deepEqual(p.prune.schedule, { ...DEFAULT_CONFIG.prune.schedule, finalSparsity: 0.9, endStep: 4220 });
});

void test('valid edge values are accepted', () => {
  const c = resolveConfig({
    train: { validationSplit: 0, learningRate: 10, epochs: 1 },
    prune: { layers: ['dense', 'dense_1'], sparsityMN: [2, 4], schedule: { initialSparsity: 0, finalSparsity: 0.99 } },
    data: { source: 'idx', trainImages: 'a', trainLabels: 'b', testImages: 'c', testLabels: 'd' },
    quantize: { tflite: [], tfjs: [] },
    output: { logsDir: 'tb/logs' },
  });
  assert.deepEqual(c.prune.sparsityMN, [2, 4]);
  assert.deepEqual(c.prune.layers, ['dense', 'dense_1']);
});

// [partial config, expected where (after "model-optimizer.json: "), a fragment the message must contain]
const CASES: [unknown, string, RegExp][] = [
  [{ train: { epochs: 0 } }, 'train.epochs', /whole number ≥ 1.*but it is 0.*default is 5/],
  [{ train: { epochs: 2.5 } }, 'train.epochs', /2\.5/],
  [{ train: { epochs: '5' } }, 'train.epochs', /but it is "5"/],
  [{ train: { epochs: null } }, 'train.epochs', /null/],
  [{ train: { learningRate: 0 } }, 'train.learningRate', /number in \(0, 10\]/],
  [{ train: { learningRate: -1e-3 } }, 'train.learningRate', /-0\.001/],
  [{ train: { validationSplit: 1 } }, 'train.validationSplit', /\[0, 1\)/],
  [{ train: { validationSplit: -0.1 } }, 'train.validationSplit', /-0\.1/],
  [{ train: { batchSize: 0 } }, 'train.batchSize', /from 1 to 65536/],
  [{ train: { shuffle: 'yes' } }, 'train.shuffle', /true or false/],
  [{ train: { seed: -1 } }, 'train.seed', /from 0 to 4294967295/],
  [{ train: { epoch: 3 } }, 'train.epoch', /Did you mean "train\.epochs"\?/],
  [{ train: { LearningRate: 0.1 } }, 'train.LearningRate', /Did you mean "train\.learningRate"\?/],
  [{ trian: {} }, 'trian', /Did you mean "train"\?/],
  [{ completelyUnrelated: 1 }, 'completelyUnrelated', /Known settings: data, model, train, prune, quantize, sweep, deploy, sensitivity, qat, cluster, output, backend/],
  [{ backend: 'gpu' }, 'backend', /one of "auto", "wasm", "cpu", "node"/],
  [{ data: { source: 'cifar' } }, 'data.source', /"mnist", "idx"/],
  [{ data: { trainLimit: -5 } }, 'data.trainLimit', /whole number ≥ 0/],
  [{ data: { testLimit: 1.5 } }, 'data.testLimit', /1\.5/],
  [{ data: { trainLimit: 1 } }, 'data.trainLimit', /no training samples after the validation split/],
  [{ data: { source: 'idx', trainImages: 'a', trainLabels: 'b', testImages: 'c' } }, 'data.testLabels', /source is "idx" but data\.testLabels is missing/],
  [{ data: { trainImages: '' } }, 'data.trainImages', /non-empty string/],
  [{ data: [] }, 'data', /an object/],
  [{ model: { hidden: 128 } }, 'model.hidden', /a list of whole numbers/],
  [{ model: { hidden: [128, 0] } }, 'model.hidden[1]', /from 1 to 65536.*but it is 0/],
  [{ model: { hiddenActivation: 'tanh' } }, 'model.hiddenActivation', /"relu", "softmax", "linear"/],
  [{ prune: { enabled: 1 } }, 'prune.enabled', /true or false/],
  [{ prune: { epochs: 0 } }, 'prune.epochs', /≥ 1/],
  [{ prune: { schedule: { finalSparsity: 1 } } }, 'prune.schedule.finalSparsity', /\[0, 1\)/],
  [{ prune: { schedule: { initialSparsity: -0.1 } } }, 'prune.schedule.initialSparsity', /\[0, 1\)/],
  [{ prune: { schedule: { frequency: 0 } } }, 'prune.schedule.frequency', /≥ 1/],
  [{ prune: { schedule: { power: 0 } } }, 'prune.schedule.power', /number > 0/],
  [{ prune: { schedule: { endStep: 'never' } } }, 'prune.schedule.endStep', /"auto" or a whole number ≥ 1/],
  [{ prune: { schedule: { beginStep: 100, endStep: 50 } } }, 'prune.schedule.endStep', /greater than prune\.schedule\.beginStep/],
  [{ prune: { schedule: { kind: 'polynomial' } } }, 'prune.schedule.kind', /Did you mean "polynomial_decay"\?/],
  [{ prune: { schedule: { kind: 'constant_sparsity', finalSparsity: 0.5 } } }, 'prune.schedule.finalSparsity', /Unknown setting/],
  [{ prune: { schedule: { kind: 'constant_sparsity', targetSparsity: 1.5 } } }, 'prune.schedule.targetSparsity', /\[0, 1\)/],
  [{ prune: { schedule: { kind: 'constant_sparsity', endStep: -2 } } }, 'prune.schedule.endStep', /≥ -1/],
  [{ prune: { schedule: { kind: 'constant_sparsity', beginStep: 10, endStep: 5 } } }, 'prune.schedule.endStep', /-1 \(until the end\)/],
  [{ prune: { layers: 'first' } }, 'prune.layers', /"last", "all"/],
  [{ prune: { layers: [] } }, 'prune.layers', /at least 1 item/],
  [{ prune: { layers: [3] } }, 'prune.layers[0]', /non-empty string/],
  [{ prune: { layers: ['dense_2'] } }, 'prune.layers[0]', /not a layer of this model.*Did you mean "dense_1"/],
  [{ prune: { layers: ['dense', 'dense'] } }, 'prune.layers[1]', /repeats/],
  [{ prune: { blockSize: [1] } }, 'prune.blockSize', /exactly 2 items/],
  [{ prune: { blockSize: [1, 0] } }, 'prune.blockSize[1]', /≥ 1/],
  [{ prune: { blockPooling: 'avg' } }, 'prune.blockPooling', /"AVG", "MAX"/],
  [{ prune: { sparsityMN: [4, 2] } }, 'prune.sparsityMN', /m < n/],
  [{ prune: { sparsityMN: [2, 4], blockSize: [2, 2] } }, 'prune.sparsityMN', /cannot be combined/],
  [{ prune: { sparsityMN: 'off' } }, 'prune.sparsityMN', /null or a list/],
  [{ quantize: { tflite: ['int8'] } }, 'quantize.tflite[0]', /"float32", "float16", "dynamic-int8", "full-int8"/],
  [{ quantize: { tflite: ['float32', 'float32'] } }, 'quantize.tflite[1]', /repeats/],
  [{ quantize: { tfjs: 'uint8' } }, 'quantize.tfjs', /a list/],
  [{ quantize: { representativeSamples: 0 } }, 'quantize.representativeSamples', /from 1 to 60000/],
  [{ quantize: { perChannel: 'true' } }, 'quantize.perChannel', /true or false/],
  [{ output: { dir: '' } }, 'output.dir', /non-empty string/],
  [{ output: { logsDir: '../elsewhere' } }, 'output.logsDir', /relative folder path without "\.\."/],
  [{ output: { logsDir: '/abs/logs' } }, 'output.logsDir', /relative/],
];

for (const [partial, where, fragment] of CASES) {
  void test(`rejects ${JSON.stringify(partial)} at ${where}`, () => {
    const err = badInput(partial);
    assert.equal(err.where, `${SRC}: ${where}`);
    assert.match(err.message, fragment);
  });
}

// ---------------------------------------------------------------------------------------
// Several problems at once: all collected, in the order of the fields in the document.
// ---------------------------------------------------------------------------------------

function problemsOf(partial: unknown): ConfigError {
  const err = badInput(partial);
  assert.ok(err instanceof ConfigError, 'a ConfigError with the problem list');
  assert.equal(err.where, err.problems[0].where, 'the error points at the first problem');
  return err;
}

void test('every problem is reported, not just the first (the unknown key and the bad value)', () => {
  const err = problemsOf({ train: { epochs: 0, batchsize: 64 } });
  assert.deepEqual(
    err.problems.map((p) => p.where),
    [`${SRC}: train.epochs`, `${SRC}: train.batchsize`],
  );
  const [epochs, batch] = err.problems;
  assert.match(epochs.message, /whole number ≥ 1.*but it is 0.*default is 5/);
  assert.match(batch.message, /Unknown setting "train\.batchsize"\. Did you mean "train\.batchSize"\?/);
  // One line per problem, each with its where and its fix, after a count.
  const lines = err.message.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], '2 problems in the configuration:');
  assert.equal(lines[1], `- ${SRC}: train.epochs: ${epochs.message}`);
  assert.equal(lines[2], `- ${SRC}: train.batchsize: ${batch.message}`);
});

void test('document order decides the order, and the first problem\'s text is the one it has alone', () => {
  const alone = badInput({ train: { batchsize: 64 } });
  const err = problemsOf({ train: { batchsize: 64, epochs: 0 } });
  assert.deepEqual(err.problems.map((p) => p.where), [`${SRC}: train.batchsize`, `${SRC}: train.epochs`]);
  assert.equal(err.problems[0].message, alone.message);
  assert.equal(err.where, alone.where);
});

void test('problems across sections, arrays and cross-field rules come in document order', () => {
  const err = problemsOf({
    quantize: { tflite: ['int8'], perChannel: 'yes' },
    data: { source: 'idx', trainImages: 'a', trainLabels: 'b', testImages: 'c' },
    backend: 'gpu',
    prune: { layers: ['dense', 'densse'], blockPooling: 'avg' },
    trian: {},
    output: { logsDir: '../x' },
  });
  assert.deepEqual(
    err.problems.map((p) => p.where.slice(SRC.length + 2)),
    ['quantize.tflite[0]', 'quantize.perChannel', 'data.testLabels', 'backend', 'prune.layers[1]', 'prune.blockPooling', 'trian', 'output.logsDir'],
  );
  assert.match(err.problems[2].message, /source is "idx" but data\.testLabels is missing/);
  assert.match(err.problems[4].message, /not a layer of this model.*Did you mean "dense"/);
  assert.match(err.problems[6].message, /Did you mean "train"\?/);
  assert.equal(err.message.split('\n').length, 1 + 8);
});

void test('a bad field does not also fail the cross-field rules that read it', () => {
  // validationSplit 2 is wrong on its own; trainLimit 1 is not judged against the default split.
  let err = problemsOf({ data: { trainLimit: 1 }, train: { validationSplit: 2 } });
  assert.deepEqual(err.problems.map((p) => p.where), [`${SRC}: train.validationSplit`]);
  // A bad hidden layer width leaves the layer names unknown: prune.layers is not checked.
  err = problemsOf({ model: { hidden: [0] }, prune: { layers: ['dense_2'] } });
  assert.deepEqual(err.problems.map((p) => p.where), [`${SRC}: model.hidden[0]`]);
  // An unknown schedule kind: its other fields are checked once the kind is fixed.
  err = problemsOf({ prune: { schedule: { kind: 'nope', power: -1 } }, train: { epochs: 0 } });
  assert.deepEqual(err.problems.map((p) => p.where), [`${SRC}: prune.schedule.kind`, `${SRC}: train.epochs`]);
  // Both rules on sparsityMN, once each.
  err = problemsOf({ prune: { sparsityMN: [4, 2], blockSize: [2, 2] } });
  assert.deepEqual(err.problems.map((p) => p.message.slice(0, 25)), ['prune.sparsityMN [4, 2] m', 'prune.sparsityMN and prun']);
});

void test('a single problem keeps its message as is, with a one-item problem list', () => {
  const err = problemsOf({ train: { epochs: 0 } });
  assert.deepEqual(err.problems, [{ where: err.where, message: err.message }]);
  assert.ok(!err.message.includes('\n'));
});

void test('loadConfigFile reports every problem of the file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mo-config-'));
  const f = path.join(dir, 'model-optimizer.json');
  writeFileSync(f, '{ "train": { "epochs": 0, "batchsize": 64 }, "backend": "gpu" }');
  await assert.rejects(loadConfigFile(f), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.where, 'model-optimizer.json: train.epochs');
    assert.deepEqual(e.problems.map((p) => p.where), ['model-optimizer.json: train.epochs', 'model-optimizer.json: train.batchsize', 'model-optimizer.json: backend']);
    return true;
  });
});

void test('a config that is not an object is rejected at the file itself', () => {
  for (const v of [[], 5, 'x', null]) {
    const err = badInput(v === null ? [] : v);
    assert.equal(err.where, SRC);
    assert.match(err.message, /must be a JSON object/);
  }
});

void test('default source name is "config"', () => {
  try {
    resolveConfig({ train: { epochs: 0 } });
    assert.fail('accepted');
  } catch (err) {
    assert.equal((err as BadInputError).where, 'config: train.epochs');
  }
});

void test('loadConfigFile: missing file, folder, syntax errors with line and column, bad values', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mo-config-'));
  await assert.rejects(loadConfigFile(path.join(dir, 'nope.json')), (e: unknown) => e instanceof BadInputError && /does not exist/.test(e.message));
  mkdirSync(path.join(dir, 'folder.json'));
  await assert.rejects(loadConfigFile(path.join(dir, 'folder.json')), (e: unknown) => e instanceof BadInputError && /folder/.test(e.message));

  const syntax: [string, string, RegExp][] = [
    ['{\n  "train": {\n    "epochs": 5,\n  }\n}\n', 'c.json:4:3', /trailing comma/],
    ['{\n  // comment\n  "train": {}\n}', 'c.json:2:3', /comments are not allowed/],
    ['{ "train": { epochs: 5 } }', 'c.json:1:14', /property name in double quotes/],
    ['{ "train": { "epochs": 5 }', 'c.json:1:27', /unexpected end of file/],
    ["{ 'a': 1 }", 'c.json:1:3', /double quotes/],
    ['{"a": [1, 2,]}', 'c.json:1:13', /trailing comma/],
    ['{"a": 1} x', 'c.json:1:10', /end of the file/],
    ['', 'c.json:1:1', /unexpected end of file/],
  ];
  for (const [text, where, reason] of syntax) {
    const f = path.join(dir, 'c.json');
    writeFileSync(f, text);
    await assert.rejects(loadConfigFile(f), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.equal(e.where, where, `for ${JSON.stringify(text)}: ${e.message}`);
      assert.match(e.message, reason);
      return true;
    });
  }
  const f = path.join(dir, 'model-optimizer.json');
  writeFileSync(f, '\ufeff{ "train": { "epochs": -1 } }');
  await assert.rejects(loadConfigFile(f), (e: unknown) => e instanceof BadInputError && e.where === 'model-optimizer.json: train.epochs');
  writeFileSync(f, '{ "train": { "epochs": 2 } }');
  assert.deepEqual(await loadConfigFile(f), { train: { epochs: 2 } });
});

// ---------------------------------------------------------------------------------------
// JSON Schema: agrees with DEFAULT_CONFIG and the committed file is current.
// ---------------------------------------------------------------------------------------

type S = Record<string, unknown>;

function leafPaths(o: unknown, prefix = ''): string[] {
  if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
    return Object.entries(o).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

function schemaAt(schema: S, dotted: string): S {
  let s = schema;
  for (const key of dotted.split('.')) {
    const props = (s.properties ?? (s.anyOf as S[])[0].properties) as Record<string, S>;
    assert.ok(props && key in props, `schema has no property ${dotted} (at ${key})`);
    s = props[key];
  }
  return s;
}

void test('JSON Schema has every DEFAULT_CONFIG field with its default, and no stray top-level keys', () => {
  const schema = configJsonSchema();
  for (const p of leafPaths(DEFAULT_CONFIG)) {
    assert.deepEqual(schemaAt(schema, p).default, p.split('.').reduce<unknown>((o, k) => (o as S)[k], DEFAULT_CONFIG), p);
  }
  const props = schema.properties as Record<string, S>;
  assert.deepEqual(Object.keys(props).sort(), Object.keys(DEFAULT_CONFIG).sort());
  for (const [k, sub] of Object.entries(props)) {
    if (sub.type === 'object') {
      assert.equal(sub.additionalProperties, false, k);
      const optional = (CONFIG_SPEC.fields[k] as ObjectSpec).optional ?? [];
      assert.deepEqual(
        Object.keys(sub.properties as S).filter((x) => !optional.includes(x)).sort(),
        Object.keys((DEFAULT_CONFIG as unknown as Record<string, S>)[k]).sort(),
        k,
      );
    }
  }
});

void test('schemas/model-optimizer.schema.json is up to date (regenerate: npx tsx scripts/gen-config-schema.ts)', () => {
  const file = path.join(import.meta.dirname, '..', '..', 'schemas', 'model-optimizer.schema.json');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), configJsonSchema());
});

void test('an independent JSON Schema validator (ajv) agrees with resolveConfig on every case', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(configJsonSchema());
  const accepted: unknown[] = [
    {},
    DEFAULT_CONFIG,
    { train: { epochs: 1 }, data: { trainLimit: 3000 } },
    { prune: { schedule: { kind: 'constant_sparsity', targetSparsity: 0.8 } } },
    { prune: { schedule: { finalSparsity: 0.9, endStep: 4220 } } },
    { prune: { layers: 'all', sparsityMN: [2, 4] } },
    { output: { logsDir: 'tb/logs' } },
  ];
  for (const c of accepted) {
    assert.ok(validate(c), `schema rejects ${JSON.stringify(c)}: ${ajv.errorsText(validate.errors)}`);
    resolveConfig(c);
  }
  // Rules that span fields (or depend on the model) are beyond a JSON Schema; resolveConfig
  // alone catches those.
  const crossField = /no training samples|source is "idx"|greater than|until the end|not a layer|m < n|cannot be combined/;
  let checked = 0;
  for (const [partial, where, fragment] of CASES) {
    if (crossField.test(fragment.source)) {
      continue;
    }
    checked++;
    assert.equal(validate(partial), false, `schema accepts ${JSON.stringify(partial)} (resolveConfig rejects it at ${where})`);
  }
  assert.ok(checked >= 45, `${checked} cases checked`);
});

void test('data: each source names the paths it needs, rejects paths of other sources, checks normalize', () => {
  const problems = (data: unknown): string[] => {
    try {
      resolveConfig({ data });
      return [];
    } catch (e) {
      return (e as ConfigError).problems.map((p) => `${p.where} | ${p.message}`);
    }
  };
  assert.deepEqual(problems({ source: 'idx', trainImages: 'a', trainLabels: 'b', testImages: 'c', testLabels: 'd' }), []);
  const missing = problems({ source: 'idx', trainImages: 'a' });
  assert.equal(missing.length, 3);
  assert.match(missing[0], /data\.trainLabels \| data.source is "idx" but data.trainLabels is missing/);
  const stray = problems({ source: 'mnist', trainDir: 'x' });
  assert.equal(stray.length, 1);
  assert.match(stray[0], /data\.trainDir \| .*belongs to "image-folder".*Remove data.trainDir/);
  assert.deepEqual(problems({ normalize: 'standardize', validation: 'stratified' }), []);
  assert.deepEqual(problems({ normalize: { mean: [0.5], std: [0.25] } }), []);
  assert.match(problems({ normalize: { mean: [0.5, 1], std: [0.25] } })[0], /2 mean values but 1 std/);
  assert.match(problems({ normalize: { mean: [0.5], std: [0] } })[0], /data\.normalize/);
  assert.match(problems({ normalize: 'zscore' })[0], /data\.normalize must be/);
  assert.match(problems({ validation: 'random' })[0], /data\.validation must be one of "tail", "stratified"/);
});
