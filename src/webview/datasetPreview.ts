/**
 * Choose Dataset…'s preview in the panel (issue 11): what was found (summary, classes with their
 * training and test counts), the sample shape and value range, a grid of sample images and the
 * `data` section Confirm writes. Every text goes in as textContent; the images arrive as numbers
 * and are painted onto canvases with putImageData, so nothing from the data set becomes HTML or
 * a URL (the panel's CSP needs no change).
 */
import type { DatasetPreview, PreviewImage } from '../protocol/datasetPreview';

export interface PreviewElements {
  section: HTMLElement;
  title: HTMLElement;
  summary: HTMLUListElement;
  shape: HTMLElement;
  range: HTMLElement;
  classCount: HTMLElement;
  classes: HTMLTableSectionElement;
  countsNote: HTMLElement;
  samplesNote: HTMLElement;
  samples: HTMLElement;
  sectionJson: HTMLElement;
  confirm: HTMLElement;
  cancel: HTMLElement;
}

/** RGBA for ImageData from 1- or 3-channel bytes. */
export function rgbaOf(img: PreviewImage): Uint8ClampedArray<ArrayBuffer> {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(new ArrayBuffer(n * 4));
  for (let p = 0; p < n; p++) {
    const o = p * img.channels;
    const r = img.pixels[o];
    out[p * 4] = r;
    out[p * 4 + 1] = img.channels === 3 ? img.pixels[o + 1] : r;
    out[p * 4 + 2] = img.channels === 3 ? img.pixels[o + 2] : r;
    out[p * 4 + 3] = 255;
  }
  return out;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toPrecision(5)).toString();
}

export class DatasetPreviewView {
  private current: DatasetPreview | null = null;

  constructor(
    private readonly e: PreviewElements,
    private readonly send: (msg: { type: 'confirmDataset' | 'cancelDataset'; id: string }) => void,
  ) {
    e.confirm.addEventListener('click', () => this.answer('confirmDataset'));
    e.cancel.addEventListener('click', () => this.answer('cancelDataset'));
  }

  private answer(type: 'confirmDataset' | 'cancelDataset'): void {
    if (this.current) {
      this.send({ type, id: this.current.id });
    }
  }

  show(p: DatasetPreview | null): void {
    this.current = p;
    const e = this.e;
    e.section.hidden = !p;
    e.section.dataset.id = p?.id ?? '';
    if (!p) {
      return;
    }
    e.title.textContent = `Data set: ${p.target}`;
    e.summary.replaceChildren(
      ...p.summary.map((line) => {
        const li = document.createElement('li');
        li.textContent = line;
        return li;
      }),
    );
    e.shape.textContent = `[${p.shape.join(', ')}] ${p.dtype}`;
    e.range.textContent = `${fmt(p.valueRange.min)} … ${fmt(p.valueRange.max)} (${p.valueRange.over})`;
    e.classCount.textContent = String(p.classes.length);
    const hasTest = p.classes.some((c) => c.test !== null);
    e.classes.replaceChildren(
      ...p.classes.map((c) => {
        const tr = document.createElement('tr');
        tr.dataset.class = c.name;
        for (const v of [c.name, fmt(c.train), c.test === null ? (hasTest ? '0' : '—') : fmt(c.test)]) {
          const td = document.createElement('td');
          td.textContent = v;
          tr.append(td);
        }
        return tr;
      }),
    );
    e.countsNote.textContent = `Counted over ${p.countsOver}.`;
    e.samplesNote.textContent = p.samplesNote;
    e.samples.dataset.count = String(p.samples.length);
    e.samples.replaceChildren(...p.samples.map((img) => this.sample(img, p.classes[img.classIndex]?.name ?? String(img.classIndex))));
    e.sectionJson.textContent = JSON.stringify({ data: p.data }, null, 2);
  }

  private sample(img: PreviewImage, className: string): HTMLElement {
    const fig = document.createElement('figure');
    fig.className = 'sample';
    fig.setAttribute('role', 'listitem');
    fig.dataset.class = className;
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Sample of class ${className}, ${img.width} × ${img.height}`);
    const g = canvas.getContext('2d');
    if (g) {
      g.putImageData(new ImageData(rgbaOf(img), img.width, img.height), 0, 0);
    }
    const cap = document.createElement('figcaption');
    cap.textContent = className;
    fig.append(canvas, cap);
    return fig;
  }
}
