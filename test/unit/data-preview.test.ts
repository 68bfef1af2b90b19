/**
 * Choose Dataset…'s preview (engine side, src/engine/data/preview.ts) on fixtures NumPy writes:
 * class counts, the sample pixels, shape and value range equal what NumPy says about the same
 * files; a large CSV is previewed from its head and says so; the result passes the panel's check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CSV_PREVIEW_BYTES, previewDataset } from '../../src/engine/data/preview';
import { suggestDataConfig } from '../../src/engine/data/suggest';
import { parseDatasetPreview, PREVIEW_MAX_SIDE, PREVIEW_PER_CLASS } from '../../src/protocol/datasetPreview';
import { python, PY_PNG, tempDir } from './data-helpers';

void test('image folder: counts per class (train and test), the first images of each class pixel for pixel, shape, range', async () => {
  const ws = tempDir('preview-img');
  const truth = python<{ px: Record<string, number[][]>; range: [number, number] }>(
    `${PY_PNG}
root = sys.argv[1]
rng = np.random.default_rng(5)
px = {}
lo, hi = 255, 0
for split, n in (('train', {'ant': 6, 'bee': 3, 'cow': 5}), ('test', {'ant': 2, 'bee': 1, 'cow': 2})):
    for c, k in n.items():
        for i in range(k):
            a = rng.integers(10, 240, (5, 7, 3), dtype=np.uint8)
            png(os.path.join(root, 'zoo', split, c, '%02d.png' % i), a)
            if split == 'train' and i < ${PREVIEW_PER_CLASS}:
                px.setdefault(c, []).append(a.ravel().tolist())
                lo, hi = min(lo, int(a.min())), max(hi, int(a.max()))
print(json.dumps({'px': px, 'range': [lo, hi]}))`,
    ws,
  );
  const s = await suggestDataConfig(path.join(ws, 'zoo'), ws);
  const p = await previewDataset(s, 'zoo', ws);
  assert.deepEqual(p.data, s.data);
  assert.deepEqual(p.classes, [
    { name: 'ant', train: 6, test: 2 },
    { name: 'bee', train: 3, test: 1 },
    { name: 'cow', train: 5, test: 2 },
  ]);
  assert.deepEqual(p.shape, [5, 7, 3]);
  assert.equal(p.dtype, 'uint8');
  assert.deepEqual([p.valueRange.min, p.valueRange.max], truth.range);
  assert.equal(p.samples.length, 4 + 3 + 4);
  for (const [ci, name] of ['ant', 'bee', 'cow'].entries()) {
    const mine = p.samples.filter((x) => x.classIndex === ci);
    assert.deepEqual(
      mine.map((x) => x.pixels),
      truth.px[name],
      `${name}: the first ${PREVIEW_PER_CLASS} images' pixels`,
    );
    assert.ok(mine.every((x) => x.width === 7 && x.height === 5 && x.channels === 3));
  }
  // What the panel receives (JSON through postMessage) passes its check.
  assert.notEqual(parseDatasetPreview(JSON.parse(JSON.stringify(p))), null);
  // A tampered preview is refused by the panel's check.
  assert.equal(parseDatasetPreview({ ...p, samples: [{ ...p.samples[0], pixels: p.samples[0].pixels.slice(1) }] }), null);
  assert.equal(parseDatasetPreview({ ...p, samples: [{ ...p.samples[0], classIndex: 7 }] }), null);
});

void test('large images are scaled down to the preview size; grayscale follows data.colorMode', async () => {
  const ws = tempDir('preview-big');
  python(`${PY_PNG}\npng(os.path.join(sys.argv[1], 'big', 'train', 'x', '0.png'), np.full((200, 100, 3), 77, np.uint8))`, ws);
  const s = await suggestDataConfig(path.join(ws, 'big'), ws);
  const p = await previewDataset({ ...s, data: { ...s.data, colorMode: 'grayscale' } }, 'big', ws);
  assert.deepEqual(p.shape, [200, 100, 1]);
  assert.deepEqual([p.samples[0].height, p.samples[0].width, p.samples[0].channels], [PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE / 2, 1]);
  assert.ok(p.samples[0].pixels.every((v) => v === 77));
  assert.deepEqual(p.classes, [{ name: 'x', train: 1, test: null }]);
});

void test('.npz: counts and value range over the whole training set (vs NumPy), 784-feature rows drawn as 28 × 28', async () => {
  const ws = tempDir('preview-npz');
  const truth = python<{ counts: number[]; test: number[]; lo: number; hi: number; first: number[] }>(
    `rng = np.random.default_rng(2)
x = rng.normal(3, 2, (50, 784)).astype(np.float32)
y = rng.integers(0, 3, 50)
yt = rng.integers(0, 3, 20)
np.savez(os.path.join(sys.argv[1], 'd.npz'), x_train=x, y_train=y, x_test=x[:20], y_test=yt)
first = x[np.where(y == 0)[0][0]]
lo, hi = float(x.min()), float(x.max())
print(json.dumps({'counts': np.bincount(y, minlength=3).tolist(), 'test': np.bincount(yt, minlength=3).tolist(), 'lo': lo, 'hi': hi, 'first': np.clip(np.round((first - lo) * (255 / (hi - lo))), 0, 255).astype(int).tolist()}))`,
    ws,
  );
  const s = await suggestDataConfig(path.join(ws, 'd.npz'), ws);
  const p = await previewDataset(s, 'd.npz', ws);
  assert.deepEqual(p.classes.map((c) => c.train), truth.counts);
  assert.deepEqual(p.classes.map((c) => c.test), truth.test);
  assert.equal(p.dtype, 'float32');
  assert.deepEqual(p.shape, [784]);
  assert.ok(Math.abs(p.valueRange.min - truth.lo) < 1e-5 && Math.abs(p.valueRange.max - truth.hi) < 1e-5);
  assert.match(p.samplesNote, /784 features of each row drawn as 28 × 28 grayscale/);
  const first = p.samples.find((x) => x.classIndex === 0)!;
  assert.equal(first.width, 28);
  // Float values mapped to 0…255 over the range: at most one level from NumPy's rounding.
  assert.ok(first.pixels.every((v, i) => Math.abs(v - truth.first[i]) <= 1));
});

void test('CSV: a file larger than the preview budget is read from its head, and the counts say over what', async () => {
  const ws = tempDir('preview-csv');
  const rows = python<{ n: number; counts: Record<string, number> }>(
    `path = os.path.join(sys.argv[1], 'train.csv')
rng = np.random.default_rng(4)
names = ['cat', 'dog']
lines = ['label,' + ','.join('f%d' % j for j in range(99))]
size = 0
counts = {}
n = 0
budget = int(sys.argv[2])
while size < budget * 1.5:
    lab = names[rng.integers(0, 2)]
    line = lab + ',' + ','.join(str(v) for v in rng.integers(0, 256, 99))
    lines.append(line)
    size += len(line) + 1
    if size + len(lines[0]) + 1 <= budget:
        counts[lab] = counts.get(lab, 0) + 1; n += 1
open(path, 'w').write('\\n'.join(lines) + '\\n')
print(json.dumps({'n': n, 'counts': counts}))`,
    ws,
    String(CSV_PREVIEW_BYTES),
  );
  const s = await suggestDataConfig(path.join(ws, 'train.csv'), ws);
  const p = await previewDataset(s, 'train.csv', ws);
  assert.deepEqual(
    p.classes.map((c) => [c.name, c.train]),
    Object.entries(rows.counts).sort(),
  );
  assert.match(p.countsOver, new RegExp(`^the first ${rows.n.toLocaleString('en-US')} rows \\(8(\\.0+)? MiB of \\d+(\\.\\d+)? MiB; the run reads them all\\)$`));
  assert.deepEqual(p.shape, [99]);
  assert.equal(p.samples.length, 0, '99 features are not a square image');
  assert.match(p.samplesNote, /not images/);
  assert.ok(p.valueRange.min >= 0 && p.valueRange.max <= 255);
});
