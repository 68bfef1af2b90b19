/**
 * JSON Schema (draft-07) for `model-optimizer.json`, generated from the same CONFIG_SPEC the
 * validator uses, with DEFAULT_CONFIG's values as `default`. Written to
 * schemas/model-optimizer.schema.json by `npx tsx scripts/gen-config-schema.ts`; a unit test
 * checks the committed file is up to date.
 */
import { DEFAULT_CONFIG } from '../../protocol/config';
import { CONFIG_SPEC } from './spec';
import type { ObjectSpec, Spec } from './spec';

type Schema = Record<string, unknown>;

export function configJsonSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://model-optimizer.local/model-optimizer.schema.json',
    title: 'Model Optimizer configuration (model-optimizer.json)',
    ...toSchema(CONFIG_SPEC, DEFAULT_CONFIG),
  };
}

function toSchema(spec: Spec, dflt: unknown): Schema {
  const base: Schema = { description: spec.doc };
  if (dflt !== undefined && spec.kind !== 'object' && spec.kind !== 'tagged') {
    base.default = dflt;
  }
  switch (spec.kind) {
    case 'int':
      return { ...base, type: 'integer', ...defined({ minimum: spec.min, maximum: spec.max }) };
    case 'number':
      return {
        ...base,
        type: 'number',
        ...defined({ minimum: spec.min, exclusiveMinimum: spec.exclusiveMin, maximum: spec.max, exclusiveMaximum: spec.exclusiveMax }),
      };
    case 'bool':
      return { ...base, type: 'boolean' };
    case 'enum':
      return { ...base, enum: [...spec.values] };
    case 'string':
      return { ...base, type: 'string', minLength: 1, ...(spec.relativeInside ? { pattern: '^(?![/\\\\]|[A-Za-z]:)(?!(.*[/\\\\])?\\.\\.([/\\\\]|$)).+$' } : {}) };
    case 'null':
      return { ...base, type: 'null' };
    case 'array':
      return { ...base, type: 'array', items: toSchema(spec.items, undefined), ...defined({ minItems: spec.minItems }), ...(spec.unique ? { uniqueItems: true } : {}) };
    case 'tuple':
      return {
        ...base,
        type: 'array',
        items: spec.items.map((s) => toSchema(s, undefined)),
        minItems: spec.items.length,
        maxItems: spec.items.length,
      };
    case 'record':
      return { ...base, type: 'object', additionalProperties: toSchema(spec.values, undefined), ...defined({ minProperties: spec.minItems }) };
    case 'layerList':
      return {
        ...base,
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: { type: { description: 'Layer type.', enum: [...spec.types] }, name: { description: 'Layer name (default: Keras\' auto-name, e.g. conv2d_1).', type: 'string', minLength: 1 } },
          required: ['type'],
        },
      };
    case 'oneOf':
      return { ...base, anyOf: spec.options.map((o) => stripDoc(toSchema(o, undefined))) };
    case 'object':
      return { ...base, ...objectSchema(spec, dflt) };
    case 'tagged': {
      const defaultTag = (dflt as Record<string, unknown>)[spec.tag];
      return {
        ...base,
        type: 'object',
        anyOf: Object.entries(spec.variants).map(([tag, variant]) => {
          const s = objectSchema(variant, tag === defaultTag ? dflt : spec.variantDefaults[tag]);
          // The default kind may be left out; any other kind must be named.
          return tag === defaultTag ? s : { ...s, required: [spec.tag] };
        }),
      };
    }
  }
}

function objectSchema(spec: ObjectSpec, dflt: unknown): Schema {
  const d = (dflt ?? {}) as Record<string, unknown>;
  const properties: Record<string, Schema> = {};
  for (const [key, field] of Object.entries(spec.fields)) {
    properties[key] = toSchema(field, d[key]);
  }
  return { type: 'object', properties, additionalProperties: false };
}

function stripDoc(s: Schema): Schema {
  const rest = { ...s };
  delete rest.description;
  return rest;
}

function defined(o: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, number>;
}
