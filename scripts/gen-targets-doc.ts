// Writes docs/targets.md from src/engine/deploy/targets.ts.
// Run after changing the presets: npx tsx scripts/gen-targets-doc.ts
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderTargetsDoc } from '../src/engine/deploy/targetsDoc';

const target = path.join(import.meta.dirname, '..', 'docs', 'targets.md');
writeFileSync(target, renderTargetsDoc());
console.log(`wrote ${target}`);
