import type { StageKind } from '../../protocol/engine';
import type { RunContext } from './context';

/** Runs one stage, adding its wall time to the record unless the stage timed itself. */
export async function timed<T>(ctx: RunContext, phase: StageKind, fn: () => Promise<T>): Promise<T> {
  ctx.throwIfCancelled();
  const before = ctx.timings[phase];
  const t = performance.now();
  const result = await fn();
  if (ctx.timings[phase] === before) {
    ctx.addTiming(phase, performance.now() - t);
  }
  return result;
}
