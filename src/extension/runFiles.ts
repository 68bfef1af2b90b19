/**
 * Which stage wrote which file, and the figures a run is known by: pure functions over a
 * RunEntry (no `vscode`), shared by the Runs tree and the commands, tested in plain Node.
 */
import type { ArtifactKind } from '../protocol/engine';
import { formatBytes, formatDuration } from '../protocol/format';
import type { RunEntry } from './runStore';

export type FileGroup = { kind: 'stage'; index: number } | { kind: 'tensorboard' } | { kind: 'files' };

/** Model files: what Evaluate and Compare With… accept. */
export const MODEL_KINDS: ReadonlySet<ArtifactKind> = new Set(['tfjs', 'tfjs-quantized', 'keras-h5', 'tflite']);

/**
 * The stage that wrote an artifact: a TF.js save belongs to the fit that made its model
 * (training or pruning); exports and reports to the export stage of their model (else the
 * first export stage); TensorBoard event files go under one "TensorBoard logs" node. The run
 * record is not listed (the run itself is its record). Null = not shown.
 */
export function fileGroup(r: Pick<RunEntry, 'stages'>, a: { kind: ArtifactKind; model: string }): FileGroup | null {
  if (a.kind === 'run-record') {
    return null;
  }
  if (a.kind === 'tensorboard') {
    return { kind: 'tensorboard' };
  }
  const find = (pred: (s: RunEntry['stages'][number]) => boolean): FileGroup | null => {
    const index = r.stages.findIndex(pred);
    return index >= 0 ? { kind: 'stage', index } : null;
  };
  if (a.kind === 'tfjs') {
    return find((s) => (s.stage === 'train' || s.stage === 'prune') && s.model === a.model) ?? find((s) => s.model === a.model) ?? { kind: 'files' };
  }
  return find((s) => s.stage === 'export' && s.model === a.model) ?? find((s) => s.stage === 'export') ?? find((s) => s.model === a.model) ?? { kind: 'files' };
}

/** The best test accuracy a run measured (fits and evaluated files), or null. */
export function bestAccuracy(r: Pick<RunEntry, 'stages' | 'report'>): number | null {
  const values = [...r.stages.map((s) => s.testAccuracy), ...r.report.map((x) => x.accuracy)].filter((v): v is number => typeof v === 'number');
  return values.length ? Math.max(...values) : null;
}

/** The smallest evaluated model file (gzip), or null. */
export function smallestFile(r: Pick<RunEntry, 'report'>): { path: string; gzipBytes: number } | null {
  const rows = r.report.filter((x) => x.gzipBytes > 0);
  return rows.length ? rows.reduce((a, b) => (b.gzipBytes < a.gzipBytes ? b : a)) : null;
}

/**
 * A finished run's key figures for the history list: when, how long, best accuracy, smallest
 * file. '27 Nov 20:00 · 1 min 0 s · 97.71 % · 76.4 KiB gzip'.
 */
export function runFigures(r: RunEntry, when: string): string {
  const parts = [when];
  if (r.durationMs !== null) {
    parts.push(formatDuration(r.durationMs));
  }
  const acc = bestAccuracy(r);
  if (acc !== null) {
    parts.push(`${(acc * 100).toFixed(2)} %`);
  }
  const small = smallestFile(r);
  if (small) {
    parts.push(`${formatBytes(small.gzipBytes)} gzip`);
  }
  if (r.status !== 'done') {
    parts.unshift(r.status);
  }
  return parts.join(' · ');
}
