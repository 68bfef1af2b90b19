/**
 * Keras legacy HDF5 models (`model.save('x.h5')`) as every Keras writes them:
 * - tf.keras 2.x: root attributes model_config / keras_version / backend, weights at
 *   `model_weights/<layer>/<layer>/<weight>:0`, `layer_names` / `weight_names` attributes
 *   (chunked `layer_names0, layer_names1…` when long), weightless layers listed with none;
 * - Keras 3's legacy saver: weights nested under the model's name
 *   (`model_weights/conv2d/sequential/conv2d/kernel`, no ':0'), names as variable-length strings;
 * - Keras before 2.4: no InputLayer entry (the first layer carries batch_input_shape).
 * Nested models keep all their weights in their top-level layer's group. Optimizer state
 * (`optimizer_weights`) and training_config are ignored.
 */
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { kerasMajorVersion } from '../layers/common/activations';
import { LIMITS, checkRegularFile } from '../util/safeRead';
import { readFloatDataset, nameList, stringAttr, withH5File } from './h5';
import { flattenTopology } from './topology';
import type { ImportedModel, KerasLayerJson, RawWeight } from './types';
import { assignNamedWeights, type NamedWeight } from './weightNames';

export async function readKerasLegacyH5(file: string): Promise<ImportedModel> {
  const where = path.basename(file);
  await checkRegularFile(file, { what: 'Keras model', maxBytes: LIMITS.model });
  return withH5File(file, where, (f, h5) => {
    const cfgText = stringAttr(f, 'model_config');
    if (cfgText === undefined) {
      const keys = f.keys();
      const weightsOnly = keys.includes('layers') || keys.includes('vars') || f.attrs.layer_names !== undefined || f.attrs.layer_names0 !== undefined;
      throw new BadInputError(
        weightsOnly
          ? `${where} holds only weights (model.save_weights(), or a subclassed model), no model config, so the layers they belong to are unknown. Save the whole model instead: model.save('model.h5') or model.save('model.keras') (a subclassed model must be rebuilt as a Sequential or Functional model first).`
          : `${where} is an HDF5 file but not a Keras model (no model_config attribute). Pass a file written by Keras' model.save().`,
        where,
      );
    }
    let topology: KerasLayerJson;
    try {
      topology = JSON.parse(cfgText) as KerasLayerJson;
    } catch {
      throw new BadInputError(`${where}: its model_config attribute is not JSON. Save the model again from Keras.`, where);
    }
    const version = stringAttr(f, 'keras_version');
    const flat = flattenTopology(topology, where);
    const mw = f.get('model_weights');
    // Keras 2's save_weights layout puts layer_names on the root: also readable when a config is present.
    const root = mw instanceof h5.Group ? mw : f;
    const layerNames = nameList(root, 'layer_names', where);
    const topLevel = new Set(flat.layers.map((l) => l.path[0]));
    const budget = { values: 0 };
    const weights = new Map<string, RawWeight[]>();
    for (const lname of layerNames) {
      const g = root.get(lname);
      if (!(g instanceof h5.Group)) {
        throw new BadInputError(`${where}: layer_names lists '${lname}' but model_weights has no group for it. The file is incomplete: save the model again.`, where);
      }
      const names = nameList(g, 'weight_names', `${where}: model_weights/${lname}`);
      if (names.length === 0) {
        continue;
      }
      if (!topLevel.has(lname)) {
        throw new BadInputError(`${where}: model_weights has weights for layer '${lname}', which the model config does not contain. Save the model again from Keras.`, where);
      }
      const named: NamedWeight[] = names.map((wn) => {
        const source = `model_weights/${lname}/${wn}`;
        const ds = g.get(wn);
        if (!(ds instanceof h5.Dataset)) {
          throw new BadInputError(`${where}: weight_names of '${lname}' lists '${wn}' but there is no dataset ${source}. The file is incomplete: save the model again.`, where);
        }
        return { name: wn, source, ...readFloatDataset(ds, `${where}: ${source}`, budget) };
      });
      for (const [k, v] of assignNamedWeights(named, flat.layers, where, lname)) {
        weights.set(k, [...(weights.get(k) ?? []), ...v]);
      }
    }
    return { format: 'keras-h5', file: where, writtenBy: `keras ${version ?? '(version not recorded)'}`, kerasMajor: kerasMajorVersion(version), topology, weights };
  });
}
