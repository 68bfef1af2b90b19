/** Commands are called from the palette (no argument), tree items (a node) and the panel (ids). */
export function runIdArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') {
    return arg;
  }
  if (typeof arg === 'object' && arg !== null && typeof (arg as { runId?: unknown }).runId === 'string') {
    return (arg as { runId: string }).runId;
  }
  return undefined;
}

export function artifactArg(arg: unknown): { runId: string; path: string } | undefined {
  if (typeof arg !== 'object' || arg === null) {
    return undefined;
  }
  const a = arg as { runId?: unknown; path?: unknown };
  return typeof a.runId === 'string' && typeof a.path === 'string' ? { runId: a.runId, path: a.path } : undefined;
}
