/**
 * Model Optimizer: Run Sparsity Sweep — prunes the trained baseline to several sparsities,
 * exports each as TFLite and measures every file (the size / accuracy trade-off). A quick pick
 * offers the sparsities, the config's `sweep.sparsities` pre-selected; the choice overrides
 * that list for this run only.
 */
import * as vscode from 'vscode';
import { DEFAULT_CONFIG } from '../../protocol/config';
import type { Ctx } from '../ctx';
import { startJob } from './startJob';

/** Offered besides the configured ones: a useful spread up to very sparse models. */
const OFFERED = [0.25, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

type SparsityItem = vscode.QuickPickItem & { sparsity: number };

function percent(s: number): string {
  return `${+(s * 100).toFixed(2)} %`;
}

/** The picker's items: offered ∪ configured, ascending, the configured ones picked. */
export function sparsityItems(configured: readonly number[]): SparsityItem[] {
  const all = [...new Set([...OFFERED, ...configured])].filter((s) => Number.isFinite(s) && s >= 0 && s < 1).sort((a, b) => a - b);
  return all.map((s) => ({
    label: percent(s),
    description: configured.includes(s) ? 'in the config' : undefined,
    detail: `${Math.round(s * 100)} of every 100 kernel weights set to zero`,
    picked: configured.includes(s),
    sparsity: s,
  }));
}

export function runSweep(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'sweep', async (prepared) => {
    const configured = prepared.config.sweep?.sparsities ?? DEFAULT_CONFIG.sweep.sparsities;
    const picked = await vscode.window.showQuickPick(sparsityItems(Array.isArray(configured) ? configured : DEFAULT_CONFIG.sweep.sparsities), {
      title: 'Model Optimizer: sparsities to sweep',
      placeHolder: 'Each sparsity is one pruned model, exported and measured (the trained baseline is always included)',
      canPickMany: true,
    });
    if (!picked || picked.length === 0) {
      return undefined;
    }
    const sparsities = picked.map((p) => p.sparsity).sort((a, b) => a - b);
    return { override: (config) => ({ ...config, sweep: { ...config.sweep, sparsities } }) };
  });
}
