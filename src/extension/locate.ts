/**
 * Where a config problem is in the file's text, from a BadInputError's `where`:
 * 'model-optimizer.json:LINE:COL' (syntax) or 'model-optimizer.json: field.path[2]' (a value).
 * No `vscode` import (0-based line/character, like vscode.Position), so it is unit-tested.
 */
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
