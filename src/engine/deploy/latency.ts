/**
 * Latency estimate per target: Σ over operators of MACs × cycles/MAC (for the operator's class
 * and number type) ÷ clock, once with the fast end of every range and once with the slow end.
 */
import type { NumberType, OpClass, TargetPreset } from './targets';

/** Which cycles-per-MAC row an operator uses. Pooling, MEAN, ADD and MUL count at the FC rate (one load and one accumulate per MAC, as a dot product). */
export function opClassOf(op: string): OpClass {
  if (op === 'CONV_2D') {return 'conv';}
  if (op === 'DEPTHWISE_CONV_2D') {return 'depthwise';}
  return 'fc';
}

export interface LatencyInput {
  macs: number;
  opClass: OpClass;
  numberType: NumberType;
}

export interface LatencyRange {
  low: number;
  high: number;
}

/** Milliseconds per inference on `t`, as a range. */
export function estimateLatencyMs(layers: readonly LatencyInput[], t: TargetPreset): LatencyRange {
  let low = 0;
  let high = 0;
  for (const l of layers) {
    if (l.macs <= 0) {continue;}
    const r = t.cyclesPerMac[l.numberType][l.opClass];
    low += l.macs * r.low.cyclesPerMac;
    high += l.macs * r.high.cyclesPerMac;
  }
  const ms = (cycles: number): number => (cycles / t.clockHz.value) * 1000;
  return { low: ms(low), high: ms(high) };
}
