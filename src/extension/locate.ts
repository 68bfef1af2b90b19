/**
 * Where a config problem is in the file's text, from a BadInputError's `where`:
 * 'model-optimizer.json:LINE:COL' (syntax) or 'model-optimizer.json: field.path[2]' (a value).
 * No `vscode` import (0-based line/character, like vscode.Position), so it is unit-tested.
 */
import type { ObjectSpec } from '../engine/config/spec';

export function locateInJson(text: string, where: string | undefined): { line: number; character: number } {
  const start = { line: 0, character: 0 };
  if (!where) {
    return start;
  }
  const lc = /:(\d+):(\d+)$/.exec(where);
  if (lc) {
    return { line: Math.max(0, Number(lc[1]) - 1), character: Math.max(0, Number(lc[2]) - 1) };
  }
  const field = where.includes(': ') ? where.slice(where.indexOf(': ') + 2) : '';
  let offset = 0;
  let found = -1;
  for (const key of field.split('.').map((k) => k.replace(/(\[\d+\])+$/, ''))) {
    if (!key) {
      continue;
    }
    const i = text.indexOf(`"${key}"`, offset);
    if (i < 0) {
      break;
    }
    found = i;
    offset = i + key.length + 2;
  }
  if (found < 0) {
    return start;
  }
  const before = text.slice(0, found);
  return { line: before.split('\n').length - 1, character: found - (before.lastIndexOf('\n') + 1) };
}

/**
 * The config-file location of an engine error, when its `where` is a field of the config:
 * errors found while the job runs (e.g. a prune.layers name that the chosen model file does not
 * have, found by the prune job against the file's graph) name the bare field ('prune.layers'),
 * while the config check names the file too ('model-optimizer.json: prune.layers'). Either way
 * the result is 'model-optimizer.json: field.path', which showConfigError opens at that field.
 * `spec` (CONFIG_SPEC) tells fields from other things an error can name: the path's first two
 * keys must be fields there, so a file such as 'train.csv' is not taken for one.
 * Undefined when `where` is not a config field (a data file, the output folder, …).
 */
export function configFieldWhere(where: string | undefined, configFile: string, spec: ObjectSpec): string | undefined {
  if (!where) {
    return undefined;
  }
  if (where.startsWith(`${configFile}:`)) {
    return where;
  }
  if (!/^[A-Za-z][A-Za-z0-9]*(\.[^.\s/\\]+|\[\d+\])*$/.test(where)) {
    return undefined;
  }
  const [section, field] = where.replace(/\[\d+\]/g, '').split('.');
  const sectionSpec = Object.hasOwn(spec.fields, section) ? spec.fields[section] : undefined;
  if (!sectionSpec) {
    return undefined;
  }
  if (field !== undefined && !(sectionSpec.kind === 'object' && Object.hasOwn(sectionSpec.fields, field))) {
    return undefined;
  }
  return `${configFile}: ${where}`;
}
