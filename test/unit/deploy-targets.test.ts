/**
 * Target presets and latency (issue 12): the MAC counts and cycles-per-MAC figures recomputed
 * by hand from the published measurements, latency = Σ MACs × cycles/MAC ÷ clock, fits / does
 * not fit against each preset's flash and RAM, --target / deploy.target validation, and
 * docs/targets.md equal to its generator's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runDeploy } from '../../src/cli/deploy';
import { resolveConfig } from '../../src/engine/config';
import { estimateLatencyMs } from '../../src/engine/deploy/latency';
import { analyzeDeploy } from '../../src/engine/deploy/report';
import { EVIDENCE, FC_AUTOENCODER_MACS, RESNET8_MACS, TARGETS, evidenceCyclesPerMac, findTarget } from '../../src/engine/deploy/targets';
import { renderTargetsDoc } from '../../src/engine/deploy/targetsDoc';
import { BadInputError } from '../../src/engine/errors';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { mnist, randomModel, tempDir } from './export-helpers';

void test('MLPerf Tiny MAC counts: ResNet-8 12,501,632 and the FC autoencoder 264,192 (worked by hand)', () => {
  // ResNet-8: stem 32·32·16·27 = 442,368; stack 1: 2 × 32·32·16·144 = 4,718,592; stack 2: 16·16·32·(144 + 288 + 16) = 3,670,016;
  // stack 3: 8·8·64·(288 + 576 + 32) = 3,670,016; dense 640. Sum 12,501,632.
  assert.equal(RESNET8_MACS, 442_368 + 4_718_592 + 3_670_016 + 3_670_016 + 640);
  // 640·128 twice (in and out) + 6 × 128·128 + 2 × 128·8.
  assert.equal(FC_AUTOENCODER_MACS, 2 * 81_920 + 6 * 16_384 + 2 * 1_024);
});

void test('cycles per MAC = clock ÷ (inferences/s × MACs), or cycles ÷ MACs: spot checks by hand', () => {
  const e = (id: string): number => evidenceCyclesPerMac(EVIDENCE.find((x) => x.id === id)!);
  // TFLM on the M4 (120 MHz): 1.420 inf/s of ResNet-8 → 84.5 M cycles per inference.
  assert.ok(Math.abs(e('m4-ic-tflm') - 120e6 / 1.42 / 12_501_632) < 1e-12);
  assert.ok(Math.abs(e('m4-ic-tflm') - 6.76) < 0.005);
  // ESP-NN depthwise 3×3 on 18×18×16 (valid): 16·16·16·9 = 36,864 MACs in 191,931 ticks.
  assert.ok(Math.abs(e('s3-dw-opt') - 191_931 / 36_864) < 1e-12);
  // Every figure is positive and finite; every bound cites an existing measurement.
  const ids = new Set(EVIDENCE.map((x) => x.id));
  for (const t of TARGETS) {
    for (const ty of ['int8', 'float32'] as const) {
      for (const k of ['conv', 'depthwise', 'fc'] as const) {
        const r = t.cyclesPerMac[ty][k];
        assert.ok(r.low.cyclesPerMac > 0 && Number.isFinite(r.high.cyclesPerMac), `${t.name} ${ty} ${k}`);
        assert.ok(r.low.cyclesPerMac <= r.high.cyclesPerMac, `${t.name} ${ty} ${k}: fast end above slow end`);
        for (const b of [r.low, r.high]) {
          assert.ok(ids.has(b.basis.split(' ')[0]), `${t.name} ${ty} ${k}: basis "${b.basis}" names no measurement`);
          assert.equal(b.derived, b.basis !== b.basis.split(' ')[0], `${t.name}: a derived figure must say its rule`);
        }
      }
    }
    assert.ok(t.clockHz.source.length > 10 && (t.kind === 'phone' || (t.flashBytes!.source.length > 10 && t.ramBytes!.source.length > 10)), t.name);
  }
});

void test('latency = Σ MACs × cycles/MAC ÷ clock, per op class and number type', () => {
  const m4 = findTarget('cortex-m4f')!;
  // On the M4 preset (120 MHz, the clock of its own measurements) a conv-only int8 network takes
  // MACs / (inf/s × ResNet-8 MACs) seconds at each end: X-CUBE-AI's 4.407 inf/s and TFLM's 1.42.
  const r = estimateLatencyMs([{ macs: 101_632, opClass: 'conv', numberType: 'int8' }], m4);
  assert.ok(Math.abs(r.low - (101_632 / (4.407 * 12_501_632)) * 1000) < 1e-9);
  assert.ok(Math.abs(r.high - (101_632 / (1.42 * 12_501_632)) * 1000) < 1e-9);
  // Layers add; a float FC layer uses the float fc row; zero-MAC layers cost nothing here.
  const mixed = estimateLatencyMs(
    [
      { macs: 1000, opClass: 'fc', numberType: 'float32' },
      { macs: 500, opClass: 'depthwise', numberType: 'int8' },
      { macs: 0, opClass: 'fc', numberType: 'int8' },
    ],
    m4,
  );
  const f = m4.cyclesPerMac;
  assert.ok(Math.abs(mixed.low - ((1000 * f.float32.fc.low.cyclesPerMac + 500 * f.int8.depthwise.low.cyclesPerMac) / 120e6) * 1000) < 1e-12);
  assert.ok(Math.abs(mixed.high - ((1000 * f.float32.fc.high.cyclesPerMac + 500 * f.int8.depthwise.high.cyclesPerMac) / 120e6) * 1000) < 1e-12);
});

void test('fits / does not fit: a file larger than the M0+ flash, an arena larger than its RAM; --target and deploy.target', async () => {
  const { train } = await mnist(200, 1);
  const dir = await tempDir('deploy-targets');
  // float32 784→256→10: 203,264 weights × 4 B ≈ 813 KB: over the M0+'s 512 KiB, under the M4F's 2 MiB.
  const big = tfliteBytes(randomModel('big', [784, 256, 10]), 'float32').data;
  const bigFile = path.join(dir, 'big_float32.tflite');
  await fs.writeFile(bigFile, big);
  const r = analyzeDeploy(bigFile, big, { target: 'cortex-m0plus' });
  assert.equal(r.targets['cortex-m0plus'].fits_flash, false);
  assert.equal(r.targets['cortex-m4f'].fits_flash, true);
  assert.equal(r.targets['phone'].fits_flash, null);
  assert.ok(r.findings.some((x) => x.code === 'exceeds-target-flash' && x.message.includes('Cortex-M0+')));
  // Every preset's latency in the report is the estimate from its layers.
  for (const t of TARGETS) {
    assert.deepEqual(r.latency_ms[t.name], estimateLatencyMs(r.layers, t));
  }
  // The dynamic-int8 DEQUANTIZE form keeps 784·256·4 B of float weights in the arena: over the M0+'s 144 KiB and the M4F's 640 KiB RAM.
  const deq = tfliteBytes(randomModel('deq', [784, 256, 10]), 'dynamic-int8', { dynamicForm: 'dequantize' }).data;
  const rd = analyzeDeploy(path.join(dir, 'deq.tflite'), deq, { target: 'cortex-m0plus', maxLatencyMs: 0.001 });
  assert.ok(rd.arena_bytes > 784 * 256 * 4);
  assert.equal(rd.targets['cortex-m0plus'].fits_ram, false);
  assert.equal(rd.targets['cortex-m4f'].fits_ram, false); // 802,816 B of dequantized weights > 640 KiB
  assert.equal(rd.targets['cortex-m7'].fits_ram, true);
  assert.ok(rd.findings.some((x) => x.code === 'exceeds-target-ram'));
  assert.ok(rd.findings.some((x) => x.code === 'exceeds-latency-budget'));
  assert.equal(rd.targets['cortex-m0plus'].ok, false);
  // A full-int8 file of the same model fits the M0+ and meets a generous budget.
  const small = tfliteBytes(randomModel('small', [784, 32, 10]), 'full-int8', { representative: { images: train.images, count: 200 }, perChannel: true }).data;
  const rs = analyzeDeploy(path.join(dir, 'small.tflite'), small, { target: 'cortex-m0plus', maxLatencyMs: 1000 });
  assert.equal(rs.targets['cortex-m0plus'].ok, true);
  assert.equal(rs.findings.filter((x) => x.message.startsWith('[cortex-m0plus]')).length, 0);
  // Unknown targets are bad input (exit 2), a target the file does not fit exits 1.
  assert.throws(() => analyzeDeploy(bigFile, big, { target: 'cortex-m99' }), BadInputError);
  const quiet = async (argv: string[]): Promise<number> => {
    const w = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    process.stdout.write = (() => true);
    process.stderr.write = (() => true);
    try {
      return await runDeploy(argv);
    } finally {
      process.stdout.write = w;
      process.stderr.write = e;
    }
  };
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--target', 'cortex-m99']), 2);
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--max-latency-ms', '-3']), 2);
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--target', 'cortex-m0plus']), 1);
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--target', 'cortex-m4f']), 0);
  const written = JSON.parse(await fs.readFile(path.join(dir, 'big_float32_deploy.json'), 'utf8')) as { target: string; targets: Record<string, { ok: boolean }> };
  assert.equal(written.target, 'cortex-m4f');
  // deploy.target from a config file, overridden by --target.
  const cfg = path.join(dir, 'model-optimizer.json');
  await fs.writeFile(cfg, JSON.stringify({ deploy: { target: 'cortex-m0plus' } }));
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--config', cfg]), 1);
  assert.equal(await quiet(['--model', bigFile, '--out', dir, '--config', cfg, '--target', 'cortex-m7']), 0);
  assert.throws(() => resolveConfig({ deploy: { target: 'arduino' } }), /deploy\.target/);
  assert.throws(() => resolveConfig({ deploy: { maxLatencyMs: 0 } }), /deploy\.maxLatencyMs/);
  assert.equal(resolveConfig({ deploy: { target: 'esp32-s3', maxLatencyMs: 20 } }).deploy.target, 'esp32-s3');
  await fs.rm(dir, { recursive: true, force: true });
});

void test('docs/targets.md is up to date (regenerate: npx tsx scripts/gen-targets-doc.ts)', () => {
  const file = path.join(import.meta.dirname, '..', '..', 'docs', 'targets.md');
  assert.equal(readFileSync(file, 'utf8'), renderTargetsDoc());
});
