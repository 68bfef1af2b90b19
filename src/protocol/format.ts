/** Text formatting shared by the CLI, the engine's reports, the extension and the panel (no imports: every bundle can use it). */

/**
 * A duration for people: '850 ms', '12.3 s', '4 min 7 s', '50 h 57 min'. Above an hour the
 * seconds say nothing, and minutes alone grow unreadable ('3057 min 48 s').
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = Math.round(s - m * 60);
    // 59.6 s rounds up: say '5 min 0 s' rather than '4 min 60 s'.
    return rest === 60 ? `${m + 1} min 0 s` : `${m} min ${rest} s`;
  }
  const totalMin = Math.round(s / 60);
  return `${Math.floor(totalMin / 60)} h ${totalMin % 60} min`;
}

/**
 * A byte size in binary units everywhere (CLI, comparison.md, tree, panel): '1023 B',
 * '68.0 KiB', '3.00 MiB', '1.25 GiB'.
 */
export function formatBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  if (n < 1024 * 1024) {
    return `${(n / 1024).toFixed(1)} KiB`;
  }
  if (n < 1024 * 1024 * 1024) {
    return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  }
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
