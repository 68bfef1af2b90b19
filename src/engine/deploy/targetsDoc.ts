/**
 * docs/targets.md, rendered from targets.ts (scripts/gen-targets-doc.ts writes it; a unit test
 * keeps the file equal to this rendering), so the table in the repository and the figures the
 * code uses cannot drift apart.
 */
import { EVIDENCE, FC_AUTOENCODER_MACS, REFERENCE_OVER_OPTIMIZED, RESNET8_MACS, TARGETS, evidenceCyclesPerMac, type Bound, type OpClass } from './targets';

const n = (x: number): string => x.toLocaleString('en-US');
const c = (x: number): string => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const bytes = (x: number): string => (x >= 1024 * 1024 && x % (1024 * 1024) === 0 ? `${x / (1024 * 1024)} MiB` : x % 1024 === 0 ? `${x / 1024} KiB` : `${n(x)} B`);
const bound = (b: Bound): string => `${c(b.cyclesPerMac)}${b.derived ? '*' : ''}`;

export function renderTargetsDoc(): string {
  const lines: string[] = [
    '# Deployment target presets',
    '',
    '<!-- Generated from src/engine/deploy/targets.ts by `npx tsx scripts/gen-targets-doc.ts`; edit the source, not this file. -->',
    '',
    '`model-optimizer deploy --target NAME` (or `deploy.target` in model-optimizer.json) checks a `.tflite` against one of these presets; the deploy report lists all of them.',
    '',
    '**Latency** per inference = Σ over operators of MACs × cycles/MAC ÷ clock, with the cycles/MAC row of the operator\'s class (conv, depthwise, fc; pooling and element-wise ops count as fc) and number type (int8 when its input is quantized, else float32).',
    'It is shown as a range: the fast end uses optimized kernel libraries (CMSIS-NN, X-CUBE-AI, ESP-NN, XNNPACK), the slow end plain kernels (TFLM\'s reference kernels, ANSI C).',
    'These are whole-network averages: they include each network\'s non-MAC work (activation, requantization, pooling), so a network of the same MACs but other shapes can land outside the range. Measure on the device before committing to a deadline.',
    '',
    '**Fits** compares the model array (flash) and the tensor-arena estimate (RAM) with the preset\'s budget. Program code (the TFLM interpreter and kernels) and the application\'s own RAM come on top.',
    '',
    '## Presets',
    '',
    '| Preset | Device | Clock | Flash | RAM | Notes |',
    '|---|---|---:|---:|---:|---|',
  ];
  for (const t of TARGETS) {
    lines.push(
      `| \`${t.name}\` (${t.label}) | ${t.device} | ${n(t.clockHz.value / 1e6)} MHz | ${t.flashBytes ? bytes(t.flashBytes.value) : 'no limit'} | ${t.ramBytes ? bytes(t.ramBytes.value) : 'no limit'} | ${t.notes} |`,
    );
  }
  lines.push('', 'Sources of the clock and memory figures:', '');
  for (const t of TARGETS) {
    lines.push(`- \`${t.name}\`: clock: ${t.clockHz.source}; flash: ${t.flashBytes?.source ?? 'not a constraint'}; RAM: ${t.ramBytes?.source ?? 'not a constraint'}.`);
  }
  lines.push('', '## Cycles per MAC (fast – slow)', '', '`*` = derived by a rule below rather than measured directly.', '', '| Preset | int8 conv | int8 depthwise | int8 fc | float32 conv | float32 depthwise | float32 fc |', '|---|---:|---:|---:|---:|---:|---:|');
  const classes: OpClass[] = ['conv', 'depthwise', 'fc'];
  for (const t of TARGETS) {
    const cells = (['int8', 'float32'] as const).flatMap((ty) => classes.map((k) => `${bound(t.cyclesPerMac[ty][k].low)} – ${bound(t.cyclesPerMac[ty][k].high)}`));
    lines.push(`| \`${t.name}\` | ${cells.join(' | ')} |`);
  }
  lines.push('', '### How each figure was obtained', '');
  for (const t of TARGETS) {
    lines.push(`- \`${t.name}\`:`);
    for (const ty of ['int8', 'float32'] as const) {
      for (const k of classes) {
        const r = t.cyclesPerMac[ty][k];
        lines.push(`  - ${ty} ${k}: ${c(r.low.cyclesPerMac)} from ${r.low.basis}; ${c(r.high.cyclesPerMac)} from ${r.high.basis}.`);
      }
    }
  }
  lines.push(
    '',
    '## Measurements',
    '',
    'Cycles/MAC = clock ÷ (inferences per second × MACs per inference), or kernel cycles ÷ MACs.',
    `MLPerf Tiny models: image classification (ResNet-8) has ${n(RESNET8_MACS)} MACs and anomaly detection (FC autoencoder) ${n(FC_AUTOENCODER_MACS)} MACs, counted by us from the reference architectures (closed forms in targets.ts).`,
    '',
    '| Id | Measurement | Clock | MACs | Throughput / cycles | Cycles/MAC | Source |',
    '|---|---|---:|---:|---:|---:|---|',
  );
  for (const e of EVIDENCE) {
    const rate = e.cycles !== undefined ? `${n(e.cycles)} cycles` : `${e.inferencesPerSecond!.toPrecision(5)} inf/s`;
    lines.push(`| ${e.id} | ${e.what} | ${n(e.clockHz / 1e6)} MHz | ${n(e.macs)} | ${rate} | ${c(evidenceCyclesPerMac(e))} | ${e.source} |`);
  }
  lines.push(
    '',
    '## Derivation rules',
    '',
    `- Plain-kernel end where a source measured only the optimized engine: × ${REFERENCE_OVER_OPTIMIZED.conv.toFixed(2)} (conv) and × ${REFERENCE_OVER_OPTIMIZED.fc.toFixed(2)} (fc), the ratio of TFLM's MLPerf Tiny reference submission to X-CUBE-AI on the same Cortex-M4 board (m4-ic-tflm / m4-ic, m4-ad-tflm / m4-ad).`,
    '- Depthwise on Cortex-M: the conv range with its slow end doubled (depthwise reaches a lower MAC utilisation; ESP-NN measures 5.2 cycles/MAC for depthwise against 1.1–5.8 for conv).',
    '- float32 on a core with an FPU: no int8 SIMD applies, so 1–2× the int8 slow end; on the Cortex-M0+ (no FPU, software floating point) 4–10×.',
    '- Cortex-M55: no public TFLM measurement on an M55 was found; its range runs from the Cortex-M85 (same Helium vector extension, bigger core) to the Cortex-M7 (DSP extension only).',
    '',
  );
  return lines.join('\n');
}
