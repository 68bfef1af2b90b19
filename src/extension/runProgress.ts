/**
 * The progress notification of a run (besides the status bar): the stage at work, how far the
 * whole run is, and a Cancel button that stops the run as Stop Run does. It appears only when a
 * run lasts more than a moment, so a run refused at once (a config error) flashes no toast.
 */
import * as vscode from 'vscode';
import type { RunScope } from './ctx';
import type { RunStore } from './runStore';

const SHOW_AFTER_MS = 1500;

export function showRunProgress(store: RunStore, scope: RunScope, runId: string, title: string, stop: () => void): void {
  let finish: (() => void) | undefined;
  const timer = setTimeout(() => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Model Optimizer: ${title}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          finish = resolve;
          let reported = 0;
          let lastText = '';
          const update = (): void => {
            const r = store.get(runId);
            if (!r || r.status !== 'running') {
              resolve();
              return;
            }
            const a = r.activity;
            const text = a?.text ?? 'starting…';
            const next = a?.overall ?? reported;
            if (text === lastText && next <= reported) {
              return;
            }
            lastText = text;
            progress.report({ message: text, increment: next > reported ? (next - reported) * 100 : undefined });
            reported = Math.max(reported, next);
          };
          const sub = store.onDidChange((c) => {
            if (c.kind === 'runs' || c.runId === runId) {
              update();
            }
          });
          token.onCancellationRequested(() => {
            stop();
          });
          void Promise.resolve().then(update);
          scope.add({ dispose: () => sub.dispose() });
        }),
    );
  }, SHOW_AFTER_MS);
  // Ending the run closes the notification.
  scope.add({
    dispose: () => {
      clearTimeout(timer);
      finish?.();
    },
  });
}
