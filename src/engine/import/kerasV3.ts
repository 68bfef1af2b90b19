/**
 * Keras 3 `.keras` files: a zip of config.json (the model JSON), metadata.json
 * ({keras_version, date_saved}) and model.weights.h5, whose weights live at
 * `layers/<key>/vars/<i>`. The key is the layer's rank among its model's layers of the same
 * class (conv2d, conv2d_1, …), not its configured name (which may be conv2d_12); nested
 * models add `layers/<model key>/` levels. Variables are in Keras' order: trainable first.
 * Where Keras wrote the layer's name on the vars group, it must agree with the config.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { kerasMajorVersion } from '../layers/common/activations';
import { LIMITS, readFileLimited } from '../util/safeRead';
import { readFloatDataset, stringAttr, withH5File } from './h5';
import { flattenTopology } from './topology';
import type { ImportedModel, KerasLayerJson, RawWeight } from './types';
import { ZipReader } from '../util/zip';

const MiB = 1024 * 1024;

function parseJson(buf: Buffer, what: string, where: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch {
    throw new BadInputError(`${where}: its ${what} is not JSON. Save the model again with model.save('model.keras').`, where);
  }
}

export async function readKerasV3(file: string): Promise<ImportedModel> {
  const where = path.basename(file);
  const zip = new ZipReader(await readFileLimited(file, { what: 'Keras model', maxBytes: LIMITS.model }), where);
  const entry = (name: string) => {
    const e = zip.find(name);
    if (!e) {
      throw new BadInputError(`${where} is a zip archive without ${name}, so it is not a Keras 3 model file. Save the model with model.save('model.keras'), or pass a .h5 / model.json.`, where);
    }
    return e;
  };
  const topology = parseJson(zip.read(entry('config.json'), 64 * MiB), 'config.json', where) as KerasLayerJson;
  const metaEntry = zip.find('metadata.json');
  const meta = metaEntry ? (parseJson(zip.read(metaEntry, MiB), 'metadata.json', where) as { keras_version?: unknown }) : {};
  const flat = flattenTopology(topology, where);
  const weightsEntry = entry('model.weights.h5');
  const h5bytes = zip.read(weightsEntry, LIMITS.model);
  // h5wasm's Node build opens real paths only: the weights go to a private temp folder for the read.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'model-optimizer-keras-'));
  const tmp = path.join(dir, `${randomBytes(6).toString('hex')}.weights.h5`);
  try {
    await fs.writeFile(tmp, h5bytes, { mode: 0o600 });
    const weights = await withH5File(tmp, `${where}: model.weights.h5`, (f, h5) => {
      const out = new Map<string, RawWeight[]>();
      const budget = { values: 0 };
      for (const l of flat.layers) {
        if (!l.v3Key) {
          continue;
        }
        const g = f.get(`${l.v3Key}/vars`);
        if (!(g instanceof h5.Group)) {
          continue; // a layer without variables may have no group; buildGraph checks what is missing.
        }
        const stored = stringAttr(g, 'name');
        const own = l.path[l.path.length - 1];
        if (stored !== undefined && stored !== own) {
          throw new BadInputError(
            `${where}: model.weights.h5 keeps the weights of '${stored}' at ${l.v3Key}, where the config has '${own}' (${l.className}). The weights file does not belong to this config: save the model again.`,
            where,
          );
        }
        const keys = g.keys();
        const list: RawWeight[] = [];
        for (let i = 0; i < keys.length; i++) {
          const ds = g.get(String(i));
          if (!(ds instanceof h5.Dataset)) {
            throw new BadInputError(`${where}: model.weights.h5 has no dataset ${l.v3Key}/vars/${i} (it has ${keys.join(', ')}). Save the model again.`, where);
          }
          const source = `model.weights.h5:${l.v3Key}/vars/${i}`;
          list.push({ source, ...readFloatDataset(ds, `${where}: ${source}`, budget) });
        }
        if (list.length) {
          out.set(l.path.join('/'), list);
        }
      }
      return out;
    });
    const version = typeof meta.keras_version === 'string' ? meta.keras_version : '3';
    // A .keras file is Keras 3's format even when its metadata lacks the version.
    return { format: 'keras-v3', file: where, writtenBy: `keras ${version}`, kerasMajor: kerasMajorVersion(version) ?? 3, topology, weights };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
