/**
 * Runs `model-optimizer deploy --json` (dist/cli.js) in a child process for Model Optimizer:
 * Deploy, so a large model never blocks the extension host and Cancel kills the work at once.
 * No `vscode` import: unit-tested against the real CLI bundle.
 */
import { fork } from 'node:child_process';
import { deployCardFromReport, type DeployCard } from '../protocol/deploy';

export type DeployRun = { ok: true; card: DeployCard; exitCode: number } | { ok: false; message: string };

export interface DeployRunOptions {
  /** Working folder: the CLI reads model-optimizer.json from it (deploy.target). */
  cwd: string;
  /** Overrides deploy.target. */
  target?: string | null;
  signal?: AbortSignal;
  /** Report size limit (a report lists one row per operator: a few MB at most). */
  maxStdoutBytes?: number;
}

const STDERR_KEEP = 16 * 1024;

export function runDeployCli(cliPath: string, file: string, o: DeployRunOptions): Promise<DeployRun> {
  const args = ['deploy', '--model', file, '--json', ...(o.target ? ['--target', o.target] : [])];
  const max = o.maxStdoutBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let tooBig = false;
    let settled = false;
    const done = (r: DeployRun): void => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    // No execArgv: the host's flags (a debugger, a test loader) are not the CLI's.
    const child = fork(cliPath, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], signal: o.signal, env: process.env, execArgv: [] });
    child.stdout!.on('data', (c: Buffer) => {
      if (stdout.length + c.length > max) {
        tooBig = true;
        child.kill();
        return;
      }
      stdout += c.toString('utf8');
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: Error) => {
      done({ ok: false, message: err.name === 'AbortError' ? 'Cancelled.' : `could not run the deploy analysis: ${err.message}` });
    });
    child.on('close', (code) => {
      if (tooBig) {
        done({ ok: false, message: `the deploy report is larger than ${max} bytes` });
        return;
      }
      if (code === 2 || (code !== 0 && code !== 1)) {
        done({ ok: false, message: stderr.trim() || `the deploy analysis ended with exit code ${code}` });
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        done({ ok: false, message: `the deploy analysis printed no report (${stderr.trim().slice(-300)})` });
        return;
      }
      const written = (json as { written?: unknown }).written;
      const files = Array.isArray(written) && written.every((w) => typeof w === 'string') ? (written) : [];
      const card = deployCardFromReport(file, json, files);
      done(card ? { ok: true, card, exitCode: code } : { ok: false, message: 'the deploy analysis printed a report of an unexpected shape' });
    });
  });
}
