/**
 * Deployment target presets: clock, flash and RAM of a representative device per CPU class,
 * and cycles per multiply-accumulate per op class and number type, each figure with its public
 * source. Cycles per MAC are never typed in: they are derived here from the published
 * measurement they come from (inferences per second or kernel cycles, clock, and the MACs of
 * the measured model), so docs/targets.md (generated from this file by
 * scripts/gen-targets-doc.ts) shows the arithmetic as well as the result.
 *
 * Each range runs from an optimized kernel library (CMSIS-NN, X-CUBE-AI, ESP-NN, XNNPACK) to
 * plain kernels (TFLM's reference kernels, ANSI C). Where a source measures only one end, the
 * other is derived by a stated rule and marked 'derived'.
 */

/** A published measurement a cycles-per-MAC figure is computed from. */
export interface Evidence {
  id: string;
  /** What was measured, in words. */
  what: string;
  /** Where it is published (repository path or URL). */
  source: string;
  /** MACs of one inference (or one kernel call) of the measured workload. */
  macs: number;
  /** How the MACs were counted. */
  macsFrom: string;
  clockHz: number;
  /** Either throughput (MLPerf Tiny: median inferences per second) … */
  inferencesPerSecond?: number;
  /** … or cycles per call (ESP-NN's tick counts). */
  cycles?: number;
}

export function evidenceCyclesPerMac(e: Evidence): number {
  const cycles = e.cycles ?? e.clockHz / e.inferencesPerSecond!;
  return cycles / e.macs;
}

// ---- model MAC counts (closed forms, counted by us from the published architectures) -------

/**
 * MLPerf Tiny image classification (ResNet-8 on 32×32×3 CIFAR-10, mlcommons/tiny
 * benchmark/training/image_classification): conv 3×3×3→16 at 32×32; two 3×3 16→16 at 32×32;
 * 3×3 16→32 stride 2 + 3×3 32→32 + 1×1 16→32 shortcut at 16×16; the same 32→64 at 8×8; dense 64→10.
 */
export const RESNET8_MACS =
  32 * 32 * 16 * 27 + 2 * (32 * 32 * 16 * 144) + 16 * 16 * 32 * 144 + 16 * 16 * 32 * 288 + 16 * 16 * 32 * 16 + 8 * 8 * 64 * 288 + 8 * 8 * 64 * 576 + 8 * 8 * 64 * 32 + 64 * 10;

/**
 * MLPerf Tiny anomaly detection (FC autoencoder, mlcommons/tiny benchmark/training/anomaly_detection):
 * 640→128→128→128→128→8→128→128→128→128→640, all Dense.
 */
export const FC_AUTOENCODER_MACS = 640 * 128 + 3 * 128 * 128 + 128 * 8 + 8 * 128 + 3 * 128 * 128 + 128 * 640;

/** MobileNet v1 1.0 at 224×224: 569 million mult-adds (Howard et al. 2017, arXiv:1704.04861, Table 8). */
export const MOBILENET_V1_MACS = 569e6;

const MLPERF_IC = `${RESNET8_MACS.toLocaleString('en-US')} MACs: MLPerf Tiny ResNet-8, counted from the architecture`;
const MLPERF_AD = `${FC_AUTOENCODER_MACS.toLocaleString('en-US')} MACs: MLPerf Tiny FC autoencoder, counted from the architecture`;
const ESPNN = 'espressif/esp-nn README.md, "Kernelwise performance for s8 versions" (ticks at 240 MHz)';

export const EVIDENCE: Evidence[] = [
  // MLPerf Tiny: median throughput (performance/results.txt) and the system description's clock.
  { id: 'm0p-ic', what: 'Cortex-M0+ STM32G0B1RE, Bosch HALE 1.0, image classification', source: 'mlcommons/tiny_results_v1.1 closed/bosch/results/NUCLEO_G0B1RE/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 64e6, inferencesPerSecond: 0.599 },
  { id: 'm0p-ad', what: 'Cortex-M0+ STM32G0B1RE, Bosch HALE 1.0, anomaly detection', source: 'mlcommons/tiny_results_v1.1 closed/bosch/results/NUCLEO_G0B1RE/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 64e6, inferencesPerSecond: 21.484 },
  { id: 'm4-ic-tflm', what: 'Cortex-M4F STM32L4R5ZI, TensorFlow Lite Micro v2.3.1 (MLPerf Tiny reference), image classification', source: 'mlcommons/tiny_results_v0.5 closed/reference/results/Nucleo-L4R5ZI/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 120e6, inferencesPerSecond: 1.42 },
  { id: 'm4-ad-tflm', what: 'Cortex-M4F STM32L4R5ZI, TensorFlow Lite Micro v2.3.1 (MLPerf Tiny reference), anomaly detection', source: 'mlcommons/tiny_results_v0.5 closed/reference/results/Nucleo-L4R5ZI/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 120e6, inferencesPerSecond: 99.487 },
  { id: 'm4-ic', what: 'Cortex-M4F STM32L4R5ZI, X-CUBE-AI 7.3, image classification', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO_L4R5ZI/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 120e6, inferencesPerSecond: 4.407 },
  { id: 'm4-ad', what: 'Cortex-M4F STM32L4R5ZI, X-CUBE-AI 7.3, anomaly detection', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO_L4R5ZI/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 120e6, inferencesPerSecond: 131.95 },
  { id: 'm33-ic', what: 'Cortex-M33 STM32U575ZI, X-CUBE-AI 7.3, image classification', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO-U575ZI-Q/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 160e6, inferencesPerSecond: 7.158 },
  { id: 'm33-ad', what: 'Cortex-M33 STM32U575ZI, X-CUBE-AI 7.3, anomaly detection', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO-U575ZI-Q/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 160e6, inferencesPerSecond: 206.211 },
  { id: 'm7-ic', what: 'Cortex-M7 STM32H7A3ZI, X-CUBE-AI 7.3, image classification', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO-H7A3ZI-Q/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 280e6, inferencesPerSecond: 18.401 },
  { id: 'm7-ad', what: 'Cortex-M7 STM32H7A3ZI, X-CUBE-AI 7.3, anomaly detection', source: 'mlcommons/tiny_results_v1.0 closed/STMicroelectronics/results/NUCLEO-H7A3ZI-Q/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 280e6, inferencesPerSecond: 547.705 },
  { id: 'helium-ic', what: 'Cortex-M85 (Helium) RA8D1, TensorFlow Lite Micro + CMSIS-NN, image classification', source: 'mlcommons/tiny_results_v1.2 closed/Renesas/results/EK-RA8D1/ic/performance/results.txt', macs: RESNET8_MACS, macsFrom: MLPERF_IC, clockHz: 480e6, inferencesPerSecond: 117.948 },
  { id: 'helium-ad', what: 'Cortex-M85 (Helium) RA8D1, TensorFlow Lite Micro + CMSIS-NN, anomaly detection', source: 'mlcommons/tiny_results_v1.2 closed/Renesas/results/EK-RA8D1/ad/performance/results.txt', macs: FC_AUTOENCODER_MACS, macsFrom: MLPERF_AD, clockHz: 480e6, inferencesPerSecond: 1884.138 },
  // ESP-NN kernel ticks on ESP32-S3 (optimized assembly vs the library's ANSI C reference).
  { id: 's3-conv1x1-opt', what: 'ESP32-S3 ESP-NN conv 1×1, 10×10×64 → 64, optimized', source: ESPNN, macs: 10 * 10 * 64 * 64, macsFrom: 'out 10×10×64 × 64 inputs', clockHz: 240e6, cycles: 461_398 },
  { id: 's3-conv3x3-opt', what: 'ESP32-S3 ESP-NN conv 3×3, 10×10×3 → 64, no padding, optimized', source: ESPNN, macs: 8 * 8 * 64 * 27, macsFrom: 'out 8×8×64 × 3·3·3', clockHz: 240e6, cycles: 643_689 },
  { id: 's3-conv3x3-ansi', what: 'ESP32-S3 ESP-NN conv 3×3, 10×10×3 → 64, no padding, ANSI C', source: ESPNN, macs: 8 * 8 * 64 * 27, macsFrom: 'out 8×8×64 × 3·3·3', clockHz: 240e6, cycles: 2_106_801 },
  { id: 's3-dw-opt', what: 'ESP32-S3 ESP-NN depthwise 3×3, 18×18×16, no padding, optimized', source: ESPNN, macs: 16 * 16 * 16 * 9, macsFrom: 'out 16×16×16 × 3·3', clockHz: 240e6, cycles: 191_931 },
  { id: 's3-dw-ansi', what: 'ESP32-S3 ESP-NN depthwise 3×3, 18×18×16, no padding, ANSI C', source: ESPNN, macs: 16 * 16 * 16 * 9, macsFrom: 'out 16×16×16 × 3·3', clockHz: 240e6, cycles: 1_192_832 },
  { id: 's3-fc-opt', what: 'ESP32-S3 ESP-NN fully connected, 265 inputs × 3 outputs, optimized', source: ESPNN, macs: 265 * 3, macsFrom: '265 × 3', clockHz: 240e6, cycles: 4_439 },
  { id: 's3-fc-ansi', what: 'ESP32-S3 ESP-NN fully connected, 265 inputs × 3 outputs, ANSI C', source: ESPNN, macs: 265 * 3, macsFrom: '265 × 3', clockHz: 240e6, cycles: 12_290 },
  // Phone CPUs: TFLite's published single-thread benchmarks (one big core).
  { id: 'phone-int8-slow', what: 'Pixel 2 (Snapdragon 835 big core, 2.45 GHz), TFLite 1 thread, MobileNet v1 1.0 224 quant: 65.4 ms', source: 'https://www.tensorflow.org/lite/performance/benchmarks', macs: MOBILENET_V1_MACS, macsFrom: 'MobileNet v1 paper: 569 M mult-adds', clockHz: 2.45e9, inferencesPerSecond: 1000 / 65.4 },
  { id: 'phone-int8-fast', what: 'iPhone 8 (A11, 2.39 GHz), TFLite 1 thread, MobileNet v1 1.0 224 quant: 24.4 ms', source: 'https://www.tensorflow.org/lite/performance/benchmarks', macs: MOBILENET_V1_MACS, macsFrom: 'MobileNet v1 paper: 569 M mult-adds', clockHz: 2.39e9, inferencesPerSecond: 1000 / 24.4 },
  { id: 'phone-float-slow', what: 'Pixel 2 (Snapdragon 835 big core, 2.45 GHz), TFLite 1 thread, MobileNet v1 1.0 224 float: 123.3 ms', source: 'https://www.tensorflow.org/lite/performance/benchmarks', macs: MOBILENET_V1_MACS, macsFrom: 'MobileNet v1 paper: 569 M mult-adds', clockHz: 2.45e9, inferencesPerSecond: 1000 / 123.3 },
  { id: 'phone-float-fast', what: 'iPhone 8 (A11, 2.39 GHz), TFLite 1 thread, MobileNet v1 1.0 224 float: 32.2 ms', source: 'https://www.tensorflow.org/lite/performance/benchmarks', macs: MOBILENET_V1_MACS, macsFrom: 'MobileNet v1 paper: 569 M mult-adds', clockHz: 2.39e9, inferencesPerSecond: 1000 / 32.2 },
];

const byId = new Map(EVIDENCE.map((e) => [e.id, e]));
const cpm = (id: string): number => evidenceCyclesPerMac(byId.get(id)!);

/** One end of a range: a figure and how it was obtained. */
export interface Bound {
  cyclesPerMac: number;
  /** Evidence id, or the derivation rule in words. */
  basis: string;
  derived: boolean;
}

export interface CyclesRange {
  low: Bound;
  high: Bound;
}

export type OpClass = 'conv' | 'depthwise' | 'fc';
export type NumberType = 'int8' | 'float32';

/**
 * Where a source measures only the optimized end: TFLM's reference submission on the M4 needs
 * this many times the cycles of the vendor-optimized engine on the same board (conv and FC).
 */
export const REFERENCE_OVER_OPTIMIZED = { conv: cpm('m4-ic-tflm') / cpm('m4-ic'), fc: cpm('m4-ad-tflm') / cpm('m4-ad') };

const measured = (id: string): Bound => ({ cyclesPerMac: cpm(id), basis: id, derived: false });
const scaled = (b: Bound, factor: number, rule: string): Bound => ({ cyclesPerMac: b.cyclesPerMac * factor, basis: `${b.basis} × ${factor.toFixed(2)} (${rule})`, derived: true });
const range = (low: Bound, high: Bound): CyclesRange => ({ low, high });

/** Depthwise kernels reach a lower MAC utilisation than conv (ESP-NN: 5.2 vs 1.1–5.8 cycles/MAC): the conv range with its high end doubled. */
function depthwiseFromConv(conv: CyclesRange): CyclesRange {
  return range({ ...conv.low, basis: `${conv.low.basis} (conv figure)`, derived: true }, scaled(conv.high, 2, 'depthwise: conv high end doubled'));
}

/** Float32 on an MCU with an FPU: no SIMD applies, so never faster than int8 plain kernels; up to twice that. */
function floatFromInt8(i8: CyclesRange, factor: [number, number], rule: string): CyclesRange {
  return range(scaled(i8.high, factor[0], rule), scaled(i8.high, factor[1], rule));
}

function mcuTable(conv: CyclesRange, fc: CyclesRange, floatFactor: [number, number], floatRule: string): Record<NumberType, Record<OpClass, CyclesRange>> {
  const dw = depthwiseFromConv(conv);
  return {
    int8: { conv, depthwise: dw, fc },
    float32: { conv: floatFromInt8(conv, floatFactor, floatRule), depthwise: floatFromInt8(dw, floatFactor, floatRule), fc: floatFromInt8(fc, floatFactor, floatRule) },
  };
}

/** Optimized figure measured, plain-kernel figure derived from the M4 ratio. */
function optimizedOnly(convId: string, fcId: string): [CyclesRange, CyclesRange] {
  const c = measured(convId);
  const f = measured(fcId);
  return [
    range(c, scaled(c, REFERENCE_OVER_OPTIMIZED.conv, 'TFLM reference / X-CUBE-AI on the M4')),
    range(f, scaled(f, REFERENCE_OVER_OPTIMIZED.fc, 'TFLM reference / X-CUBE-AI on the M4')),
  ];
}

export interface SourcedNumber {
  value: number;
  source: string;
}

export interface TargetPreset {
  name: string;
  label: string;
  kind: 'mcu' | 'phone';
  /** The representative device the clock and memory figures are from. */
  device: string;
  clockHz: SourcedNumber;
  /** Flash (program + model) available; for a phone, app storage is not a constraint (null). */
  flashBytes: SourcedNumber | null;
  /** RAM for the tensor arena; for a phone, not a constraint (null). */
  ramBytes: SourcedNumber | null;
  cyclesPerMac: Record<NumberType, Record<OpClass, CyclesRange>>;
  notes: string;
}

const KB = 1024;
const MLPERF_SYS = (repo: string, p: string): string => `mlcommons/${repo} ${p} (system description)`;
const FPU_FLOAT: [[number, number], string] = [[1, 2], 'float32: FPU, no int8 SIMD; 1–2× the int8 plain-kernel figure'];

const m0p = optimizedOnly('m0p-ic', 'm0p-ad');
const m4conv = range(measured('m4-ic'), measured('m4-ic-tflm'));
const m4fc = range(measured('m4-ad'), measured('m4-ad-tflm'));
const m33 = optimizedOnly('m33-ic', 'm33-ad');
const m7 = optimizedOnly('m7-ic', 'm7-ad');

export const TARGETS: TargetPreset[] = [
  {
    name: 'cortex-m0plus',
    label: 'Cortex-M0+',
    kind: 'mcu',
    device: 'STM32G0B1RE',
    clockHz: { value: 64e6, source: MLPERF_SYS('tiny_results_v1.1', 'closed/bosch/systems/NUCLEO_G0B1RE.json') },
    flashBytes: { value: 512 * KB, source: MLPERF_SYS('tiny_results_v1.1', 'closed/bosch/systems/NUCLEO_G0B1RE.json') },
    ramBytes: { value: 144 * KB, source: MLPERF_SYS('tiny_results_v1.1', 'closed/bosch/systems/NUCLEO_G0B1RE.json') },
    cyclesPerMac: mcuTable(m0p[0], m0p[1], [4, 10], 'float32 on a core without FPU: software floating point, 4–10× the int8 plain-kernel figure'),
    notes: 'No DSP extension and no FPU: int8 is the only practical format; float32 runs in software floating point.',
  },
  {
    name: 'cortex-m4f',
    label: 'Cortex-M4F',
    kind: 'mcu',
    device: 'STM32L4R5ZI',
    clockHz: { value: 120e6, source: MLPERF_SYS('tiny_results_v0.5', 'closed/reference/systems/Nucleo_L4R5ZI_System_Description.json') },
    flashBytes: { value: 2048 * KB, source: MLPERF_SYS('tiny_results_v0.5', 'closed/reference/systems/Nucleo_L4R5ZI_System_Description.json') },
    ramBytes: { value: 640 * KB, source: MLPERF_SYS('tiny_results_v0.5', 'closed/reference/systems/Nucleo_L4R5ZI_System_Description.json') },
    cyclesPerMac: mcuTable(m4conv, m4fc, ...FPU_FLOAT),
    notes: 'DSP extension (2×16-bit MAC per cycle, used by CMSIS-NN for int8) and a single-precision FPU.',
  },
  {
    name: 'cortex-m7',
    label: 'Cortex-M7',
    kind: 'mcu',
    device: 'STM32H7A3ZI',
    clockHz: { value: 280e6, source: MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-H7A3ZI-Q/NUCLEO_H7A3ZI_Q_system_description.json') },
    flashBytes: { value: 2048 * KB, source: MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-H7A3ZI-Q/NUCLEO_H7A3ZI_Q_system_description.json') },
    ramBytes: { value: 1_190_000, source: `${MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-H7A3ZI-Q/NUCLEO_H7A3ZI_Q_system_description.json')}: "1.19MB", taken as 1,190,000 B` },
    cyclesPerMac: mcuTable(m7[0], m7[1], ...FPU_FLOAT),
    notes: 'Dual-issue core with the DSP extension and an FPU; the RAM is split into banks (TCM, AXI SRAM): the arena must fit one contiguous region.',
  },
  {
    name: 'cortex-m33',
    label: 'Cortex-M33',
    kind: 'mcu',
    device: 'STM32U575ZI',
    clockHz: { value: 160e6, source: MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-U575ZI-Q/NUCLEO-U575ZI-Q_system_description.json') },
    flashBytes: { value: 2048 * KB, source: MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-U575ZI-Q/NUCLEO-U575ZI-Q_system_description.json') },
    ramBytes: { value: 768 * KB, source: MLPERF_SYS('tiny_results_v1.0', 'closed/STMicroelectronics/systems/NUCLEO-U575ZI-Q/NUCLEO-U575ZI-Q_system_description.json') },
    cyclesPerMac: mcuTable(m33[0], m33[1], ...FPU_FLOAT),
    notes: 'Armv8-M mainline with the optional DSP extension and FPU (as on the STM32U5).',
  },
  {
    name: 'cortex-m55',
    label: 'Cortex-M55 (Helium)',
    kind: 'mcu',
    device: 'Alif Ensemble E7, high-performance core',
    clockHz: { value: 400e6, source: 'https://alifsemi.com/whitepaper/alif-mcu-ram-regions-and-linker-files/ (high-performance region at 400 MHz)' },
    flashBytes: { value: 2048 * KB, source: 'assumption: no flash (MRAM) figure for this part in our sources; the other presets\' 2 MiB' },
    ramBytes: { value: 1024 * KB, source: 'https://alifsemi.com/whitepaper/alif-mcu-ram-regions-and-linker-files/ (SRAM3, the high-performance core\'s 1 MiB data TCM)' },
    cyclesPerMac: mcuTable(
      range(measured('helium-ic'), measured('m7-ic')),
      range(measured('helium-ad'), measured('m7-ad')),
      ...FPU_FLOAT,
    ),
    notes:
      'No public TFLM figure for a Cortex-M55 was found; the range is bracketed by the Cortex-M85 (same Helium vector extension, larger core: the fast end) and the Cortex-M7 (DSP extension only: the slow end).',
  },
  {
    name: 'esp32-s3',
    label: 'ESP32-S3',
    kind: 'mcu',
    device: 'ESP32-S3 (one Xtensa LX7 core)',
    clockHz: { value: 240e6, source: 'espressif/esp-nn README.md ("Chip config: 240MHz")' },
    flashBytes: { value: 8 * 1024 * KB, source: 'https://docs.zephyrproject.org/4.2.0-rc1/boards/seeed/xiao_esp32s3/doc/index.html (XIAO ESP32S3: 8 MB flash; modules have 4–32 MB)' },
    ramBytes: { value: 512 * KB, source: 'https://github.com/SoCXin/ESP32S3 (512 KB SRAM; PSRAM optional)' },
    cyclesPerMac: {
      int8: {
        conv: range(measured('s3-conv1x1-opt'), measured('s3-conv3x3-ansi')),
        depthwise: range(measured('s3-dw-opt'), measured('s3-dw-ansi')),
        fc: range(measured('s3-fc-opt'), measured('s3-fc-ansi')),
      },
      float32: {
        conv: floatFromInt8(range(measured('s3-conv1x1-opt'), measured('s3-conv3x3-ansi')), ...FPU_FLOAT),
        depthwise: floatFromInt8(range(measured('s3-dw-opt'), measured('s3-dw-ansi')), ...FPU_FLOAT),
        fc: floatFromInt8(range(measured('s3-fc-opt'), measured('s3-fc-ansi')), ...FPU_FLOAT),
      },
    },
    notes: 'Vector instructions used by ESP-NN (int8); single-precision FPU. ESP-NN ran these kernels with data in external PSRAM for conv/depthwise, internal RAM for FC.',
  },
  {
    name: 'phone',
    label: 'Phone CPU (one big core)',
    kind: 'phone',
    device: 'Pixel 2 / iPhone 8 class, one thread',
    clockHz: { value: 2.4e9, source: 'Snapdragon 835 big cores 2.45 GHz, Apple A11 2.39 GHz: 2.4 GHz nominal' },
    flashBytes: null,
    ramBytes: null,
    cyclesPerMac: {
      int8: { conv: range(measured('phone-int8-fast'), measured('phone-int8-slow')), depthwise: range(measured('phone-int8-fast'), measured('phone-int8-slow')), fc: range(measured('phone-int8-fast'), measured('phone-int8-slow')) },
      float32: { conv: range(measured('phone-float-fast'), measured('phone-float-slow')), depthwise: range(measured('phone-float-fast'), measured('phone-float-slow')), fc: range(measured('phone-float-fast'), measured('phone-float-slow')) },
    },
    notes: 'Whole-model MobileNet figures (conv + depthwise) stand for every op class; memory is not a constraint at this model size, and TFLM compatibility does not apply (phones run the TFLite runtime).',
  },
];

export const TARGET_NAMES: readonly string[] = TARGETS.map((t) => t.name);

export function findTarget(name: string): TargetPreset | undefined {
  return TARGETS.find((t) => t.name === name);
}
