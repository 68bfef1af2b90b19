import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadData, readRawData } from '../../src/engine/data/load';
import { BadInputError } from '../../src/engine/errors';
import { config, python, PY_PNG, tempDir } from './data-helpers';

const isBad = (re: RegExp) => (e: unknown): boolean => e instanceof BadInputError && re.test(e.message);

/** Writes train/ and test/ class folders of random images; returns the pixels Python wrote (HxWxC lists). */
function writeFolders(root: string, spec: { classes: string[]; perClass: number; h: number; w: number; c: number }): { train: number[][][][][]; test: number[][][][][] } {
  return python(
    `${PY_PNG}
root, spec = sys.argv[1], json.loads(sys.argv[2])
rng = np.random.default_rng(5)
out = {}
for split in ('train', 'test'):
    out[split] = []
    for name in spec['classes']:
        imgs = []
        for i in range(spec['perClass']):
            a = rng.integers(0, 256, size=(spec['h'], spec['w'], spec['c']), dtype=np.uint8)
            png(os.path.join(root, split, name, 'img%02d.png' % i), a)
            imgs.append(a.tolist())
        out[split].append(imgs)
print(json.dumps(out))`,
    root,
    JSON.stringify(spec),
  );
}

void test('image folder, grayscale PNG: pixels, class names (sorted folders), labels, shape as Python wrote them', async () => {
  const root = tempDir('gray');
  const written = writeFolders(root, { classes: ['dog', 'cat', 'bird'], perClass: 3, h: 5, w: 4, c: 1 });
  const raw = await readRawData(config({ source: 'image-folder', trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'grayscale' }));
  assert.deepEqual(raw.classNames, ['bird', 'cat', 'dog']);
  assert.deepEqual(raw.shape, [5, 4, 1]);
  assert.equal(raw.train.count, 9);
  // Class folders in sorted order, files sorted inside each.
  const order = ['bird', 'cat', 'dog'].map((c) => ['dog', 'cat', 'bird'].indexOf(c));
  const expected = order.flatMap((k) => written.train[k].map((img) => img.flat(2)));
  assert.deepEqual([...raw.train.x], expected.flat());
  assert.deepEqual([...raw.train.labels], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
});

void test('image folder, RGB and RGBA PNG: alpha dropped; grayscale of colour = BT.601 luma as NumPy computes it', async () => {
  const root = tempDir('rgb');
  const written = writeFolders(root, { classes: ['a', 'b'], perClass: 2, h: 3, w: 6, c: 4 });
  const dirs = { trainDir: path.join(root, 'train'), testDir: path.join(root, 'test') };
  const rgb = await readRawData(config({ source: 'image-folder', ...dirs, colorMode: 'rgb' }));
  assert.deepEqual(rgb.shape, [3, 6, 3]);
  const expectRgb = written.test.flatMap((cls) => cls.map((img) => img.flatMap((row) => row.flatMap((px) => px.slice(0, 3)))));
  assert.deepEqual([...rgb.test.x], expectRgb.flat());
  const gray = await readRawData(config({ source: 'image-folder', ...dirs, colorMode: 'grayscale' }));
  const luma = python<number[]>(
    `a = np.array(json.loads(sys.argv[1]), dtype=np.float64)[..., :3]
print(json.dumps(np.floor(a @ np.array([0.299, 0.587, 0.114]) + 0.5).astype(int).ravel().tolist()))`,
    JSON.stringify(written.test.flat()),
  );
  const diff = [...gray.test.x].map((v, i) => Math.abs(v - luma[i]));
  assert.ok(Math.max(...diff) <= 1, `luma within 1 (float rounding at .5): max ${Math.max(...diff)}`);
  assert.ok(diff.filter((d) => d > 0).length <= 2, 'all but ties identical');
});

void test('JPEG (written by libjpeg-turbo cjpeg): decodes like djpeg within 2 levels; gray JPEG too', async () => {
  const root = tempDir('jpeg');
  // A smooth gradient compresses with small errors, so decoder differences stay small.
  python(
    `root = sys.argv[1]
for split in ('train', 'test'):
    for name, phase in (('x', 0), ('y', 40)):
        d = os.path.join(root, split, name); os.makedirs(d, exist_ok=True)
        yy, xx = np.mgrid[0:16, 0:16]
        rgb = np.stack([(xx * 12 + phase) % 256, (yy * 10 + phase) % 256, ((xx + yy) * 6) % 256], -1).astype(np.uint8)
        open(os.path.join(d, 'c.ppm'), 'wb').write(b'P6\\n16 16\\n255\\n' + rgb.tobytes())
        open(os.path.join(d, 'g.pgm'), 'wb').write(b'P5\\n16 16\\n255\\n' + rgb[:, :, 0].tobytes())`,
    root,
  );
  const ppms: string[] = [];
  for (const split of ['train', 'test']) {
    for (const name of ['x', 'y']) {
      for (const f of ['c.ppm', 'g.pgm']) {
        const src = path.join(root, split, name, f);
        const jpg = src.replace(/\.p[pg]m$/, f.startsWith('c') ? '.jpg' : '_g.jpeg');
        // 4:4:4 (no chroma subsampling): decoders differ in how they upsample chroma, not in what the file says.
        execFileSync('cjpeg', ['-quality', '95', '-sample', '1x1', '-outfile', jpg, src]);
        await fs.rm(src);
        ppms.push(jpg);
      }
    }
  }
  const raw = await readRawData(config({ source: 'image-folder', trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'rgb' }));
  assert.deepEqual(raw.shape, [16, 16, 3]);
  assert.equal(raw.train.count, 4);
  // Files in sorted order: c.jpg, g_g.jpeg per class.
  const files = ['x/c.jpg', 'x/g_g.jpeg', 'y/c.jpg', 'y/g_g.jpeg'].map((f) => path.join(root, 'train', f));
  let maxDiff = 0;
  files.forEach((f, k) => {
    const pnm = execFileSync('djpeg', ['-pnm', f]);
    const gray = pnm[1] === 0x35;
    const body = pnm.subarray(pnm.length - 16 * 16 * (gray ? 1 : 3));
    for (let p = 0; p < 256; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const ref = body[gray ? p : p * 3 + ch];
        maxDiff = Math.max(maxDiff, Math.abs(raw.train.x[k * 768 + p * 3 + ch] - ref));
      }
    }
  });
  assert.ok(maxDiff <= 2, `jpeg-js vs djpeg: max difference ${maxDiff}`);
  assert.ok(readFileSync(files[0]).length > 0);
});

void test('imageSize: bilinear resize equals tf.image.resize half-pixel-centre formula (NumPy)', async () => {
  const root = tempDir('resize');
  const written = writeFolders(root, { classes: ['p', 'q'], perClass: 1, h: 7, w: 5, c: 1 });
  const raw = await readRawData(config({ source: 'image-folder', trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'grayscale', imageSize: [4, 9] }));
  assert.deepEqual(raw.shape, [4, 9, 1]);
  const ref = python<number[]>(
    `imgs = np.array(json.loads(sys.argv[1]), dtype=np.float64)[..., 0]
def resize(a, oh, ow):
    h, w = a.shape
    def axis(o, n):
        x = (np.arange(o) + 0.5) * n / o - 0.5
        lo = np.floor(x); f = x - lo
        return np.maximum(lo, 0).astype(int), np.minimum(np.ceil(x), n - 1).astype(int), f
    y0, y1, fy = axis(oh, h); x0, x1, fx = axis(ow, w)
    top = a[y0][:, x0] + (a[y0][:, x1] - a[y0][:, x0]) * fx
    bot = a[y1][:, x0] + (a[y1][:, x1] - a[y1][:, x0]) * fx
    return top + (bot - top) * fy[:, None]
print(json.dumps(np.concatenate([np.floor(resize(i, 4, 9) + 0.5).ravel() for i in imgs]).astype(int).tolist()))`,
    JSON.stringify(written.train.flat()),
  );
  assert.deepEqual([...raw.train.x], ref);
});

void test('image folder errors: corrupt image, mixed sizes, empty class folder, unknown test class, missing folder', async () => {
  const root = tempDir('errors');
  writeFolders(root, { classes: ['a', 'b'], perClass: 2, h: 4, w: 4, c: 1 });
  const cfg = (extra = {}) => config({ source: 'image-folder', trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'grayscale', ...extra });
  // Corrupt: a truncated PNG.
  const victim = path.join(root, 'train', 'b', 'img01.png');
  const good = await fs.readFile(victim);
  await fs.writeFile(victim, good.subarray(0, good.length - 20));
  await assert.rejects(loadData(cfg()), isBad(/img01\.png is not a readable PNG.*Replace or remove the file/));
  await fs.writeFile(victim, good);
  // Mixed sizes without imageSize; fine with it.
  python(`${PY_PNG}\npng(sys.argv[1], np.zeros((6, 5), np.uint8))`, path.join(root, 'test', 'a', 'big.png'));
  await assert.rejects(loadData(cfg()), isBad(/big\.png is 6×5 pixels .* first training image is 4×4\. Set data\.imageSize/));
  const resized = await loadData(cfg({ imageSize: [4, 4] }));
  assert.equal(resized.test.count, 5);
  // Empty class folder (non-image files do not count).
  await fs.mkdir(path.join(root, 'train', 'c'));
  await fs.writeFile(path.join(root, 'train', 'c', 'notes.txt'), 'x');
  await assert.rejects(loadData(cfg({ imageSize: [4, 4] })), isBad(/train\/c \(class "c"\) holds no PNG or JPEG images/));
  await fs.rm(path.join(root, 'train', 'c'), { recursive: true });
  // A test class the training folder lacks.
  await fs.mkdir(path.join(root, 'test', 'zebra'));
  await assert.rejects(loadData(cfg({ imageSize: [4, 4] })), isBad(/test\/zebra is a class folder that the training folder does not have \(its classes: a, b\)/));
  await fs.rm(path.join(root, 'test', 'zebra'), { recursive: true });
  await assert.rejects(loadData(cfg({ trainDir: path.join(root, 'nope') })), isBad(/nope \(data\.trainDir\) does not exist/));
  // Hidden folders (.ipynb_checkpoints) are not classes.
  await fs.mkdir(path.join(root, 'train', '.ipynb_checkpoints'));
  const ok = await loadData(cfg({ imageSize: [4, 4] }));
  assert.deepEqual(ok.classNames, ['a', 'b']);
});

void test('class-sorted image folder: tail split warns, stratified keeps every class', async () => {
  const root = tempDir('split');
  writeFolders(root, { classes: ['a', 'b', 'c', 'd'], perClass: 5, h: 2, w: 2, c: 1 });
  const base = { source: 'image-folder' as const, trainDir: path.join(root, 'train'), testDir: path.join(root, 'test'), colorMode: 'grayscale' as const };
  const tail = await loadData(config(base, { validationSplit: 0.2 }));
  assert.equal(tail.warnings[0]?.code, 'validation-classes');
  assert.deepEqual([...tail.validation.labels], [3, 3, 3, 3]);
  const strat = await loadData(config({ ...base, validation: 'stratified' }, { validationSplit: 0.2 }));
  assert.deepEqual(strat.warnings, []);
  assert.deepEqual([...strat.validation.labels].sort(), [0, 1, 2, 3]);
});
