/**
 * Memory a training run will need, estimated before anything is allocated, so a config that
 * validates but cannot fit (`model.hidden: [65536, 65536]`: 4.3 G parameters) is refused in
 * seconds with the figures, instead of growing until the machine swaps or the OS kills it.
 *
 * The estimate is per layer, so any model can feed it (the MLP today, the layer graph later):
 *   parameters × 4 bytes × (weights + gradients + 2 Adam moments [+ pruning mask])
 * + activations per sample × batch × 4 bytes × 2 (forward values kept for backprop + their gradients)
 * + the dataset as held in memory (uint8 images) + one float32 batch of inputs.
 * It is a lower bound on what the trainers allocate (no allocator overhead, no temporaries).
 */
import * as os from 'node:os';
import { BadInputError } from '../errors';

const F32 = 4;

export interface LayerFootprint {
  name: string;
  /** Trainable parameters of the layer. */
  params: number;
  /** Output values per sample (e.g. units of a Dense layer, H×W×C of a convolution). */
  activations: number;
}

export interface MemoryInputs {
  layers: readonly LayerFootprint[];
  /** Input values per sample. */
  inputValues: number;
  batchSize: number;
  /** Bytes of the dataset held in memory for the run. */
  datasetBytes: number;
  /** Optimizer state copies per parameter (Adam: 2 moments). */
  optimizerSlots?: number;
  /** Extra per-parameter copies (e.g. 1 for pruning masks). */
  extraCopies?: number;
}

export interface MemoryEstimate {
  weights: number;
  gradients: number;
  optimizer: number;
  extra: number;
  activations: number;
  dataset: number;
  total: number;
  /** The biggest layer by parameters, for the message. */
  largest: LayerFootprint | null;
  params: number;
}

export function estimateTrainingMemory(inp: MemoryInputs): MemoryEstimate {
  const params = inp.layers.reduce((n, l) => n + l.params, 0);
  const perSample = inp.inputValues + inp.layers.reduce((n, l) => n + l.activations, 0);
  const weights = params * F32;
  const gradients = params * F32;
  const optimizer = params * F32 * (inp.optimizerSlots ?? 2);
  const extra = params * F32 * (inp.extraCopies ?? 0);
  const activations = perSample * inp.batchSize * F32 * 2;
  const dataset = inp.datasetBytes;
  const largest = inp.layers.reduce<LayerFootprint | null>((a, l) => (a === null || l.params > a.params ? l : a), null);
  return { weights, gradients, optimizer, extra, activations, dataset, total: weights + gradients + optimizer + extra + activations + dataset, largest, params };
}

/** The per-layer footprint of a stack of Dense layers (inputs → hidden… → classes). */
export function denseStackFootprint(inputDim: number, hidden: readonly number[], classes: number): LayerFootprint[] {
  const widths = [...hidden, classes];
  let fanIn = inputDim;
  return widths.map((units, i) => {
    const l: LayerFootprint = { name: i === 0 ? 'dense' : `dense_${i}`, params: fanIn * units + units, activations: units };
    fanIn = units;
    return l;
  });
}

/** The default limit: half of the machine's memory (the OS, the editor and other work need the rest). */
export function defaultMemoryLimitBytes(): number {
  return Math.floor(os.totalmem() / 2);
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/**
 * Throws a BadInputError (with the estimate) when `e.total` exceeds `limitBytes`. `where` and
 * `fix` name the config field to change.
 */
export function assertFitsInMemory(e: MemoryEstimate, limitBytes: number, where: string, fix: string): void {
  if (e.total <= limitBytes) {
    return;
  }
  const parts = [
    `weights ${formatBytes(e.weights)}`,
    `gradients ${formatBytes(e.gradients)}`,
    `optimizer state ${formatBytes(e.optimizer)}`,
    ...(e.extra > 0 ? [`pruning masks ${formatBytes(e.extra)}`] : []),
    `batch activations ${formatBytes(e.activations)}`,
    `dataset ${formatBytes(e.dataset)}`,
  ];
  const largest = e.largest ? `; the largest layer, ${e.largest.name}, has ${e.largest.params.toLocaleString('en-US')} parameters` : '';
  throw new BadInputError(
    `This run would need about ${formatBytes(e.total)} of memory (${e.params.toLocaleString('en-US')} parameters: ${parts.join(', ')}${largest}), ` +
      `more than the limit of ${formatBytes(limitBytes)}. ${fix} If the machine really has the memory, raise train.memoryLimitMB.`,
    where,
  );
}
