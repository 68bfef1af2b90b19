/**
 * Chooses the training loop for a model on the selected backend:
 * - the WASM SIMD kernel (src/engine/kernel) when the TF.js backend is wasm and the kernel
 *   supports the model (Dense relu… → softmax) — the fast path of issue 6;
 * - the TF.js trainer otherwise (tfjs-node, cpu, or layer types the kernel does not cover).
 * The choice is written into `backend.trainer` (and the reason for a fallback into
 * `backend.detail`) so the panel, the CLI and the run record show what really ran.
 */
import type { FreezeSpec, ModelConfig } from '../../protocol/config';
import type { BackendInfo } from '../../protocol/engine';
import { createKernelTrainer, kernelSupports, kernelUnavailableReason } from '../kernel/kernelTrainer';
import type { MlpModel } from '../model/mlp';
import { TfjsTrainer } from './tfjsTrainer';
import type { Trainer } from './trainer';
import * as tf from '@tensorflow/tfjs-core';
import { BadInputError } from '../errors';
import { graphToMlp } from '../graph/mlp';
import { buildConfigModel } from '../graph/fromConfig';
import { applyFreeze } from '../graph/freeze';
import { isTrainableLayer, type ModelGraph } from '../graph/types';
import { GraphTrainer } from './graphTrainer';
import { MlpTrainerAdapter } from './mlpAdapter';

function addDetail(backend: BackendInfo, note: string): void {
  if (!backend.detail?.includes(note)) {
    backend.detail = backend.detail ? `${backend.detail}; ${note}` : note;
  }
}

export type TrainerName = 'simd-kernel' | 'tfjs' | 'tfjs-graph';

/**
 * The training loop a model of this shape gets on this backend, decided before anything is
 * built (so `jobStarted` can name the real loop): the SIMD kernel on wasm for Dense relu… →
 * softmax when dist/kernel.wasm loads, TF.js ops otherwise. Pure apart from the kernel's
 * one-time load check; createTrainer follows it (and only falls back if the kernel then fails).
 * With `freeze` (train.freeze) applied first: frozen layers with weights need the graph trainer.
 */
export function chooseTrainer(backend: Pick<BackendInfo, 'tfjs'>, model: ModelGraph | ModelConfig, freeze: FreezeSpec = null): TrainerName {
  // The reference MLP is decided from its config alone: building it would allocate every
  // weight before the memory check has run (model.hidden [65536, 65536] is 17 GB of kernel).
  // Freezing any of its layers by name means the graph trainer.
  if ('hidden' in model && !model.layers) {
    return freeze === null || freeze === 'none' ? pickDenseTrainer(backend, model) : 'tfjs-graph';
  }
  const graph = withFreeze('hidden' in model ? buildConfigModel(model, 'model', 0) : model, freeze);
  const mlp = graphToMlp(graph).model;
  // The Dense-stack loops train every layer; frozen layers need the graph trainer.
  if (!mlp || graph.layers.some((l) => !isTrainableLayer(l) && l.weights.length > 0)) {
    return 'tfjs-graph';
  }
  return pickDenseTrainer(backend, configOf(mlp));
}

/** train.freeze applied; an unknown name leaves the graph as it is (the job reports it with the fix). */
function withFreeze(graph: ModelGraph, freeze: FreezeSpec): ModelGraph {
  try {
    return applyFreeze(graph, freeze);
  } catch {
    return graph;
  }
}

/** A Dense stack trains on the SIMD kernel on wasm when its activations are the kernel's. */
function pickDenseTrainer(backend: Pick<BackendInfo, 'tfjs'>, cfg: Pick<ModelConfig, 'hidden' | 'hiddenActivation' | 'outputActivation'>): TrainerName {
  if (backend.tfjs !== 'wasm') {
    return 'tfjs';
  }
  const shapeOk = (cfg.hidden.length === 0 || cfg.hiddenActivation === 'relu') && cfg.outputActivation === 'softmax';
  return shapeOk && kernelUnavailableReason() === '' ? 'simd-kernel' : 'tfjs';
}

/** The ModelConfig an MlpModel was built from (activations only matter for the choice). */
function configOf(model: MlpModel): Pick<ModelConfig, 'hidden' | 'hiddenActivation' | 'outputActivation'> {
  const hidden = model.layers.slice(0, -1);
  return {
    hidden: hidden.map((l) => l.units),
    hiddenActivation: hidden.every((l) => l.activation === 'relu') ? 'relu' : 'linear',
    outputActivation: model.layers.at(-1)?.activation ?? 'linear',
  };
}

/** Gradient kernels the generic trainer needs for these layers that the current backend lacks. */
export function missingGradientKernels(model: ModelGraph): string[] {
  const need = new Set<string>();
  for (const l of model.layers) {
    if (l.className === 'Conv2D' || l.className === 'SeparableConv2D') {
      need.add('Conv2DBackpropFilter').add('Conv2DBackpropInput');
    }
    if (l.className === 'DepthwiseConv2D' || l.className === 'SeparableConv2D') {
      need.add('DepthwiseConv2dNativeBackpropFilter').add('DepthwiseConv2dNativeBackpropInput');
    }
    if (l.className === 'MaxPooling2D') {
      need.add('MaxPoolGrad');
    }
    if (l.className === 'AveragePooling2D') {
      need.add('AvgPoolGrad');
    }
  }
  const backend = tf.getBackend();
  return [...need].filter((k) => tf.getKernel(k, backend) === undefined);
}

export async function createTrainer(model: ModelGraph, lr: number, backend: BackendInfo, seed: number, inputDtype: 'uint8' | 'float32' = 'uint8'): Promise<Trainer> {
  const mlp = graphToMlp(model).model;
  const frozen = model.layers.filter((l) => !isTrainableLayer(l) && l.weights.length > 0).length;
  if (!mlp || frozen > 0) {
    const missing = missingGradientKernels(model);
    if (missing.length) {
      throw new BadInputError(
        `Training this model on the '${backend.tfjs}' backend needs gradient kernels it does not have (${missing.join(', ')}). ` +
          "Set backend to 'cpu' in model-optimizer.json (correct but slow), or use a build with the convolution gradient kernels registered.",
        'backend',
      );
    }
    addDetail(backend, 'generic graph trainer (TF.js autodiff)');
    if (frozen > 0) {
      addDetail(backend, `${frozen} frozen layer(s) with weights (trainable: false)`);
    }
    const trainer = new GraphTrainer(model, lr, seed);
    backend.trainer = trainer.name;
    return trainer;
  }
  if (backend.tfjs === 'wasm' && inputDtype === 'float32') {
    addDetail(backend, 'float32 inputs (the SIMD kernel takes uint8 pixels scaled by 1/255), using TF.js ops');
  } else if (backend.tfjs === 'wasm') {
    if (chooseTrainer(backend, model) === 'simd-kernel' && kernelSupports(mlp)) {
      try {
        const trainer = new MlpTrainerAdapter(await createKernelTrainer(mlp, lr, seed), model);
        backend.trainer = trainer.name;
        return trainer;
      } catch (err) {
        addDetail(backend, `SIMD kernel failed, using TF.js ops: ${(err as Error).message}`);
      }
    } else {
      const reason = kernelUnavailableReason();
      addDetail(backend, reason ? `SIMD kernel unavailable (${reason}), using TF.js ops` : 'model not covered by the SIMD kernel, using TF.js ops');
    }
  }
  const trainer = new MlpTrainerAdapter(new TfjsTrainer(mlp, lr), model);
  backend.trainer = trainer.name;
  return trainer;
}
