/** The status bar item shown while a run is active (part of the run's scope). */
import * as vscode from 'vscode';
import type { RunStore } from './runStore';

export class RunStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly store: RunStore,
    private readonly runId: string,
    private readonly title: string,
  ) {
    this.item = vscode.window.createStatusBarItem('modelOptimizer.run', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Model Optimizer run';
    this.item.command = { title: 'Show Metrics Panel', command: 'modelOptimizer.showPanel', arguments: [runId] };
    this.render();
    this.item.show();
    this.sub = store.onDidChange((c) => {
      if (c.kind === 'runs' || c.runId === runId) {
        this.render();
      }
    });
  }

  private render(): void {
    const r = this.store.get(this.runId);
    const detail = r?.activity ? ` ${r.activity.text}` : ' starting…';
    this.item.text = `$(sync~spin) ${this.title}:${detail}`;
    this.item.tooltip = `Model Optimizer run ${this.runId}${r?.backend ? ` on ${r.backend.tfjs} (${r.backend.trainer})` : ''}. Click to show the metrics.`;
    this.item.accessibilityInformation = { label: `Model Optimizer ${this.title}:${detail}` };
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
