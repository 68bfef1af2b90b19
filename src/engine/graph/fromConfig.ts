/**
 * The model a run trains from scratch: the user's `model.layers` (a Sequential stack of
 * Keras-like layers on `model.input`), or the reference MLP (`model.hidden`) by default.
 * Problems name the config field (`model.layers[2]`) and are found before any data loads.
 */
import type { LayerSpec, ModelConfig, RunConfig } from '../../protocol/config';
import { selectPruneTargets } from '../prune/targets';
import { BadInputError } from '../errors';
import { canonicalClassName, supportedClassNames } from '../layers/registry';
import { analyzeGraph } from './analyze';
import { buildSequential, kerasSnakeCase, type LayerDef } from './build';
import { frozenBySpec } from './freeze';
import { checkInputShape } from './input';
import { referenceMlpGraph } from './mlp';
import type { ModelGraph } from './types';

/** 'conv2d', 'maxPooling2d', 'MaxPooling2D', 'max_pooling2d' → the registry's class name. */
export function layerClassOf(type: string): string | null {
  const flat = type.replace(/_/g, '').toLowerCase();
  const c = supportedClassNames().find((k) => k.toLowerCase() === flat) ?? canonicalClassName(type);
  return c === 'InputLayer' ? null : c;
}

function layerDefs(layers: LayerSpec[]): LayerDef[] {
  return layers.map((l, i) => {
    const className = layerClassOf(l.type);
    if (!className) {
      const types = supportedClassNames()
        .filter((c) => c !== 'InputLayer')
        .map((c) => c[0].toLowerCase() + c.slice(1));
      throw new BadInputError(`model.layers[${i}].type "${l.type}" is not a supported layer type. Use one of: ${types.join(', ')}.`, `model.layers[${i}].type`);
    }
    const config: Record<string, unknown> = { ...l };
    delete config.type;
    delete config.name;
    delete config.trainable;
    if (l.trainable !== undefined && typeof l.trainable !== 'boolean') {
      throw new BadInputError(`model.layers[${i}].trainable must be true or false (false freezes the layer: it keeps its weights when training), but it is ${JSON.stringify(l.trainable)}.`, `model.layers[${i}].trainable`);
    }
    return { className, config, ...(l.name !== undefined ? { name: l.name } : {}), ...(l.trainable === false ? { trainable: false } : {}) };
  });
}

/** A config-defined model's graph, or a BadInputError naming the layer entry at fault. */
export function buildConfigModel(model: ModelConfig, name: string, seed: number): ModelGraph {
  if (!model.layers) {
    throw new Error('buildConfigModel: model.layers is not set');
  }
  if (!model.input) {
    throw new BadInputError('model.layers needs model.input, the per-sample input shape (e.g. [28, 28, 1] for MNIST images, [784] for flat rows).', 'model.input');
  }
  const defs = layerDefs(model.layers);
  try {
    return buildSequential(name, model.input, defs, seed);
  } catch (err) {
    if (err instanceof BadInputError) {
      // Name the entry: errors from a layer say "layer '<name>' (<Class>)".
      const m = /layer '([^']+)'/.exec(err.message);
      const g = m ? defs.findIndex((d, i) => (d.name ?? autoName(defs, i)) === m[1]) : -1;
      if (g >= 0) {
        throw new BadInputError(`model.layers[${g}]: ${err.message}`, `model.layers[${g}]`);
      }
    }
    throw err;
  }
}

/** The name buildSequential gives entry i (Keras' auto-naming), to map an error back to its entry. */
function autoName(defs: LayerDef[], i: number): string {
  const cls = defs[i].className;
  const k = defs.slice(0, i).filter((d) => d.className === cls && d.name === undefined).length;
  const base = kerasSnakeCase(cls);
  return k === 0 ? base : `${base}_${k}`;
}

/**
 * The model a train run starts from, for data of per-sample shape `dataShape` with `classes`
 * classes: config-defined (its input must fit the data, its output the classes) or the
 * reference MLP on flattened samples.
 */
export function initialModel(model: ModelConfig, dataShape: readonly number[], classes: number, seed: number, name: string): ModelGraph {
  if (!model.layers) {
    return referenceMlpGraph(model, dataShape.reduce((a, b) => a * b, 1), classes, seed, name);
  }
  const g = buildConfigModel(model, name, seed);
  const a = analyzeGraph(g);
  checkInputShape(dataShape, a.inputShape);
  checkClasses(a.outputShape, classes, 'model.layers');
  return g;
}

/** The model's output must give one score per class of the data. */
export function checkClasses(outputShape: number[], classes: number, where: string): void {
  if (outputShape.length !== 1 || outputShape[0] !== classes) {
    throw new BadInputError(
      `The model's output is [${outputShape.join(', ')}] but the data has ${classes} classes: the last layer must give one score per class. ` +
        `End the model with a Dense layer of ${classes} units (softmax), after Flatten or GlobalAveragePooling2D for images.`,
      where,
    );
  }
}

/**
 * Checks a config-defined model when a run starts, before data loads: every layer by its
 * kind (BadInputError at 'model.layers[i]'), and prune.layers / sweep.layers against its
 * prunable layers. The reference MLP is checked by the config validator.
 */
export function checkModelConfig(cfg: RunConfig): void {
  if (!cfg.model.layers) {
    return;
  }
  const g = buildConfigModel(cfg.model, 'model', 0);
  frozenBySpec(g, cfg.train.freeze);
  selectPruneTargets(g, cfg.prune.layers);
  if (Array.isArray(cfg.sweep.layers)) {
    try {
      selectPruneTargets(g, cfg.sweep.layers);
    } catch (err) {
      throw err instanceof BadInputError ? new BadInputError(err.message.replace('prune.layers', 'sweep.layers'), 'sweep.layers') : err;
    }
  }
}
