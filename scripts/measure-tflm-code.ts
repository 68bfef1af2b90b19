// Measures the code size (.text + .data, as `size` reports them) of the TFLM objects a program
// links (src/engine/deploy/kernelCodeObjects.ts) in the host build of ../shared/tools/tflm, and
// writes src/engine/deploy/kernelCodeTable.ts. Run after rebuilding TFLM:
//   npx tsx scripts/measure-tflm-code.ts [BUILD_DIR]   (default $TMPDIR/model-optimizer-tflm)
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { measureTflmCode, renderCodeTable } from '../src/engine/deploy/measureCode';

const build = process.argv[2] ?? path.join(process.env.TMPDIR ?? '/tmp', 'model-optimizer-tflm');
const out = path.join(import.meta.dirname, '..', 'src', 'engine', 'deploy', 'kernelCodeTable.ts');
writeFileSync(out, renderCodeTable(measureTflmCode(build)));
console.log(`wrote ${out}`);
