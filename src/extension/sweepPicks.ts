/**
 * The sparsity choices of "Run Sparsity Sweep" (no `vscode` import, so unit tests use it).
 * The items are plain QuickPickItems: the configured sparsities pre-picked among a spread.
 */

/** Offered besides the configured ones: a useful spread up to very sparse models. */
export const OFFERED_SPARSITIES: readonly number[] = [0.25, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

export interface SparsityItem {
  label: string;
  description?: string;
  detail: string;
  picked: boolean;
  sparsity: number;
}

function percent(s: number): string {
  return `${+(s * 100).toFixed(2)} %`;
}

/**
 * Offered ∪ configured, ascending, the configured ones picked. Values a sweep cannot take
 * (outside [0, 1), not numbers) are left out; the engine's config check names them when the
 * config itself is used.
 */
export function sparsityItems(configured: readonly unknown[]): SparsityItem[] {
  const valid = configured.filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s >= 0 && s < 1);
  const all = [...new Set([...OFFERED_SPARSITIES, ...valid])].sort((a, b) => a - b);
  return all.map((s) => ({
    label: percent(s),
    description: valid.includes(s) ? 'in the config' : undefined,
    detail: `${+(s * 100).toFixed(2)} of every 100 kernel weights set to zero`,
    picked: valid.includes(s),
    sparsity: s,
  }));
}

/** The picked sparsities as `sweep.sparsities`: ascending, no repeats. */
export function pickedSparsities(items: readonly Pick<SparsityItem, 'sparsity'>[]): number[] {
  return [...new Set(items.map((i) => i.sparsity))].sort((a, b) => a - b);
}
