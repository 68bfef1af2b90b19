// Writes schemas/model-optimizer.schema.json from the engine's config spec.
// Run after changing src/engine/config/spec.ts: npx tsx scripts/gen-config-schema.ts
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema } from '../src/engine/config/jsonSchema';

const target = path.join(import.meta.dirname, '..', 'schemas', 'model-optimizer.schema.json');
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
