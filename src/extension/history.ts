/** Past runs: `<out>/runs/*.json` read at activation and on refresh, so the tree and panel survive reloads. */
import type { Ctx } from './ctx';
import { historyOutDir } from './config';
import { readHistory } from './runStore';

export async function loadHistory(ctx: Ctx): Promise<void> {
  const folder = ctx.workspaceFolder;
  if (!folder) {
    return;
  }
  const outDir = await historyOutDir(folder);
  if (!outDir) {
    return;
  }
  const { records, skipped } = await readHistory(outDir);
  if (skipped.length > 0) {
    ctx.output.appendLine(`history: skipped ${skipped.length} file(s) in ${outDir}/runs that are not run records: ${skipped.join(', ')}`);
  }
  ctx.store.setHistory(records);
}
