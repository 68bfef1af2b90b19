/**
 * Charts out of the panel: PNG (the canvas on the theme's background, so a dark chart stays
 * readable in a light document) and SVG drawn from the chart's own geometry (axes, ticks,
 * lines, points, legend), so it scales in slides and papers. No external library.
 */
import type { Chart } from 'chart.js';
import type { ChartImage } from '../protocol/webview';
import { readTheme } from './charts';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function color(v: unknown, fallback: string): string {
  return typeof v === 'string' && v !== 'transparent' ? v : fallback;
}

function n(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

export function chartPng(canvas: HTMLCanvasElement): string {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) {
    return canvas.toDataURL('image/png');
  }
  ctx.fillStyle = readTheme().background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(canvas, 0, 0);
  return out.toDataURL('image/png');
}

export function chartSvg(chart: Chart, title: string): string {
  const t = readTheme();
  const w = chart.width;
  const h = chart.height;
  const area = chart.chartArea;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 24}" viewBox="0 -24 ${w} ${h + 24}" font-family="${esc(t.font)}" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect x="0" y="-24" width="${w}" height="${h + 24}" fill="${esc(t.background)}"/>`,
    `<text x="4" y="-8" font-size="13" font-weight="600" fill="${esc(t.foreground)}">${esc(title)}</text>`,
    `<rect x="${n(area.left)}" y="${n(area.top)}" width="${n(area.right - area.left)}" height="${n(area.bottom - area.top)}" fill="none" stroke="${esc(t.grid)}"/>`,
  ];
  for (const id of ['x', 'y'] as const) {
    const scale = chart.scales[id];
    if (!scale) {
      continue;
    }
    scale.ticks.forEach((tick, i) => {
      const label = Array.isArray(tick.label) ? tick.label.join(' ') : String(tick.label ?? '');
      if (label === '') {
        return;
      }
      const p = scale.getPixelForTick(i);
      if (id === 'x') {
        parts.push(`<line x1="${n(p)}" y1="${n(area.top)}" x2="${n(p)}" y2="${n(area.bottom)}" stroke="${esc(t.grid)}"/>`);
        parts.push(`<text x="${n(p)}" y="${n(area.bottom + 14)}" text-anchor="middle" fill="${esc(t.muted)}">${esc(label)}</text>`);
      } else {
        parts.push(`<line x1="${n(area.left)}" y1="${n(p)}" x2="${n(area.right)}" y2="${n(p)}" stroke="${esc(t.grid)}"/>`);
        parts.push(`<text x="${n(area.left - 6)}" y="${n(p + 4)}" text-anchor="end" fill="${esc(t.muted)}">${esc(label)}</text>`);
      }
    });
    const axisTitle = (scale.options as { title?: { display?: boolean; text?: string } }).title;
    if (axisTitle?.display && axisTitle.text) {
      parts.push(
        id === 'x'
          ? `<text x="${n((area.left + area.right) / 2)}" y="${n(area.bottom + 30)}" text-anchor="middle" fill="${esc(t.muted)}">${esc(axisTitle.text)}</text>`
          : `<text transform="translate(12 ${n((area.top + area.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${esc(t.muted)}">${esc(axisTitle.text)}</text>`,
      );
    }
  }
  const legend: { label: string; color: string }[] = [];
  chart.data.datasets.forEach((ds, i) => {
    if (!chart.isDatasetVisible(i)) {
      return;
    }
    const meta = chart.getDatasetMeta(i);
    const stroke = color(ds.borderColor, t.foreground);
    const d = ds as { showLine?: boolean; borderDash?: number[]; pointRadius?: number; label?: string };
    const isLine = meta.type === 'line' || d.showLine === true;
    const pts = meta.data.map((el) => ({ x: el.x, y: el.y })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (isLine && pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${esc(stroke)}" stroke-width="2"${d.borderDash?.length ? ` stroke-dasharray="${d.borderDash.join(' ')}"` : ''} points="${pts.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}"/>`);
    }
    const r = typeof d.pointRadius === 'number' ? d.pointRadius : 3;
    if (r > 0) {
      for (const p of pts) {
        parts.push(`<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${r}" fill="${esc(color(ds.backgroundColor, 'none'))}" stroke="${esc(stroke)}"/>`);
      }
    }
    if (d.label) {
      legend.push({ label: d.label, color: stroke });
    }
  });
  let x = area.left;
  for (const item of legend) {
    parts.push(`<rect x="${n(x)}" y="${n(h - 12)}" width="10" height="10" fill="${esc(item.color)}"/>`);
    parts.push(`<text x="${n(x + 14)}" y="${n(h - 3)}" fill="${esc(t.foreground)}">${esc(item.label)}</text>`);
    x += 24 + item.label.length * 6;
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export function chartImage(name: string, title: string, chart: Chart): ChartImage {
  return { name, title, png: chartPng(chart.canvas), svg: chartSvg(chart, title) };
}
