/**
 * Transfer learning end to end through the CLI: `train --model <Teachable Machine .h5>
 * --freeze model1` on an image folder made by the test (two classes of 224×224 RGB PNGs,
 * normalize "minus1to1" as Teachable Machine feeds its model). The run takes the feature-cache
 * path and says so (log and run record); the written model keeps MobileNetV2's 154 layers frozen with every weight
 * (BatchNormalization's moving statistics included) bit-equal to the input file's, while the
 * head's Dense weights changed. An unknown name in train.freeze exits 2 naming the layers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { loadModelFile } from '../../src/engine/import/index';
import { Rng } from '../../src/engine/util/random';
import { runCli } from './child-helpers';
import { FIXTURES_DIR, tempDir } from './import-helpers';

let dir: string;
before(async () => {
  dir = await tempDir('frozen-cli');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const TM = path.join(FIXTURES_DIR, 'teachable_machine_keras_model.h5');

/** Class 'a': a bright left half; class 'b': a bright right half; plus noise. */
async function imageFolder(root: string, perClass: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (const cls of ['a', 'b']) {
    await fs.mkdir(path.join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const img = new PNG({ width: 224, height: 224 });
      for (let p = 0; p < 224 * 224; p++) {
        const left = p % 224 < 112;
        const base = (cls === 'a') === left ? 200 : 40;
        for (let c = 0; c < 3; c++) {
          img.data[p * 4 + c] = Math.max(0, Math.min(255, base + rng.int(50) - 25));
        }
        img.data[p * 4 + 3] = 255;
      }
      await fs.writeFile(path.join(root, cls, `${i}.png`), PNG.sync.write(img));
    }
  }
}

void test('train --model TM.h5 --freeze model1: the feature-cache path, MobileNetV2 bit-equal (BN statistics too), the head trained', async () => {
  await imageFolder(path.join(dir, 'train'), 8, 1);
  await imageFolder(path.join(dir, 'test'), 3, 2);
  const cfg = path.join(dir, 'tm.json');
  await fs.writeFile(
    cfg,
    JSON.stringify({
      data: { source: 'image-folder', trainDir: path.join(dir, 'train'), testDir: path.join(dir, 'test'), normalize: 'minus1to1' },
      train: { epochs: 2, batchSize: 8, validationSplit: 0.25, learningRate: 0.001 },
    }),
  );
  const out = path.join(dir, 'out');
  const r = await runCli(['train', '--model', TM, '--freeze', 'model1', '--config', cfg, '--out', out, '--json'], dir);
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-3000));
  const logs = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; message?: string })
    .filter((e) => e.type === 'log')
    .map((e) => e.message ?? '');
  assert.ok(logs.some((m) => /154 of 157 layers frozen/.test(m)), logs.join('\n'));
  assert.ok(logs.some((m) => /feature cache: frozen base up to 'global_average_pooling2d_GlobalAveragePooling2D1' \(155 layers\) computed once for 12 samples \(1280 values each/.test(m)), logs.join('\n'));

  // The run record says which path ran.
  const runs = (await fs.readdir(path.join(out, 'runs'))).filter((f) => f.endsWith('.json'));
  const record = JSON.parse(await fs.readFile(path.join(out, 'runs', runs[0]), 'utf8')) as { stages: { stage: string; frozen?: { layers: number; weights: number; featureCache: { used: boolean; boundary?: string } } }[] };
  const frozenRecord = record.stages.find((st) => st.stage === 'train')?.frozen;
  assert.deepEqual([frozenRecord?.layers, frozenRecord?.weights, frozenRecord?.featureCache.used, frozenRecord?.featureCache.boundary], [104, 410208, true, 'global_average_pooling2d_GlobalAveragePooling2D1']);

  const before = await loadModelFile(TM);
  const after = await loadModelFile(path.join(out, 'teachable_machine_keras_model', 'model.json'));
  const written = new Map(after.layers.map((l) => [l.name, l]));
  let frozen = 0;
  let head = 0;
  for (const l of before.layers.filter((x) => x.weights.length)) {
    const w = written.get(l.name);
    assert.ok(w, `${l.name} is in the written model`);
    if (l.modelPath?.includes('model1')) {
      assert.equal(w.trainable, false, `${l.name} stays frozen in the file`);
      l.weights.forEach((t, i) => assert.deepEqual(w.weights[i].data, t.data, `${l.name}/${t.name} bit-equal`));
      frozen++;
    } else {
      assert.notEqual(w.trainable, false);
      assert.ok(l.weights.some((t, i) => t.data.some((v, k) => v !== w.weights[i].data[k])), `${l.name} was trained`);
      head++;
    }
  }
  assert.deepEqual([frozen, head], [104, 2]); // 52 Conv/Depthwise + 52 BatchNormalization; 2 Dense
});

void test('CLI: train.freeze with an unknown layer name exits 2 naming it and the layers', async () => {
  const cfg = path.join(dir, 'freeze.json');
  await fs.writeFile(
    cfg,
    JSON.stringify({
      model: { input: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] },
      train: { freeze: ['dense', 'nope'] },
    }),
  );
  const r = await runCli(['train', '--config', cfg, '--out', path.join(dir, 'cli-out'), '--train-limit', '100'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /train\.freeze\[1\] names "nope", which is neither a layer nor a nested model/);
  assert.match(r.stderr, /"flatten", "dense"/);
});

void test('the loop that trains is the one announced: a config Dense stack with a frozen layer → tfjs-graph; with --freeze none → the Dense loop again', async () => {
  const cfg = path.join(dir, 'dense-frozen.json');
  await fs.writeFile(
    cfg,
    JSON.stringify({ model: { input: [784], layers: [{ type: 'dense', units: 16, activation: 'relu', trainable: false }, { type: 'dense', units: 10, activation: 'softmax' }] } }),
  );
  const loops = async (extra: string[], out: string): Promise<[string, string | undefined]> => {
    const r = await runCli(['train', '--json', '--config', cfg, '--epochs', '1', '--train-limit', '256', '--test-limit', '100', '--out', path.join(dir, out), ...extra], dir);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; backend?: { trainer?: string } });
    return [events.find((e) => e.type === 'jobStarted')?.backend?.trainer ?? '', events.at(-1)?.backend?.trainer];
  };
  assert.deepEqual(await loops([], 'dense-frozen'), ['tfjs-graph', 'tfjs-graph']);
  const [started, done] = await loops(['--freeze', 'none'], 'dense-none');
  assert.notEqual(started, 'tfjs-graph');
  assert.equal(started, done, 'announced = ran');
});
