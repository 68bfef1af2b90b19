/**
 * Comparing runs: which config values differ (flattened to dotted keys), shared by the panel
 * (highlighted rows) and report.md. No imports: every bundle can use it.
 */

/** `{ train: { epochs: 5 } }` → `{ 'train.epochs': '5' }`; arrays and scalars as JSON text. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = value === undefined ? '—' : JSON.stringify(value);
  }
  return out;
}

export interface ConfigRow {
  key: string;
  /** One per run, '—' where the run's config lacks the key. */
  values: string[];
  differs: boolean;
}

/** Every key of every config, in first-seen order; `differs` when the runs disagree. */
export function compareConfigs(configs: readonly unknown[]): ConfigRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys: string[] = [];
  for (const f of flat) {
    for (const k of Object.keys(f)) {
      if (!keys.includes(k)) {
        keys.push(k);
      }
    }
  }
  return keys.map((key) => {
    const values = flat.map((f) => f[key] ?? '—');
    return { key, values, differs: new Set(values).size > 1 };
  });
}
