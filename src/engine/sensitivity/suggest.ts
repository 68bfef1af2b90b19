/**
 * Per-layer sparsities for a global target from the single-layer pruning scan: layers whose
 * accuracy suffers least per pruned weight are pruned first (greedy over the measured
 * sparsity levels, costs interpolated linearly between them), until the pruned weights reach
 * the target fraction of all prunable weights. The last step is cut to hit the target exactly.
 * The result is the `prune.layers` map form (layer → target sparsity).
 */
import type { PruneSensitivityRow, SparsitySuggestion } from '../../protocol/sensitivity';

/** Drop of `row` at sparsity s, linear between the measured levels (0 at s = 0; never negative). */
export function dropAt(row: PruneSensitivityRow, sparsities: readonly number[], s: number): number {
  const xs = [0, ...sparsities];
  const ys = [0, ...row.drop.map((d) => Math.max(0, d))];
  if (s <= 0) {
    return 0;
  }
  for (let i = 1; i < xs.length; i++) {
    if (s <= xs[i]) {
      const t = (s - xs[i - 1]) / (xs[i] - xs[i - 1]);
      return ys[i - 1] + t * (ys[i] - ys[i - 1]);
    }
  }
  return ys[ys.length - 1];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function suggestSparsities(rows: readonly PruneSensitivityRow[], sparsities: readonly number[], target: number): { suggestion?: SparsitySuggestion; note?: string } {
  const levels = [...sparsities].sort((a, b) => a - b);
  const total = rows.reduce((n, r) => n + r.weights, 0);
  if (rows.length === 0 || total === 0) {
    return { note: 'The model has no prunable layers.' };
  }
  const max = levels[levels.length - 1];
  if (target > max + 1e-12) {
    return { note: `The target ${target} is above the highest scanned sparsity ${max}: add it to sensitivity.sparsities.` };
  }
  const current = rows.map(() => 0);
  const need = target * total;
  let pruned = 0;
  while (pruned < need - 1e-9) {
    // The cheapest next step: accuracy lost per weight pruned, going to the layer's next level.
    let best = -1;
    let bestCost = Infinity;
    let bestNext = 0;
    rows.forEach((r, i) => {
      const next = levels.find((s) => s > current[i] + 1e-12);
      if (next === undefined || r.weights === 0) {
        return;
      }
      const cost = (dropAt(r, levels, next) - dropAt(r, levels, current[i])) / ((next - current[i]) * r.weights);
      if (cost < bestCost - 1e-15) {
        best = i;
        bestCost = cost;
        bestNext = next;
      }
    });
    if (best < 0) {
      break;
    }
    const gain = (bestNext - current[best]) * rows[best].weights;
    if (pruned + gain > need) {
      current[best] += (need - pruned) / rows[best].weights;
      pruned = need;
    } else {
      current[best] = bestNext;
      pruned += gain;
    }
  }
  const layers: Record<string, number> = {};
  rows.forEach((r, i) => {
    // prune.layers needs [0, 1); sparsities are kept to 3 decimals so the map reads well.
    layers[r.layer] = Math.min(round3(current[i]), 0.999);
  });
  const achieved = rows.reduce((n, r) => n + layers[r.layer] * r.weights, 0) / total;
  const estimatedDrop = rows.reduce((n, r) => n + dropAt(r, levels, layers[r.layer]), 0);
  return {
    suggestion: {
      targetSparsity: target,
      achievedSparsity: achieved,
      layers,
      estimatedDrop,
      config: JSON.stringify({ prune: { layers } }),
    },
  };
}
