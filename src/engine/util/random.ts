/**
 * A small seeded PRNG (mulberry32) so weight initialisation and per-epoch shuffles are
 * reproducible from `train.seed`. Not cryptographic; fast and good enough for ML.
 */

/** mulberry32 started from `seed` itself as its state: uniform in [0, 1) with 32 bits of randomness. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly draw: () => number;

  constructor(seed: number) {
    // Mix the seed so nearby seeds (0, 1, 2, …) give unrelated streams.
    this.draw = mulberry32(Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35);
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.draw();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** The identity permutation [0, n) as Uint32Array, shuffled by `rng`. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = i;
  }
  return rng.shuffle(p);
}
