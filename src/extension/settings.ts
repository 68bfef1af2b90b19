/**
 * The settings users change most, applied under `model-optimizer.json`: a value in the file
 * always wins; a setting fills in only what the file leaves out. No `vscode` import.
 */
import type { BackendChoice, PartialRunConfig } from '../protocol/config';

export interface RunSettings {
  /** `modelOptimizer.backend` (always has a value: its default is 'auto'). */
  backend: BackendChoice;
  /** `modelOptimizer.defaultEpochs`, only when the user set it. */
  epochs?: number;
  /** `modelOptimizer.sweepSparsities`, only when the user set it. */
  sweepSparsities?: number[];
}

export function mergeSettings(config: PartialRunConfig, s: RunSettings): PartialRunConfig {
  let out = config;
  if (out.backend === undefined) {
    out = { ...out, backend: s.backend };
  }
  if (s.epochs !== undefined && out.train?.epochs === undefined) {
    out = { ...out, train: { ...out.train, epochs: s.epochs } };
  }
  if (s.sweepSparsities !== undefined && out.sweep?.sparsities === undefined) {
    out = { ...out, sweep: { ...out.sweep, sparsities: s.sweepSparsities } };
  }
  return out;
}
