/**
 * Human-readable CLI output: results on stdout (epoch lines, artifacts, summary); progress,
 * logs and warnings on stderr. The progress bar redraws in place only on a terminal;
 * otherwise a plain progress line is printed only for an epoch that has run for a few
 * seconds, and then at most every few seconds (a short epoch prints its epoch line only).
 */
import type { SensitivityReport } from '../protocol/sensitivity';
import { renderSensitivityMarkdown } from '../engine/report/sensitivity';
import { assertNever } from '../protocol/assert';
import { mergeReport, type BackendInfo, type EngineEvent, type ModelReport, type WarningEvent } from '../protocol/engine';
import { bytes, comparisonTable, duration, metric, pct, problemText, progressBar, sweepTable } from './format';

export interface Streams {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const PLAIN_PROGRESS_EVERY_MS = 5000;

export class HumanPrinter {
  private barShown = false;
  private lastPlain = 0;
  private report: ModelReport[] = [];
  private readonly warnings: WarningEvent[] = [];
  private outDir = '';
  /** In-process the engine updates this object when it picks the training loop. */
  private backend?: BackendInfo;
  private trains = false;
  /** Sweep runs: the accuracy budget of the recommendation (config sweep.maxAccuracyDrop). */
  private sweepBudget: number | null = null;
  private sensitivity?: SensitivityReport;

  constructor(
    private readonly s: Streams,
    private readonly verbose: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  setOutDir(dir: string): void {
    this.outDir = dir;
  }

  private out(line: string): void {
    this.clearBar();
    this.s.out.write(`${line}\n`);
  }

  private err(line: string): void {
    this.clearBar();
    this.s.err.write(`${line}\n`);
  }

  private clearBar(): void {
    if (this.barShown) {
      this.s.err.write('\r\x1b[2K');
      this.barShown = false;
    }
  }

  handle(e: EngineEvent): void {
    switch (e.type) {
      case 'ready':
        return;
      case 'jobStarted': {
        const b = e.backend;
        this.backend = b;
        this.trains = e.stages.some((s) => s === 'train' || s === 'prune' || s === 'qat' || s === 'cluster');
        this.sweepBudget = e.job === 'sweep' ? e.config.sweep.maxAccuracyDrop : null;
        this.out(`Model Optimizer: ${e.job} (run ${e.runId})`);
        this.out(`  backend   ${b.tfjs} (requested: ${b.requested})${b.detail ? ` — ${b.detail}` : ''}`);
        if (this.trains) {
          this.out(`  loop      ${b.trainer}`);
        }
        this.out(`  data      ${e.dataset.name}: ${e.dataset.train} train / ${e.dataset.validation} validation / ${e.dataset.test} test`);
        this.out(`  stages    ${e.stages.join(' → ')}`);
        if (this.outDir) {
          this.out(`  output    ${this.outDir}${e.runDir ? ` (this run's files: ${e.runDir}/, published to the top when it completes)` : ''}`);
        }
        return;
      }
      case 'stageStarted': {
        this.lastPlain = this.now();
        const shape = e.epochs !== undefined ? `: ${e.epochs} epoch(s)${e.stepsPerEpoch !== undefined ? ` × ${e.stepsPerEpoch} steps` : ''}` : '';
        this.out(`\n▶ ${e.stage} ${e.model}${shape}`);
        return;
      }
      case 'batchProgress':
        if (this.s.err.isTTY) {
          const line = progressBar(e);
          const cols = this.s.err.columns ?? 120;
          this.s.err.write(`\r\x1b[2K${line.slice(0, cols - 1)}`);
          this.barShown = true;
        } else if (this.now() - this.lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
          this.lastPlain = this.now();
          this.err(`  ${e.stage} epoch ${e.epoch}/${e.epochs}: batch ${e.batch}/${e.batches}, loss ${e.loss.toFixed(4)}, acc ${e.accuracy.toFixed(4)}`);
        }
        return;
      case 'epochEnd': {
        this.lastPlain = this.now();
        const m = e.metrics;
        const sp = e.sparsity
          ? `  sparsity ${Object.entries(e.sparsity)
              .map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`)
              .join(', ')}`
          : '';
        this.out(
          `  epoch ${e.epoch}/${e.epochs}  loss ${metric(m.loss)}  accuracy ${metric(m.accuracy)}  val_loss ${metric(m.valLoss)}  val_accuracy ${metric(m.valAccuracy)}  step ${e.step}  ${duration(e.durationMs)}${sp}`,
        );
        return;
      }
      case 'dataProgress':
        // As before the typed event: one line per report (at most one a second, and the last).
        this.err(`loading data: ${e.phase} ${e.done} / ${e.total}`);
        return;
      case 'stageProgress':
        if (this.verbose) {
          this.err(`  ${e.stage} ${e.done + 1}/${e.total}: ${e.task}`);
        }
        return;
      case 'pruningStep':
        if (this.verbose) {
          this.err(`  pruning step ${e.step}: target ${e.targetSparsity.toFixed(4)}; ${e.layers.map((l) => `${l.name} ${l.sparsity.toFixed(4)}`).join(', ')}`);
        }
        return;
      case 'warning':
        this.warnings.push(e);
        this.err(`warning [${e.code}]: ${e.message}`);
        return;
      case 'log':
        if (e.level === 'info' || this.verbose) {
          this.err(`  · ${e.message}`);
        }
        return;
      case 'artifactWritten':
        this.out(`  wrote ${e.path} (${bytes(e.bytes)})`);
        return;
      case 'report':
        this.report = mergeReport(this.report, e.rows);
        return;
      case 'sensitivity':
        this.sensitivity = e.report;
        return;
      case 'done':
        // The trainer that really ran (jobStarted's was the plan).
        this.backend = e.backend ?? this.backend;
        this.summary(e.testAccuracy, e.durationMs, e.recordPath);
        return;
      case 'cancelled':
        this.err(`\nRun cancelled after ${duration(e.durationMs)}. Completed files were kept; partial files were removed.`);
        return;
      case 'error':
        // The same one-paragraph style as argument and config errors (problemText).
        this.err(
          e.code === 'bad-input'
            ? `\n${problemText(e.message, e.where).trimEnd()}`
            : `\nmodel-optimizer: internal error: ${e.message}\nThis is a bug in Model Optimizer; please report it with the run record.`,
        );
        if (e.stack && (this.verbose || e.code === 'internal')) {
          this.err(e.stack);
        }
        return;
      default:
        assertNever(e, 'engine event');
    }
  }

  private summary(acc: Record<string, number>, ms: number, recordPath: string): void {
    this.out('\nSummary');
    for (const [model, a] of Object.entries(acc)) {
      this.out(`  ${model.padEnd(22)} test accuracy ${pct(a)} (${a.toFixed(4)})`);
    }
    if (this.report.length > 0) {
      this.out('');
      this.out(this.sweepBudget !== null ? sweepTable(this.report, this.sweepBudget) : comparisonTable(this.report));
    }
    if (this.sensitivity) {
      // The same tables as sensitivity.md.
      this.out(`\n${renderSensitivityMarkdown(this.sensitivity).trimEnd()}`);
    }
    if (this.warnings.length > 0) {
      this.out(`\n  ${this.warnings.length} warning(s): ${[...new Set(this.warnings.map((w) => w.code))].join(', ')} (see above)`);
    }
    if (this.backend) {
      const b = this.backend;
      this.out(`\n  backend     ${b.tfjs}${this.trains ? `, training loop ${b.trainer}` : ''}${b.detail ? ` (${b.detail})` : ''}`);
    }
    this.out(`${this.backend ? '' : '\n'}  run record  ${recordPath}`);
    this.out(`  total time  ${duration(ms)}`);
  }
}
