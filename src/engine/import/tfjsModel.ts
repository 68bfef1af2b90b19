/**
 * TF.js layers models: model.json (topology + weightsManifest) and its weight shards, as
 * tfjs-layers' `model.save` and the tensorflowjs converter write them (the converter nests the
 * Keras JSON under modelTopology.model_config). Every shard path must resolve inside the
 * model's folder; weights are decoded by tfjs-core (see tfjsWeights.ts).
 */
import { promises as fs } from 'node:fs';
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

/** A TF.js layers model's files as read from disk: the checked model.json and each group's shard bytes. */
export interface TfjsModelFiles {
  /** The model.json read (absolute). */
  modelJsonPath: string;
  /** 'folder/model.json', for messages. */
  where: string;
  json: TfjsModelJson;
  /** weightsManifest, checked (paths are strings, specs well-formed, sizes within the cap). */
  groups: ManifestGroup[];
  /** Each group's shards concatenated in `paths` order. */
  data: Buffer[];
  /** Every file of the model (model.json first, then the shards), absolute. */
  files: string[];
}

/**
 * Reads a model.json (a path to it, or its folder) and all of its shards, checked: the one
 * reader of TF.js model files, for the importer and for evaluating a file in stock tfjs-layers.
 * Every shard path must resolve inside the model's folder; the bytes must be what the manifest declares.
 */
export async function readTfjsModelFiles(modelJsonOrDir: string): Promise<TfjsModelFiles> {
  const given = path.resolve(modelJsonOrDir);
  const modelJsonPath = await fs.stat(given).then(
    (st) => (st.isDirectory() ? path.join(given, 'model.json') : given),
    () => given,
  );
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
  tfjsTopology(json, where);
  if (!Array.isArray(json.weightsManifest)) {
    throw new BadInputError(`${where} has no weightsManifest. Save the model again with tfjs-layers (model.save) so its weights are written.`, where);
  }
  const dir = path.dirname(modelJsonPath);
  const declared = checkWeightsManifest(json.weightsManifest, where);
  // Checked just above: paths are strings, weights are well-formed specs.
  const groups = json.weightsManifest as ManifestGroup[];
  const data: Buffer[] = [];
  const files = [modelJsonPath];
  for (const group of groups) {
    const parts: Buffer[] = [];
    for (const p of group.paths) {
      const shard = await resolveInside(dir, p, 'weights file', modelJsonPath);
      files.push(shard);
      parts.push(await readFileLimited(shard, { what: 'TF.js weights file', maxBytes: LIMITS.model }));
    }
    data.push(parts.length === 1 ? parts[0] : Buffer.concat(parts));
  }
  checkWeightBytes(declared, data.reduce((n, d) => n + d.length, 0), where);
  return { modelJsonPath, where, json, groups, data, files };
}

/** The files' model as the format-neutral intermediate (Keras JSON + decoded weights by layer). */
export function importTfjsFiles(files: TfjsModelFiles): ImportedModel {
  const { json, groups, data, where } = files;
  const topology = tfjsTopology(json, where);
  const flat = flattenTopology(topology, where);
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

/** Reads the model.json (a path to it, or its folder) and all of its shards. */
export async function readTfjsLayersModel(modelJsonPath: string): Promise<ImportedModel> {
  return importTfjsFiles(await readTfjsModelFiles(modelJsonPath));
}
