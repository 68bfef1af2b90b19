/**
 * Model Optimizer: Run Sparsity Sweep — prunes the trained baseline to several sparsities,
 * exports each as TFLite and measures every file (the size / accuracy trade-off). A quick pick
 * offers the sparsities, the config's `sweep.sparsities` pre-selected; the choice overrides
 * that list for this run only.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_CONFIG } from '../../protocol/config';
import type { Ctx } from '../ctx';
import { pickedSparsities, sparsityItems } from '../sweepPicks';
import { startJob } from './startJob';

export function runSweep(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'sweep', async (prepared) => {
    const configured: unknown = prepared.config.sweep?.sparsities;
    const hasBaseline = existsSync(path.join(prepared.outDir, 'mnist_model', 'model.json'));
    const picked = await vscode.window.showQuickPick(sparsityItems(Array.isArray(configured) ? configured : DEFAULT_CONFIG.sweep.sparsities), {
      title: 'Model Optimizer: sparsities to sweep',
      placeHolder: hasBaseline
        ? 'One pruned model per sparsity, from the trained mnist_model in the output folder; each is exported and measured'
        : 'No trained model in the output folder yet: the sweep trains the baseline first, then prunes it to each sparsity',
      canPickMany: true,
    });
    if (!picked || picked.length === 0) {
      return undefined;
    }
    const sparsities = pickedSparsities(picked);
    return { override: (config) => ({ ...config, sweep: { ...config.sweep, sparsities } }) };
  });
}
