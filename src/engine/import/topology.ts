/**
 * Keras model JSON → one flat list of layers with their inbound connections.
 *
 * Reads Sequential and Functional models as Keras 2 (tf.keras 2.x, and before 2.4 without an
 * InputLayer entry), Keras 3 and tfjs-layers write them, and flattens nested models (a
 * Sequential or Functional model used as a layer, as transfer learning and Teachable Machine
 * exports do) into the one graph the engine runs. Everything the engine cannot represent is
 * refused here, before a weight is read: subclassed models, shared layers, multi-output
 * layers, several model inputs or outputs, channels_first.
 */
import { BadInputError } from '../errors';
import type { KerasLayerJson } from './types';

export interface FlatLayer {
  /** Unique in the flat graph: the configured name, or prefixed by its model's when that name repeats. */
  name: string;
  className: string;
  /** The layer's Keras config (batch_shape → batch_input_shape, dtype policies → their dtype name). */
  config: Record<string, unknown>;
  /** Flat names of the layers feeding it, in order. */
  inbound: string[];
  /** Configured names from the top model down to this layer ('sequential_1', 'model1', 'Conv1'). */
  path: string[];
  /** Its group in a Keras 3 weights file: 'layers/sequential/layers/functional/layers/conv2d'. */
  v3Key: string;
  /** Keras' `trainable`: false when the layer's own config says so or any model around it does. */
  trainable: boolean;
}

export interface FlatModel {
  name: string;
  layers: FlatLayer[];
  inputs: string[];
  outputs: string[];
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

export function isModelClass(className: string): boolean {
  return MODEL_CLASSES.has(className);
}

/** Keras 3's naming.to_snake_case: the key of a layer's class in a `.keras` weights file. */
export function toSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A reference to a layer's output: [layer name, node index, tensor index]. */
type TensorRef = [string, number, number];

export class TopologyReader {
  private readonly layers: FlatLayer[] = [];
  /** Configured leaf names → how often they occur in the whole tree. */
  private readonly nameCount = new Map<string, number>();
  private readonly used = new Set<string>();
  /** How many of the models being expanded say `trainable: false` (Keras: that freezes every layer inside). */
  private frozenModels = 0;

  constructor(
    /** For messages: the file name. */
    private readonly where: string,
  ) {}

  private fail(problem: string, fix: string): never {
    throw new BadInputError(`${this.where}: ${problem}. ${fix}`, this.where);
  }

  /** Flattens `model` (a Sequential or Functional JSON). */
  read(model: unknown): FlatModel {
    const top = this.asModel(model, 'the model');
    this.countNames(top);
    const modelName = typeof top.config.name === 'string' ? top.config.name : 'model';
    const { inputs, outputs } = this.expand(top, [], '', null);
    if (inputs.length !== 1 || outputs.length !== 1) {
      this.fail(
        `the model has ${inputs.length} input(s) and ${outputs.length} output(s)`,
        'Model Optimizer handles models with one input and one output (classifiers); export a single-input, single-output model (e.g. keras.Model(inputs=x, outputs=y)).',
      );
    }
    return { name: modelName, layers: this.layers, inputs, outputs };
  }

  private asModel(v: unknown, what: string): KerasLayerJson {
    if (!isRecord(v) || typeof v.class_name !== 'string') {
      this.fail(`${what} is not a Keras model config (no class_name)`, 'Save the model with model.save() (Keras) or model.save(handler) (tfjs-layers).');
    }
    const cls = v.class_name;
    const config = v.config;
    if (!isModelClass(cls) || !isRecord(config) || !Array.isArray(config.layers)) {
      // Keras 3 writes a subclassed model's class (and registered_name); Keras 2 refuses to
      // write one to .h5 at all, so a model config without a layer list means Python code.
      const registered = typeof v.registered_name === 'string' ? ` (registered as '${v.registered_name}')` : '';
      this.fail(
        `${what} is a subclassed Keras model of class '${cls}'${registered}: its layer graph is Python code (its call() method), not part of the saved file, so it cannot be rebuilt outside Python`,
        'Rebuild it as a Sequential or Functional model (keras.Sequential([...]) or keras.Model(inputs, outputs)), load the weights into it and save that.',
      );
    }
    return v as unknown as KerasLayerJson;
  }

  private countNames(model: KerasLayerJson): void {
    for (const l of model.config.layers as unknown[]) {
      if (!isRecord(l) || !isRecord(l.config)) {
        continue;
      }
      if (isModelClass(String(l.class_name)) && Array.isArray(l.config.layers)) {
        this.countNames(l as unknown as KerasLayerJson);
      } else if (l.class_name !== 'InputLayer') {
        const n = typeof l.config.name === 'string' ? l.config.name : typeof l.name === 'string' ? l.name : '';
        this.nameCount.set(n, (this.nameCount.get(n) ?? 0) + 1);
      }
    }
  }

  /** The flat name for a leaf at `path`: its own name unless that repeats in the tree. */
  private flatName(path: string[]): string {
    const own = path[path.length - 1];
    let name = (this.nameCount.get(own) ?? 0) > 1 || this.used.has(own) ? path.join('_') : own;
    for (let i = 2; this.used.has(name); i++) {
      name = `${path.join('_')}_${i}`;
    }
    this.used.add(name);
    return name;
  }

  private layerName(l: KerasLayerJson, index: number, modelPath: string[]): string {
    const n = l.config.name ?? l.name;
    if (typeof n !== 'string' || n.length === 0) {
      this.fail(`layer ${index} of ${modelPath.join('/') || 'the model'} (${l.class_name}) has no name`, 'Save the model again with Keras or tfjs-layers.');
    }
    return n;
  }

  /** Keras 2 vs Keras 3 spellings of the same things, so each kind reads one form. */
  private normalise(l: KerasLayerJson, where: string): Record<string, unknown> {
    const c: Record<string, unknown> = { ...l.config };
    if (c.data_format === 'channels_first' || c.dataFormat === 'channels_first') {
      this.fail(
        `layer ${where} (${l.class_name}) uses data_format 'channels_first'`,
        "Model Optimizer runs images as height × width × channels ('channels_last', the Keras default and what TFLite uses); rebuild the model with data_format='channels_last' (the weights keep their layout) and save it again.",
      );
    }
    if (c.batch_input_shape === undefined && Array.isArray(c.batch_shape)) {
      c.batch_input_shape = c.batch_shape;
    }
    if (isRecord(c.dtype)) {
      // Keras 3: {class_name: 'DTypePolicy', config: {name: 'float32'}}; mixed_float16 computes in float16 but stores float32 weights.
      const inner = c.dtype.config;
      c.dtype = isRecord(inner) && typeof inner.name === 'string' ? inner.name : 'float32';
    }
    return c;
  }

  private emit(l: KerasLayerJson, path: string[], v3Key: string, inbound: string[], where: string): string {
    const name = this.flatName(path);
    const trainable = this.frozenModels === 0 && l.config.trainable !== false;
    this.layers.push({ name, className: l.class_name, config: this.normalise(l, where), inbound, path, v3Key, trainable });
    return name;
  }

  /** A synthetic InputLayer for a first layer that carries the input shape itself (Keras < 2.4, some tfjs-layers files). */
  private emitInput(first: KerasLayerJson, shape: unknown[], path: string[]): string {
    const base = `${String(first.config.name)}_input`;
    let name = base;
    for (let i = 2; this.used.has(name); i++) {
      name = `${base}_${i}`;
    }
    this.used.add(name);
    this.layers.push({
      name,
      className: 'InputLayer',
      config: { name, batch_input_shape: shape, dtype: 'float32' },
      inbound: [],
      path: [...path, name],
      v3Key: '',
      trainable: true,
    });
    return name;
  }

  /**
   * Expands `model` whose inputs are bound to the flat names `bindings` (null at the top, or
   * when a nested model is the first layer: then its own InputLayers become the graph's).
   */
  private expand(model: KerasLayerJson, modelPath: string[], v3Prefix: string, bindings: string[] | null): { inputs: string[]; outputs: string[] } {
    const frozen = model.config.trainable === false;
    this.frozenModels += frozen ? 1 : 0;
    try {
      return model.class_name === 'Sequential' ? this.expandSequential(model, modelPath, v3Prefix, bindings) : this.expandFunctional(model, modelPath, v3Prefix, bindings);
    } finally {
      this.frozenModels -= frozen ? 1 : 0;
    }
  }

  /** Keras 3 keys: the rank of the layer among the model's layers of its class. */
  private v3Keys(layers: KerasLayerJson[], prefix: string, skipInputLayers: boolean): string[] {
    const seen = new Map<string, number>();
    return layers.map((l) => {
      if (skipInputLayers && l.class_name === 'InputLayer') {
        return '';
      }
      const base = toSnakeCase(l.class_name);
      const n = seen.get(base);
      seen.set(base, n === undefined ? 0 : n + 1);
      return `${prefix}layers/${n === undefined ? base : `${base}_${n + 1}`}`;
    });
  }

  private layerList(model: KerasLayerJson, modelPath: string[]): KerasLayerJson[] {
    return (model.config.layers as unknown[]).map((l, i) => {
      if (!isRecord(l) || typeof l.class_name !== 'string' || !isRecord(l.config)) {
        this.fail(`layer ${i} of ${modelPath.join('/') || 'the model'} is not a {class_name, config} entry`, 'Save the model again with Keras or tfjs-layers.');
      }
      return l as unknown as KerasLayerJson;
    });
  }

  private expandSequential(model: KerasLayerJson, modelPath: string[], v3Prefix: string, bindings: string[] | null): { inputs: string[]; outputs: string[] } {
    const layers = this.layerList(model, modelPath);
    // Keras 3's Sequential.layers leaves the InputLayer out, so keys start at the first real layer.
    const keys = this.v3Keys(layers, v3Prefix, true);
    let inputs: string[] = [];
    let prev: string | null = bindings ? this.single(bindings, modelPath) : null;
    layers.forEach((l, i) => {
      const lname = this.layerName(l, i, modelPath);
      const path = [...modelPath, lname];
      if (l.class_name === 'InputLayer') {
        if (prev === null) {
          prev = this.emit(l, path, '', [], lname);
          inputs = [prev];
        }
        return;
      }
      if (prev === null) {
        // No InputLayer entry: Keras < 2.4 and tfjs-layers put the shape on the first layer.
        const shape = l.config.batch_input_shape ?? l.config.batch_shape ?? l.config.batchInputShape;
        const inputShape = l.config.input_shape ?? l.config.inputShape;
        const batchShape = Array.isArray(shape) ? shape : Array.isArray(inputShape) ? [null, ...(inputShape as unknown[])] : null;
        if (batchShape) {
          prev = this.emitInput(l, batchShape, modelPath);
          inputs = [prev];
        } else if (!isModelClass(l.class_name)) {
          this.fail(
            `the first layer '${lname}' of ${modelPath.join('/') || 'the Sequential model'} does not say its input shape`,
            'Give the model an input shape (keras.Input(shape=…) or input_shape=… on the first layer) and save it again.',
          );
        }
      }
      if (isModelClass(l.class_name)) {
        const inner = this.expand(this.asModel(l, `layer '${lname}'`), path, `${keys[i]}/`, prev === null ? null : [prev]);
        if (prev === null) {
          inputs = inner.inputs;
        }
        prev = this.single(inner.outputs, path);
        return;
      }
      prev = this.emit(l, path, keys[i], [prev as string], path.join('/'));
    });
    if (prev === null) {
      this.fail(`${modelPath.join('/') || 'the Sequential model'} has no layers`, 'Save a model with at least one layer.');
    }
    return { inputs, outputs: [prev] };
  }

  private single(names: string[], path: string[]): string {
    if (names.length !== 1) {
      this.fail(`${path.join('/') || 'the model'} connects ${names.length} tensors where one is expected`, 'Model Optimizer handles models whose nested models have one input and one output.');
    }
    return names[0];
  }

  /** input_layers / output_layers: [[name, node, tensor], …], or Keras 3's single [name, node, tensor]. */
  private refs(v: unknown, what: string, modelPath: string[]): TensorRef[] {
    const list = Array.isArray(v) && typeof v[0] === 'string' ? [v] : v;
    if (!Array.isArray(list)) {
      this.fail(`${modelPath.join('/') || 'the Functional model'} has no ${what}`, 'Save the model again with Keras or tfjs-layers.');
    }
    return list.map((r) => {
      if (!Array.isArray(r) || typeof r[0] !== 'string') {
        this.fail(`${modelPath.join('/') || 'the Functional model'} has a malformed ${what} entry ${JSON.stringify(r)}`, 'Save the model again with Keras or tfjs-layers.');
      }
      return [r[0], Number(r[1] ?? 0), Number(r[2] ?? 0)];
    });
  }

  /** Collects the keras tensors of a Keras 3 call's args, in order. */
  private kerasTensors(v: unknown, out: TensorRef[]): void {
    if (Array.isArray(v)) {
      v.forEach((x) => this.kerasTensors(x, out));
    } else if (isRecord(v)) {
      if (v.class_name === '__keras_tensor__' && isRecord(v.config) && Array.isArray(v.config.keras_history)) {
        const h = v.config.keras_history;
        out.push([String(h[0]), Number(h[1] ?? 0), Number(h[2] ?? 0)]);
      } else {
        Object.values(v).forEach((x) => this.kerasTensors(x, out));
      }
    }
  }

  /** A Functional layer's inputs: Keras 2 [[[name, node, tensor, kwargs], …]] or Keras 3 [{args, kwargs}]. */
  private inboundOf(l: KerasLayerJson, lname: string, modelPath: string[]): TensorRef[] {
    const nodes = l.inbound_nodes;
    if (nodes === undefined || (Array.isArray(nodes) && nodes.length === 0)) {
      return [];
    }
    const where = [...modelPath, lname].join('/');
    if (!Array.isArray(nodes)) {
      this.fail(`layer '${where}' has malformed inbound_nodes`, 'Save the model again with Keras or tfjs-layers.');
    }
    if (nodes.length > 1) {
      this.fail(
        `layer '${where}' (${l.class_name}) is shared: the model calls it ${nodes.length} times`,
        'Model Optimizer handles models where each layer is used once; give each use its own layer (weights can be copied with set_weights) and save again.',
      );
    }
    const node: unknown = nodes[0];
    const refs: TensorRef[] = [];
    if (isRecord(node)) {
      this.kerasTensors(node.args, refs);
      const inKwargs: TensorRef[] = [];
      this.kerasTensors(node.kwargs, inKwargs);
      if (inKwargs.length) {
        this.fail(`layer '${where}' (${l.class_name}) takes tensors as keyword arguments (e.g. a mask)`, 'Model Optimizer handles layers called on their inputs only.');
      }
    } else if (Array.isArray(node)) {
      for (const e of node) {
        if (!Array.isArray(e) || typeof e[0] !== 'string') {
          this.fail(`layer '${where}' has a malformed inbound node ${JSON.stringify(e)}`, 'Save the model again with Keras or tfjs-layers.');
        }
        refs.push([e[0], Number(e[1] ?? 0), Number(e[2] ?? 0)]);
      }
    }
    return refs;
  }

  private expandFunctional(model: KerasLayerJson, modelPath: string[], v3Prefix: string, bindings: string[] | null): { inputs: string[]; outputs: string[] } {
    const layers = this.layerList(model, modelPath);
    // Keras 3's Functional.layers includes InputLayers: they take ranks under 'input_layer'.
    const keys = this.v3Keys(layers, v3Prefix, false);
    const where = modelPath.join('/') || 'the Functional model';
    const inputRefs = this.refs(model.config.input_layers, 'input_layers', modelPath);
    const outputRefs = this.refs(model.config.output_layers, 'output_layers', modelPath);
    if (bindings && bindings.length !== inputRefs.length) {
      this.fail(`${where} takes ${inputRefs.length} inputs but is called on ${bindings.length}`, 'Save the model again with Keras.');
    }
    /** Configured layer name → the flat name of its output. */
    const out = new Map<string, string>();
    const byName = new Map<string, { l: KerasLayerJson; i: number }>();
    layers.forEach((l, i) => byName.set(this.layerName(l, i, modelPath), { l, i }));
    const inputs: string[] = [];
    inputRefs.forEach(([n], k) => {
      const entry = byName.get(n);
      if (!entry) {
        this.fail(`${where} names input layer '${n}', which it does not contain`, 'Save the model again with Keras or tfjs-layers.');
      }
      if (bindings) {
        out.set(n, bindings[k]);
      } else if (entry.l.class_name === 'InputLayer') {
        const name = this.emit(entry.l, [...modelPath, n], '', [], n);
        out.set(n, name);
        inputs.push(name);
      }
    });
    // Layers in dependency order (Keras writes them in it; a file that does not still works).
    const pending = layers.map((l, i) => ({ l, i, name: this.layerName(l, i, modelPath) })).filter((p) => !out.has(p.name));
    while (pending.length) {
      const ready = pending.findIndex((p) => this.inboundOf(p.l, p.name, modelPath).every(([n]) => out.has(n)));
      if (ready < 0) {
        const p = pending[0];
        const missing = this.inboundOf(p.l, p.name, modelPath).find(([n]) => !out.has(n) && !byName.has(n));
        this.fail(
          missing
            ? `layer '${p.name}' in ${where} takes its input from '${missing[0]}', which the model does not contain`
            : `layers of ${where} (${pending.map((q) => `'${q.name}'`).join(', ')}) form a cycle or depend on a model input that is not listed`,
          'Save the model again with Keras or tfjs-layers.',
        );
      }
      const { l, i, name: lname } = pending.splice(ready, 1)[0];
      const path = [...modelPath, lname];
      const refs = this.inboundOf(l, lname, modelPath);
      for (const [n, , t] of refs) {
        if (t !== 0) {
          this.fail(`layer '${path.join('/')}' uses output ${t} of '${n}'`, 'Model Optimizer handles layers with one output.');
        }
      }
      const inbound = refs.map(([n]) => out.get(n) as string);
      if (l.class_name === 'InputLayer') {
        // An InputLayer not listed in input_layers (a model whose input_layers omit it) is a graph input too.
        if (bindings) {
          this.fail(`${where} has an input layer '${lname}' that is not one of its inputs`, 'Save the model again with Keras.');
        }
        const name = this.emit(l, path, '', [], lname);
        out.set(lname, name);
        inputs.push(name);
      } else if (isModelClass(l.class_name)) {
        const inner = this.expand(this.asModel(l, `layer '${lname}'`), path, `${keys[i]}/`, inbound.length ? inbound : null);
        if (!inbound.length) {
          inputs.push(...inner.inputs);
        }
        out.set(lname, this.single(inner.outputs, path));
      } else {
        if (!inbound.length) {
          this.fail(`layer '${path.join('/')}' (${l.class_name}) has no inputs`, 'Save the model again with Keras or tfjs-layers.');
        }
        out.set(lname, this.emit(l, path, keys[i], inbound, path.join('/')));
      }
    }
    const outputs = outputRefs.map(([n, , t]) => {
      const o = out.get(n);
      if (o === undefined || t !== 0) {
        this.fail(`${where} names output '${n}' (tensor ${t}), which it does not produce`, 'Save the model again with Keras or tfjs-layers.');
      }
      return o;
    });
    return { inputs: bindings ? [...bindings] : inputs, outputs };
  }
}

/** Flattens a Keras / tfjs-layers model JSON (see TopologyReader). */
export function flattenTopology(model: unknown, where: string): FlatModel {
  return new TopologyReader(where).read(model);
}
