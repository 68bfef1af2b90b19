/**
 * Chooses the training loop for a model on the selected backend:
 * - the WASM SIMD kernel (src/engine/kernel) when the TF.js backend is wasm and the kernel
 *   supports the model (Dense relu… → softmax) — the fast path of issue 6;
 * - the TF.js trainer otherwise (tfjs-node, cpu, or layer types the kernel does not cover).
 * The choice is written into `backend.trainer` (and the reason for a fallback into
 * `backend.detail`) so the panel, the CLI and the run record show what really ran.
 */
import type { ModelConfig } from '../../protocol/config';
import type { BackendInfo } from '../../protocol/engine';
import { createKernelTrainer, kernelSupports, kernelUnavailableReason } from '../kernel/kernelTrainer';
import type { MlpModel } from '../model/mlp';
import { TfjsTrainer } from './tfjsTrainer';
import type { Trainer } from './trainer';

function addDetail(backend: BackendInfo, note: string): void {
  if (!backend.detail?.includes(note)) {
    backend.detail = backend.detail ? `${backend.detail}; ${note}` : note;
  }
}

export type TrainerName = 'simd-kernel' | 'tfjs';

/**
 * The training loop a model of this shape gets on this backend, decided before anything is
 * built (so `jobStarted` can name the real loop): the SIMD kernel on wasm for Dense relu… →
 * softmax when dist/kernel.wasm loads, TF.js ops otherwise. Pure apart from the kernel's
 * one-time load check; createTrainer follows it (and only falls back if the kernel then fails).
 */
export function chooseTrainer(backend: Pick<BackendInfo, 'tfjs'>, model: Pick<ModelConfig, 'hidden' | 'hiddenActivation' | 'outputActivation'>): TrainerName {
  if (backend.tfjs !== 'wasm') {
    return 'tfjs';
  }
  const shapeOk = (model.hidden.length === 0 || model.hiddenActivation === 'relu') && model.outputActivation === 'softmax';
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

export async function createTrainer(model: MlpModel, lr: number, backend: BackendInfo, seed: number, inputDtype: 'uint8' | 'float32' = 'uint8'): Promise<Trainer> {
  if (backend.tfjs === 'wasm' && inputDtype === 'float32') {
    addDetail(backend, 'float32 inputs (the SIMD kernel takes uint8 pixels scaled by 1/255), using TF.js ops');
  } else if (backend.tfjs === 'wasm') {
    if (chooseTrainer(backend, configOf(model)) === 'simd-kernel' && kernelSupports(model)) {
      try {
        const trainer = await createKernelTrainer(model, lr, seed);
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
  const trainer = new TfjsTrainer(model, lr);
  backend.trainer = trainer.name;
  return trainer;
}
