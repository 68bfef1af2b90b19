/**
 * The metrics panel's HTML document. No `vscode` import: the webview tests load the very
 * same document in headless Chromium.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin local resources are served from. */
  cspSource: string;
  /** A fresh random value per document load. */
  nonce: string;
  /** URI of dist/webview.js as the webview can load it. */
  scriptUri: string;
  /** URIs of stylesheets under media/. */
  styleUris: string[];
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Strict CSP: nothing by default; scripts only with the nonce; styles from our own files
 * (and nonce'd elements); images from our files or data: URLs; no remote origin at all.
 * Chart.js draws on a canvas and sets sizes through the CSSOM (`element.style.x = …`),
 * which style-src does not restrict, and the web components use constructable style
 * sheets, so no 'unsafe-inline' is needed.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Stable hooks for tests (webview tests and the code-server e2e tests rely on them):
 * #run-status[data-status] (none|running|done|failed|cancelled), #run-id, #run-backend, #run-dataset,
 * #stop-button, #epoch-progress[data-value] (0…1 inside the current epoch),
 * canvas#chart-accuracy / #chart-loss [data-points] (epoch points drawn, all stages),
 * canvas#chart-sparsity [data-points][data-layers],
 * canvas#chart-tradeoff [data-points][data-groups][data-pareto][data-pareto-paths][data-baseline][data-recommended]
 * (gzip size vs accuracy per model file; #tradeoff-card hidden below two evaluated files),
 * #tradeoff-recommendation[data-path], #comparison-table (th[data-key], tr[data-path][data-pareto], tr.recommended),
 * #artifacts a.artifact-link[data-path], #warnings li, #error-box.
 * Sensitivity: #sensitivity-section, #sensitivity-prune tr[data-layer] td.heat[data-drop], #sensitivity-quant tr[data-layer],
 * #sensitivity-suggestion[data-config] pre, #sensitivity-nm.
 * Every chart card has .chart-tools (button[data-export=png|svg]) and details.chart-data > table
 * (the chart's data as a table, for screen readers and keyboard users); #export-report writes report.md.
 * Compare Runs: #app[data-mode=compare], #compare-section, #compare-runs tr[data-run],
 * #compare-config tr[data-key].differs, canvas#chart-compare-accuracy/#chart-compare-loss
 * [data-series] (one per run), #compare-files tr[data-run][data-path], #compare-back.
 * Deploy cards: #deploy-section .deploy-card (hooks listed in src/webview/deploy.ts).
 * Choose Dataset… preview: #dataset-preview[data-id], #dataset-classes-body tr[data-class],
 * #dataset-samples[data-count] > figure.sample[data-class] > canvas, #dataset-shape, #dataset-range,
 * #dataset-confirm, #dataset-cancel; data loading: #epoch-progress[data-stage=data].
 */
export function panelHtml(o: PanelHtmlOptions): string {
  const nonce = escapeAttr(o.nonce);
  const links = o.styleUris.map((u) => `<link rel="stylesheet" href="${escapeAttr(u)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${links}
    <title>Model Optimizer Metrics</title>
  </head>
  <body>
    <main id="app" aria-busy="true">
      <header id="run-header" class="run-header">
        <div class="title-row">
          <h1 id="run-title">Model Optimizer</h1>
          <vscode-badge id="run-status" data-status="none">no run</vscode-badge>
          <span class="spacer"></span>
          <label id="run-select-label" class="run-select-label" hidden>Run
            <select id="run-select" aria-label="Select run"></select>
          </label>
          <vscode-button id="stop-button" secondary hidden aria-label="Stop run">■ Stop</vscode-button>
          <vscode-button id="export-report" secondary hidden aria-label="Export report.md with the charts">Export report.md</vscode-button>
        </div>
        <dl class="facts">
          <div><dt>Run</dt><dd id="run-id">–</dd></div>
          <div><dt>Job</dt><dd id="run-job">–</dd></div>
          <div><dt>Backend</dt><dd id="run-backend">–</dd></div>
          <div><dt>Dataset</dt><dd id="run-dataset">–</dd></div>
          <div><dt>Duration</dt><dd id="run-duration">–</dd></div>
        </dl>
      </header>
      <section id="deploy-section" class="deploy" hidden aria-labelledby="deploy-title">
        <h2 id="deploy-title">Deploy to a device</h2>
        <div class="deploy-cards"></div>
      </section>
      <section id="dataset-preview" class="dataset-preview" hidden aria-labelledby="dataset-preview-title">
        <div class="title-row">
          <h2 id="dataset-preview-title">Data set</h2>
          <span class="spacer"></span>
          <vscode-button id="dataset-confirm">Write to model-optimizer.json</vscode-button>
          <vscode-button id="dataset-cancel" secondary>Cancel</vscode-button>
        </div>
        <ul id="dataset-summary" class="dataset-summary"></ul>
        <dl class="facts">
          <div><dt>Sample shape</dt><dd id="dataset-shape">–</dd></div>
          <div><dt>Values</dt><dd id="dataset-range">–</dd></div>
          <div><dt>Classes</dt><dd id="dataset-class-count">–</dd></div>
        </dl>
        <div class="table-wrap"><table id="dataset-classes" aria-label="Classes and their sample counts"><thead><tr><th>Class</th><th>Training</th><th>Test</th></tr></thead><tbody id="dataset-classes-body"></tbody></table></div>
        <p id="dataset-counts-note" class="charts-note"></p>
        <h3>Samples</h3>
        <p id="dataset-samples-note" class="charts-note"></p>
        <div id="dataset-samples" class="sample-grid" role="list" aria-label="Sample images per class" data-count="0"></div>
        <details><summary>The data section written</summary><pre id="dataset-json"></pre></details>
      </section>
      <section id="compare-section" class="compare" hidden aria-labelledby="compare-title">
        <div class="title-row">
          <h2 id="compare-title">Comparing runs</h2>
          <span class="spacer"></span>
          <vscode-button id="compare-back" secondary>Back to one run</vscode-button>
        </div>
        <div class="table-wrap"><table id="compare-runs" aria-label="Compared runs"><thead></thead><tbody></tbody></table></div>
        <h3>Config differences</h3>
        <p id="compare-config-note" class="charts-note" hidden>The runs used the same configuration.</p>
        <label class="toggle"><input type="checkbox" id="compare-config-all"> Show every setting</label>
        <div class="table-wrap"><table id="compare-config" aria-label="Configuration of each run"><thead></thead><tbody></tbody></table></div>
        <section class="charts compare-charts">
          <figure class="chart-card" data-chart="compare-accuracy">
            <figcaption>Validation accuracy by epoch</figcaption>
            <div class="chart-box"><canvas id="chart-compare-accuracy" role="img" aria-label="Validation accuracy per epoch of each compared run" data-series="0"></canvas></div>
          </figure>
          <figure class="chart-card" data-chart="compare-loss">
            <figcaption>Validation loss by epoch</figcaption>
            <div class="chart-box"><canvas id="chart-compare-loss" role="img" aria-label="Validation loss per epoch of each compared run" data-series="0"></canvas></div>
          </figure>
        </section>
        <h3>Model files</h3>
        <div class="table-wrap"><table id="compare-files" aria-label="Model files of every compared run"><thead></thead><tbody></tbody></table></div>
      </section>
      <section id="empty-state" class="empty-state" hidden>
        <p>No runs yet. Train the reference MNIST model, run the whole pipeline, or sweep sparsities to find the smallest accurate model.</p>
        <div class="buttons">
          <vscode-button id="start-train">Train Baseline Model</vscode-button>
          <vscode-button id="start-pipeline" secondary>Run Full Pipeline</vscode-button>
          <vscode-button id="start-sweep" secondary>Run Sparsity Sweep</vscode-button>
        </div>
        <p id="untrusted-note" hidden>This workspace is not trusted, so runs cannot start here.</p>
      </section>
      <section id="error-box" class="error-box" role="alert" hidden></section>
      <section id="progress-section" class="progress" hidden>
        <div class="progress-label"><span id="progress-text"></span></div>
        <vscode-progress-bar id="epoch-progress" max="1" value="0" aria-label="Progress inside the epoch"></vscode-progress-bar>
      </section>
      <p id="charts-note" class="charts-note" hidden></p>
      <section id="charts" class="charts" data-job="none">
        <figure class="chart-card" data-chart="accuracy">
          <figcaption>Accuracy</figcaption>
          <div class="chart-box"><canvas id="chart-accuracy" role="img" aria-label="Accuracy per epoch" data-points="0"></canvas></div>
        </figure>
        <figure class="chart-card" data-chart="loss">
          <figcaption>Loss</figcaption>
          <div class="chart-box"><canvas id="chart-loss" role="img" aria-label="Loss per epoch" data-points="0"></canvas></div>
        </figure>
        <figure class="chart-card chart-wide" id="tradeoff-card" data-chart="tradeoff" hidden>
          <figcaption>Trade-off: size against accuracy <span class="caption-note" id="tradeoff-note">one point per model file</span></figcaption>
          <div class="chart-box chart-tall"><canvas id="chart-tradeoff" role="img" aria-label="Gzip size against test accuracy" data-points="0"></canvas></div>
          <p id="tradeoff-recommendation" class="recommendation" hidden></p>
        </figure>
        <figure class="chart-card" id="sparsity-card" data-chart="sparsity" hidden>
          <figcaption>Sparsity per pruned layer</figcaption>
          <div class="chart-box"><canvas id="chart-sparsity" role="img" aria-label="Sparsity per pruned layer over training steps" data-points="0"></canvas></div>
        </figure>
      </section>
      <section id="sensitivity-section" class="sensitivity" hidden aria-labelledby="sensitivity-title">
        <h2 id="sensitivity-title">Layer sensitivity</h2>
        <p id="sensitivity-summary"></p>
        <h3>Pruning one layer at a time (no fine-tuning)</h3>
        <div class="table-wrap"><table id="sensitivity-prune" class="heatmap" aria-label="Accuracy with only one layer pruned, per layer and sparsity"></table></div>
        <div id="sensitivity-suggestion" class="suggestion" hidden>
          <p id="sensitivity-suggestion-text"></p>
          <pre tabindex="0" aria-label="Suggested prune.layers configuration"></pre>
        </div>
        <h3>Int8: one layer at a time, and the error each layer adds</h3>
        <div class="table-wrap"><table id="sensitivity-quant" class="heatmap" aria-label="Accuracy with only one layer in int8, and the int8 error per layer"></table></div>
        <h3>2:4 structured sparsity</h3>
        <div class="table-wrap"><table id="sensitivity-nm" aria-label="2:4 sparsity per kernel"></table></div>
        <p id="sensitivity-nm-note" class="charts-note"></p>
      </section>
      <section id="warnings-section" hidden>
        <h2>Warnings</h2>
        <ul id="warnings" class="warnings"></ul>
      </section>
      <section id="report-section" hidden>
        <h2>Comparison</h2>
        <div class="table-wrap">
          <table id="comparison-table" aria-label="Model comparison">
            <thead><tr id="comparison-head"></tr></thead>
            <tbody id="comparison-body"></tbody>
          </table>
        </div>
      </section>
      <section id="confusion-section" hidden>
        <h2>Confusion matrix</h2>
        <label>Model file <select id="confusion-model"></select></label>
        <div class="table-wrap"><table id="confusion-grid" class="confusion" aria-label="Confusion matrix: true classes in rows, predicted classes in columns"></table></div>
      </section>
      <section id="artifacts-section" hidden>
        <h2>Artifacts</h2>
        <ul id="artifacts" class="artifacts"></ul>
      </section>
    </main>
    <script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
  </body>
</html>
`;
}
