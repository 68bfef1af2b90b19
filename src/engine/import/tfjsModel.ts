/**
 * TF.js layers models: model.json (topology + weightsManifest) and its weight shards, as
 * tfjs-layers' `model.save` and the tensorflowjs converter write them (the converter nests the
 * Keras JSON under modelTopology.model_config). Every shard path must resolve inside the
 * model's folder; weights are decoded by tfjs-core (see tfjsWeights.ts).
 */
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { kerasMajorVersion } from '../layers/common/activations';
import { LIMITS, readFileLimited, readTextLimited, resolveInside } from '../util/safeRead';
import { checkWeightBytes, checkWeightsManifest } from '../export/tfjsManifest';
import { flattenTopology } from './topology';
import { decodeTfjsGroup, type ManifestGroup } from './tfjsWeights';
import type { ImportedModel, KerasLayerJson } from './types';
import { assignNamedWeights, type NamedWeight } from './weightNames';

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: ManifestGroup[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Keras JSON inside a model.json's modelTopology (tfjs-layers: itself; converter: model_config). */
export function tfjsTopology(json: TfjsModelJson, where: string): KerasLayerJson {
  const topo = json.modelTopology;
  if (json.format === 'graph-model' || (isRecord(topo) && Array.isArray(topo.node))) {
    throw new BadInputError(
      `${where} is a TF.js graph model (converted from a SavedModel or frozen graph): it holds TensorFlow ops, not Keras layers, so it cannot be fine-tuned or pruned. Convert the Keras model instead (tensorflowjs_converter --input_format keras model.h5 out/), or pass the .h5 / .keras file.`,
      where,
    );
  }
  if (!isRecord(topo)) {
    throw new BadInputError(`${where} has no modelTopology, so it is not a TF.js layers model. Pass a model.json written by tfjs-layers' model.save() or the tensorflowjs converter.`, where);
  }
  return (isRecord(topo.model_config) ? topo.model_config : topo) as unknown as KerasLayerJson;
}

/** Reads the model.json (a path to it, or its folder) and all of its shards. */
export async function readTfjsLayersModel(modelJsonPath: string): Promise<ImportedModel> {
  const where = `${path.basename(path.dirname(modelJsonPath))}/${path.basename(modelJsonPath)}`;
  let json: TfjsModelJson;
  try {
    json = JSON.parse((await readTextLimited(modelJsonPath, { what: 'TF.js model.json', maxBytes: LIMITS.modelJson })).replace(/^\uFEFF/, '')) as TfjsModelJson;
  } catch (err) {
    if (err instanceof BadInputError) {
      throw err;
    }
    throw new BadInputError(`${where} is not JSON. Pass the model.json of a TF.js layers model.`, where);
  }
  if (!isRecord(json)) {
    throw new BadInputError(`${where} is not a TF.js model.json (not a JSON object).`, where);
  }
  const topology = tfjsTopology(json, where);
  const flat = flattenTopology(topology, where);
  if (!Array.isArray(json.weightsManifest)) {
    throw new BadInputError(`${where} has no weightsManifest. Save the model again with tfjs-layers (model.save) so its weights are written.`, where);
  }
  const dir = path.dirname(modelJsonPath);
  const declared = checkWeightsManifest(json.weightsManifest, where);
  // Checked just above: paths are strings, weights are well-formed specs.
  const groups = json.weightsManifest as ManifestGroup[];
  const data: Buffer[] = [];
  for (const group of groups) {
    const parts: Buffer[] = [];
    for (const p of group.paths) {
      const shard = await resolveInside(dir, p, 'weights file', modelJsonPath);
      parts.push(await readFileLimited(shard, { what: 'TF.js weights file', maxBytes: LIMITS.model }));
    }
    data.push(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
  checkWeightBytes(declared, data.reduce((n, d) => n + d.length, 0), where);
  const named: NamedWeight[] = [];
  const seen = new Set<string>();
  for (const [g, group] of groups.entries()) {
    for (const w of decodeTfjsGroup(group, data[g], where)) {
      if (seen.has(w.name)) {
        throw new BadInputError(`${where}: the weightsManifest lists '${w.name}' twice. Save the model again with tfjs-layers.`, where);
      }
      seen.add(w.name);
      named.push({ name: w.name, source: `${w.name} (${w.storedAs})`, shape: w.shape, data: w.values });
    }
  }
  const topo = json.modelTopology as { keras_version?: unknown };
  const writtenBy = typeof json.generatedBy === 'string' ? json.generatedBy : typeof topo.keras_version === 'string' ? topo.keras_version : 'TF.js';
  // tfjs-layers runs Keras 2's activations; a converter's model.json says which Keras the model came from ('keras v3.13.2').
  return { format: 'tfjs-layers', file: where, writtenBy, kerasMajor: kerasMajorVersion(typeof json.generatedBy === 'string' ? json.generatedBy : null), topology, weights: assignNamedWeights(named, flat.layers, where) };
}
