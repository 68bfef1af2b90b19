/**
 * What the process that started an engine does when it had to kill it (a stop request the
 * engine could not honour in time: a blocked read, a long synchronous step): the run record,
 * still 'running', gets its real ending, and the engine's lock on the output folder goes.
 * Nothing at the top of the output folder changes (only completed runs publish there).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../../protocol/engine';
import { LOCK_FILE } from './runLock';
import { TEMP_MARK } from '../util/atomic';

export async function finalizeKilledRun(outDir: string, runId: string, enginePid: number, status: 'cancelled' | 'failed', message: string): Promise<void> {
  let root: string;
  try {
    root = await fs.realpath(outDir);
  } catch {
    return; // nothing was ever written
  }
  const file = path.join(root, 'runs', `${runId}.json`);
  try {
    const record = JSON.parse(await fs.readFile(file, 'utf8')) as RunRecord;
    if (record.status === 'running' && record.pid === enginePid) {
      const ended: RunRecord = {
        ...record,
        status,
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - Date.parse(record.startedAt),
        ...(status === 'failed' ? { error: { code: 'killed', message } } : {}),
        warnings: [...record.warnings, { code: 'killed', message }],
      };
      const tmp = path.join(path.dirname(file), `${TEMP_MARK}${process.pid}-final-${runId}.json`);
      await fs.writeFile(tmp, `${JSON.stringify(ended, null, 2)}\n`);
      await fs.rename(tmp, file);
    }
  } catch {
    // No record yet (stopped before the run started) or unreadable: nothing to finish.
  }
  try {
    const lock = JSON.parse(await fs.readFile(path.join(root, LOCK_FILE), 'utf8')) as { pid?: number; runId?: string };
    if (lock.pid === enginePid && lock.runId === runId) {
      await fs.rm(path.join(root, LOCK_FILE), { force: true });
    }
  } catch {
    // No lock.
  }
}
