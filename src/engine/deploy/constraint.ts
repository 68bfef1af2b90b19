/**
 * `deploy.target` as a constraint on the sweep's recommendation: a file qualifies when it is a
 * `.tflite` that fits the target's flash and RAM, meets `deploy.maxLatencyMs`, and — on a
 * microcontroller — is one TensorFlow Lite Micro runs (the deploy report's compatibility check,
 * confirmed against the real TFLM in test/unit/deploy-tflm.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { DeployConfig } from '../../protocol/config';
import { analyzeDeploy, fmtMs } from './report';

export interface DeployVerdict {
  ok: boolean;
  /** Why the file does not qualify (empty when ok). */
  reason: string;
}

/** A checker for rows of a sweep (paths relative to the run folder), or null without a target. */
export function deployConstraint(cfg: DeployConfig, resolve: (rel: string) => string): ((rel: string) => DeployVerdict) | null {
  const target = cfg.target;
  if (target === null) {
    return null;
  }
  const cache = new Map<string, DeployVerdict>();
  return (rel) => {
    const hit = cache.get(rel);
    if (hit) {return hit;}
    let verdict: DeployVerdict;
    if (!rel.toLowerCase().endsWith('.tflite')) {
      verdict = { ok: false, reason: 'not a .tflite file' };
    } else {
      try {
        const file = resolve(rel);
        const r = analyzeDeploy(file, new Uint8Array(readFileSync(file)), { target, maxLatencyMs: cfg.maxLatencyMs });
        const t = r.targets[target];
        const why: string[] = [];
        if (!t.runs) {why.push('TensorFlow Lite Micro refuses it');}
        if (t.fits_flash === false) {why.push(`model ${r.flash_bytes} B > flash ${t.flash_budget_bytes} B`);}
        if (t.fits_ram === false) {why.push(`arena ${r.arena_bytes} B > RAM ${t.ram_budget_bytes} B`);}
        if (t.meets_latency === false) {why.push(`up to ${fmtMs(t.latency_ms.high)} ms > ${cfg.maxLatencyMs} ms`);}
        verdict = { ok: t.ok, reason: why.join('; ') };
      } catch (err) {
        verdict = { ok: false, reason: `cannot be analysed: ${(err as Error).message}` };
      }
    }
    cache.set(rel, verdict);
    return verdict;
  };
}
