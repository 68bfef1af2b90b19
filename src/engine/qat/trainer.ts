/**
 * A GraphTrainer running the quantization-aware forward pass (forward.ts). The fast Dense
 * trainers (the SIMD kernel, the TF.js Dense loop) compute hand-written gradients with no
 * place for fake quantization, so QAT always trains on the generic trainer (TF.js autodiff).
 */
import type { SampleValues } from '../graph/input';
import type { ModelGraph } from '../graph/types';
import { GraphTrainer } from '../train/graphTrainer';
import { weightKey, type WeightMasks } from '../train/trainer';
import { planQat, qatForward, QatState } from './forward';

export interface QatOptions {
  /** Weights per channel (quantize.perChannel), as the export will write them. */
  perChannel: boolean;
  /** Moving-average decay of the activation ranges (tfmot: 0.999). */
  emaDecay: number;
}

export function createQatTrainer(graph: ModelGraph, learningRate: number, seed: number, opts: QatOptions): { trainer: GraphTrainer; state: QatState } {
  const state = new QatState(planQat(graph, opts.perChannel), opts.emaDecay);
  const trainer = new GraphTrainer(graph, learningRate, seed);
  trainer.setForward(qatForward(state));
  return { trainer, state };
}

/**
 * Initial ranges: the min and max of every quantized activation over `count` samples (the
 * post-training calibration's ranges, seen with the weights already int8), so fine-tuning
 * starts from the PTQ model rather than from tfmot's arbitrary [−6, 6].
 */
export function observeRanges(trainer: GraphTrainer, state: QatState, samples: SampleValues, count: number): void {
  state.mode = 'observe';
  try {
    trainer.predict(samples, count);
  } finally {
    state.mode = 'quantize';
  }
}

/**
 * Masks that keep every zero of the model's int8 weights at zero (pruning-preserving QAT):
 * one per weight that has zeros, none for dense weights.
 */
export function zeroMasks(graph: ModelGraph, state: QatState): WeightMasks {
  const masks: WeightMasks = new Map();
  for (const node of graph.layers) {
    for (const i of state.plan.weights.get(node.name)?.keys() ?? []) {
      const w = node.weights[i];
      if (w.data.some((v) => v === 0)) {
        masks.set(weightKey(node.name, w.name), Float32Array.from(w.data, (v) => (v === 0 ? 0 : 1)));
      }
    }
  }
  return masks;
}
