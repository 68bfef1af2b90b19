/**
 * Weight clustering's k-means (tfmot `cluster_weights` with CentroidInitialization.LINEAR):
 * k centroids spread evenly between the kernel's smallest and largest weight, then Lloyd's
 * iterations in one dimension (assign each weight to its nearest centroid, move each centroid
 * to the mean of its weights) until no assignment changes. A cluster left empty is re-seeded
 * at the weight farthest from its centroid, so a kernel with at least k distinct values ends
 * with exactly k clusters.
 *
 * Sparsity-preserving: with `keepZeros`, exact zeros (pruned weights) are not clustered and
 * stay zero, a value of their own besides the k centroids (tfmot's preserve_sparsity).
 */

export interface Clustering {
  /** Cluster of each weight; −1 = a kept zero. */
  assignment: Int32Array;
  centroids: Float32Array;
}

/** Index of the centroid nearest to v among sorted centroids (binary search on midpoints). */
function nearest(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v > (sorted[mid] + sorted[mid + 1]) / 2) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

export function distinctValues(w: Float32Array, keepZeros: boolean, cap: number): number {
  const seen = new Set<number>();
  for (const v of w) {
    if (!(keepZeros && v === 0)) {
      seen.add(v);
      if (seen.size >= cap) {
        break;
      }
    }
  }
  return seen.size;
}

export function kmeans1d(w: Float32Array, k: number, keepZeros: boolean, maxIterations = 100): Clustering {
  const active: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < w.length; i++) {
    if (keepZeros && w[i] === 0) {
      continue;
    }
    active.push(i);
    min = Math.min(min, w[i]);
    max = Math.max(max, w[i]);
  }
  const assignment = new Int32Array(w.length).fill(-1);
  if (active.length === 0) {
    return { assignment, centroids: new Float32Array(0) };
  }
  // Linear initialization: k points from min to max inclusive.
  let c = Float64Array.from({ length: k }, (_, j) => (k === 1 ? (min + max) / 2 : min + ((max - min) * j) / (k - 1)));
  for (let it = 0; it < maxIterations; it++) {
    let changed = it === 0;
    for (const i of active) {
      const a = nearest(c, w[i]);
      if (a !== assignment[i]) {
        assignment[i] = a;
        changed = true;
      }
    }
    const sum = new Float64Array(k);
    const count = new Float64Array(k);
    for (const i of active) {
      sum[assignment[i]] += w[i];
      count[assignment[i]]++;
    }
    const next = Float64Array.from(c, (v, j) => (count[j] > 0 ? sum[j] / count[j] : v));
    // Re-seed empty clusters at the weights farthest from their centroids (distinct values only).
    const empty = [...count.keys()].filter((j) => count[j] === 0);
    if (empty.length) {
      const taken = new Set(next);
      const far = active
        .map((i) => ({ v: w[i], d: Math.abs(w[i] - next[assignment[i]]) }))
        .sort((a, b) => b.d - a.d)
        .filter((x) => !taken.has(x.v) && (taken.add(x.v), true));
      empty.forEach((j, n) => {
        if (n < far.length && far[n].d > 0) {
          next[j] = far[n].v;
          changed = true;
        }
      });
    }
    // Keep the centroids sorted for the nearest-centroid search (assignments follow next round).
    const order = [...next.keys()].sort((a, b) => next[a] - next[b]);
    const rank = new Int32Array(k);
    order.forEach((j, r) => (rank[j] = r));
    for (const i of active) {
      assignment[i] = rank[assignment[i]];
    }
    c = Float64Array.from(order, (j) => next[j]);
    if (!changed) {
      break;
    }
  }
  return { assignment, centroids: Float32Array.from(c) };
}

/** The clustered weights: each weight replaced by its centroid (kept zeros stay 0). */
export function clusteredValues(c: Clustering): Float32Array {
  return Float32Array.from(c.assignment, (a) => (a < 0 ? 0 : c.centroids[a]));
}
