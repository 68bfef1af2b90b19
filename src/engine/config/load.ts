/**
 * Reading `model-optimizer.json` (or a `--config` file). Problems become BadInputErrors whose
 * `where` is 'file:line:column' for syntax errors and 'file: field.path' for bad values.
 */
import * as path from 'node:path';
import type { PartialRunConfig, RunConfig } from '../../protocol/config';
import { BadInputError } from '../errors';
import { LIMITS, readTextLimited } from '../util/safeRead';
import { resolveConfig, type ResolveOptions } from './validate';

/**
 * Reads and parses a config file and validates it (so errors surface early), returning the
 * user's partial config unchanged: it is what a StartRequest carries.
 */
export async function loadConfigFile(file: string, opts: ResolveOptions = {}): Promise<PartialRunConfig> {
  const name = path.basename(file);
  const text = await readTextLimited(file, {
    what: 'config file',
    maxBytes: LIMITS.config,
    pathFix: `Check the path (relative paths start from ${process.cwd()}) or leave the config out to use the defaults.`,
    tooLargeFix: 'A config is a few KB of JSON: point --config at model-optimizer.json.',
  });
  const parsed = parseJsonText(text, name);
  resolveConfig(parsed, name, opts);
  return parsed as PartialRunConfig;
}

/** loadConfigFile + resolveConfig: the full, validated config. */
export async function resolveConfigFile(file: string): Promise<RunConfig> {
  return resolveConfig(await loadConfigFile(file), path.basename(file));
}

/**
 * Deepest nesting a JSON document may have. Real configs and model.json files nest fewer than
 * 20 levels; a 40 KB "[[[[…" would otherwise overflow the stack of whatever walks it
 * (the validator, JSON.stringify in a message, the syntax-error finder).
 */
export const MAX_JSON_DEPTH = 256;

/** Offset of the first '[' or '{' nested deeper than `max` (strings skipped), or -1. Iterative. */
export function jsonDepthExceeded(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) {
          i++;
        }
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        return i;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return -1;
}

/** JSON.parse with a line/column and a readable reason on failure; refuses absurd nesting. */
export function parseJsonText(text: string, name: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const deep = jsonDepthExceeded(body);
  if (deep >= 0) {
    const { line, column } = lineColumn(body, deep);
    throw new BadInputError(
      `${name} nests more than ${MAX_JSON_DEPTH} levels of brackets (at line ${line}, column ${column}), so it is not read: no config or model file nests that deep. Check that this is the right file and remove the extra nesting.`,
      `${name}:${line}:${column}`,
    );
  }
  try {
    return JSON.parse(body);
  } catch {
    const { offset, reason } = findJsonError(body);
    const { line, column } = lineColumn(body, offset);
    throw new BadInputError(
      `${name} is not valid JSON: ${reason} at line ${line}, column ${column}. Fix the syntax there (JSON allows no comments and no trailing commas; keys and strings need double quotes).`,
      `${name}:${line}:${column}`,
    );
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A small JSON scanner used only to locate the first syntax error JSON.parse rejected. */
export function findJsonError(text: string): { offset: number; reason: string } {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) {
      i++;
    }
  };
  const what = (): string => (i >= text.length ? 'unexpected end of file' : `unexpected ${JSON.stringify(text[i])}`);
  const fail: (expected: string) => never = (expected) => {
    const comment = text.startsWith('//', i) || text.startsWith('/*', i) ? ' (comments are not allowed in JSON)' : '';
    throw new JsonSyntax(i, `${what()}, expected ${expected}${comment}`);
  };
  const str = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
            fail('4 hex digits after \\u');
          }
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) {
          fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)');
        }
      } else if (text.charCodeAt(i) < 0x20) {
        fail('a closing quote (strings cannot span lines)');
      }
      i++;
    }
    if (i >= text.length) {
      fail('a closing quote');
    }
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          fail(text[i] === '}' ? 'another property (remove the trailing comma)' : 'a property name in double quotes');
        }
        str();
        ws();
        if (text[i] !== ':') {
          fail('":"');
        }
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('"," or "}"');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') {
          fail('another value (remove the trailing comma)');
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('"," or "]"');
      }
    } else if (c === '"') {
      str();
    } else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i)) ?? /^(true|false|null)/.exec(text.slice(i));
      if (!m) {
        fail('a value (object, list, string, number, true, false or null)');
      }
      i += m[0].length;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) {
      fail('the end of the file after the top-level value');
    }
  } catch (err) {
    if (err instanceof JsonSyntax) {
      return { offset: err.offset, reason: err.reason };
    }
    throw err;
  }
  return { offset: 0, reason: 'invalid JSON' };
}
