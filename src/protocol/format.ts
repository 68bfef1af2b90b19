/** Text formatting shared by the CLI, the extension and the panel (no imports: every bundle can use it). */

/** A duration for people: '850 ms', '12.3 s', '4 min 7 s'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
