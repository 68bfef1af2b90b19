/**
 * Which layer a stored weight belongs to, from its name, for the formats that store names
 * (legacy .h5 weight_names, TF.js manifests). The name's last part is the weight
 * ('kernel:0', 'moving_mean'), the part before it the layer, and parts before that the
 * enclosing models, as Keras 2 ('Conv1/kernel:0'), Keras 3's legacy saver
 * ('sequential/conv2d/kernel') and tfjs-layers ('dense_Dense1/kernel') write them.
 */
import { BadInputError } from '../errors';
import type { FlatLayer } from './topology';
import type { RawWeight } from './types';

export interface NamedWeight {
  /** The stored name, e.g. 'block_1_expand/kernel:0'. */
  name: string;
  /** Where it was read from, for messages. */
  source: string;
  shape: number[];
  data: Float32Array;
}

/** 'conv2d/kernel:0' → ['conv2d', 'kernel']. */
export function splitWeightName(name: string): string[] {
  return name.replace(/:\d+$/, '').split('/').filter((p) => p.length > 0);
}

/**
 * Assigns `weights` to layers of `leaves`, returning weights by layer path ('a/b/c').
 * `scope` restricts the candidates to the layers under one top-level layer (a legacy .h5
 * group holds exactly one top-level layer's weights, nested model or not).
 */
export function assignNamedWeights(weights: NamedWeight[], leaves: FlatLayer[], file: string, scope?: string): Map<string, RawWeight[]> {
  const out = new Map<string, RawWeight[]>();
  const candidates = leaves.filter((l) => l.className !== 'InputLayer' && (scope === undefined || l.path[0] === scope));
  const fail = (w: NamedWeight, problem: string): never => {
    throw new BadInputError(`${file}: weight '${w.name}' (${w.source}) ${problem}. The file's weights do not match its model config: save the model again from Keras or tfjs-layers.`, file);
  };
  for (const w of weights) {
    const parts = splitWeightName(w.name);
    if (parts.length === 0) {
      fail(w, 'has an empty name');
    }
    const short = parts[parts.length - 1];
    const layerParts = parts.slice(0, -1);
    let hits: FlatLayer[];
    if (scope !== undefined && candidates.length === 1 && candidates[0].path.length === 1) {
      // A plain layer's group: all its weights are its own, whatever the variable was named.
      hits = candidates;
    } else {
      // Match the longest tail of the name's layer parts against the layers' paths.
      hits = candidates;
      for (let k = 1; k <= layerParts.length; k++) {
        const want = layerParts[layerParts.length - k];
        const next = hits.filter((l) => l.path.length >= k && l.path[l.path.length - k] === want);
        if (next.length === 0) {
          break;
        }
        hits = next;
        if (hits.length === 1) {
          break;
        }
      }
      if (layerParts.length === 0 || hits.length === candidates.length) {
        // No part of the name matched a layer.
        if (candidates.length === 1) {
          hits = candidates;
        } else {
          fail(w, `names layer '${layerParts.join('/')}', which ${scope ? `'${scope}'` : 'the model'} does not contain`);
        }
      }
    }
    if (hits.length !== 1) {
      fail(w, `could belong to any of ${hits.map((l) => `'${l.path.join('/')}'`).join(', ')}`);
    }
    const key = hits[0].path.join('/');
    const list = out.get(key) ?? [];
    if (list.some((r) => r.name === short)) {
      fail(w, `is stored twice for layer '${key}'`);
    }
    list.push({ name: short, source: w.source, shape: w.shape, data: w.data });
    out.set(key, list);
  }
  return out;
}
