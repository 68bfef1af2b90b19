/**
 * Tensor-arena estimate: a simulation of TensorFlow Lite Micro's default planner
 * (GreedyMemoryPlanner, driven by MicroAllocator), plus the ideal lower bound.
 *
 * Facts the simulation follows (read from tflite-micro's micro_allocation_info.cc,
 * micro_allocator.cc and memory_planner/greedy_memory_planner.cc; no code copied):
 * - Only tensors without constant data, not variables and of non-zero size are planned.
 * - Lifetimes are in "allocation scopes": graph inputs are created and used at scope 0;
 *   operator i is scope i + 1: it creates its outputs and last-uses its inputs there;
 *   graph outputs live until the last scope.
 * - Each buffer's size is rounded up to 16 bytes (MicroArenaBufferAlignment).
 * - Buffers are placed largest first; among equal sizes the one added LAST goes first (the
 *   planner fills its sort array from the tail, then bubble-sorts it stably by size), each at
 *   the lowest offset where it fits between buffers already placed whose lifetimes overlap
 *   its own (first fit over the offset-ordered list); the plan's size is the highest end.
 */

export const ARENA_ALIGNMENT = 16;

export function alignUp(n: number, alignment = ARENA_ALIGNMENT): number {
  return Math.ceil(n / alignment) * alignment;
}

export interface PlanBuffer {
  /** Tensor index (or any id) for the report. */
  id: number;
  bytes: number;
  firstUsed: number;
  lastUsed: number;
}

export interface PlacedBuffer extends PlanBuffer {
  /** Size after 16-byte alignment. */
  alignedBytes: number;
  offset: number;
}

export interface ArenaPlan {
  buffers: PlacedBuffer[];
  /** Highest end offset: what the planner needs for activations (TFLM's "head"). */
  plannedBytes: number;
  /** The largest sum of aligned live buffers at any scope: no planner can do better. */
  lowerBoundBytes: number;
  /** The scope at which the lower bound is reached. */
  peakScope: number;
}

/** Minimal graph shape the planner needs: which tensors each operator reads and writes. */
export interface PlanGraph {
  tensorBytes: number[];
  /** Tensors that hold constant data (weights) or are variables: never planned. */
  constant: boolean[];
  operators: { inputs: number[]; outputs: number[] }[];
  inputs: number[];
  outputs: number[];
  /**
   * Scratch buffers kernels request in Prepare (RequestScratchBufferInArena): planned like
   * tensors, after all of them, alive only during their operator. Ids follow the tensors'.
   */
  scratch?: { operator: number; bytes: number }[];
}

/** Tensor lifetimes, as TFLM's AllocationInfoBuilder marks them. */
export function lifetimes(g: PlanGraph): PlanBuffer[] {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const create = (t: number, s: number): void => {
    if (!first.has(t)) {first.set(t, s);}
  };
  const use = (t: number, s: number): void => {
    last.set(t, Math.max(last.get(t) ?? s, s));
  };
  for (const t of g.inputs) {
    create(t, 0);
    use(t, 0);
  }
  g.operators.forEach((op, i) => {
    const scope = i + 1;
    op.outputs.forEach((t) => create(t, scope));
    op.inputs.forEach((t) => t >= 0 && use(t, scope));
    op.outputs.forEach((t) => use(t, scope));
  });
  const end = g.operators.length;
  for (const t of g.outputs) {
    create(t, end);
    use(t, end);
  }
  const out: PlanBuffer[] = [];
  g.tensorBytes.forEach((bytes, id) => {
    if (g.constant[id] || bytes === 0 || !first.has(id)) {return;}
    out.push({ id, bytes, firstUsed: first.get(id)!, lastUsed: last.get(id) ?? first.get(id)! });
  });
  (g.scratch ?? []).forEach((s, k) => {
    out.push({ id: g.tensorBytes.length + k, bytes: s.bytes, firstUsed: s.operator + 1, lastUsed: s.operator + 1 });
  });
  return out;
}

const overlaps = (a: PlanBuffer, b: PlanBuffer): boolean => !(a.firstUsed > b.lastUsed || b.firstUsed > a.lastUsed);

/** Greedy first-fit placement, largest first (TFLM's GreedyMemoryPlanner, online buffers). */
export function planArena(buffers: PlanBuffer[]): ArenaPlan {
  const order = buffers
    .map((b, k) => ({ ...b, alignedBytes: alignUp(b.bytes), offset: 0, k }))
    .sort((a, b) => b.alignedBytes - a.alignedBytes || b.k - a.k);
  // Placed buffers kept sorted by offset (a new one goes after existing ones at the same offset).
  const byOffset: PlacedBuffer[] = [];
  for (const want of order) {
    let candidate = 0;
    for (const other of byOffset) {
      if (!overlaps(other, want)) {continue;}
      if (other.offset - candidate >= want.alignedBytes) {break;}
      candidate = Math.max(candidate, other.offset + other.alignedBytes);
    }
    want.offset = candidate;
    let at = byOffset.findIndex((p) => p.offset > candidate);
    if (at < 0) {at = byOffset.length;}
    byOffset.splice(at, 0, want);
  }
  const placed = order.map(({ k: _k, ...p }) => p);
  const plannedBytes = placed.reduce((m, p) => Math.max(m, p.offset + p.alignedBytes), 0);
  let lowerBoundBytes = 0;
  let peakScope = 0;
  const lastScope = placed.reduce((m, p) => Math.max(m, p.lastUsed), 0);
  for (let s = 0; s <= lastScope; s++) {
    const live = placed.filter((p) => p.firstUsed <= s && s <= p.lastUsed).reduce((a, p) => a + p.alignedBytes, 0);
    if (live > lowerBoundBytes) {
      lowerBoundBytes = live;
      peakScope = s;
    }
  }
  placed.sort((a, b) => a.id - b.id);
  return { buffers: placed, plannedBytes, lowerBoundBytes, peakScope };
}
