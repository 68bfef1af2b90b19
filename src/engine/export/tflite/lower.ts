/**
 * ModelGraph → Lowered (lowered.ts): each layer lowers itself (its kind's `tflite` member,
 * src/engine/layers/<kind>/tflite.ts), then the converter's cross-layer
 * rewrites run: BatchNormalization folded into the CONV_2D / DEPTHWISE_CONV_2D /
 * FULLY_CONNECTED before it (its per-channel scale multiplies that op's output channels, its
 * shift joins the bias), ReLU/ReLU6 fused into the op before it, Dropout gone. Only when the
 * op before it has other readers (or is not one of those) does a BatchNormalization stay, as
 * MUL + ADD.
 */
import { BadInputError } from '../../errors';
import type { ModelGraph, WeightTensor } from '../../graph/types';
import { kindOfNode } from '../../layers/registry';
import type { AffineOp, FusedAct, LOp, Lowered, LTensor, TfliteLowerContext } from './lowered';

function inputShapeOf(graph: ModelGraph): number[] {
  const node = graph.layers.find((l) => l.name === graph.inputs[0]);
  const shape = node?.config.shape ?? node?.config.batchInputShape;
  if (!node || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new BadInputError(`TFLite export: the model's input layer has no fixed shape (config.shape); got ${JSON.stringify(shape)}.`);
  }
  return shape as number[];
}

/** The site of the model's input tensor in `Lowered.sites`. */
export const INPUT_SITE = ':input';

/** The site of a layer's value before its (unfused) activation: a Dense's logits before SOFTMAX. */
export function preActivationSite(layer: string): string {
  return `${layer}:pre`;
}

export function lowerGraph(graph: ModelGraph): Lowered {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new BadInputError(`TFLite export supports one input and one output; the model has ${graph.inputs.length} and ${graph.outputs.length}.`);
  }
  const tensors: LTensor[] = [];
  const ops: LOp[] = [];
  const outOf = new Map<string, number>();
  const input = tensors.push({ name: 'serving_default_input:0', shape: inputShapeOf(graph) }) - 1;
  const sites = new Map<string, number>([[INPUT_SITE, input]]);
  const ctx: TfliteLowerContext = {
    shape: (t) => tensors[t].shape,
    tensor: (shape, name) => tensors.push({ name, shape }) - 1,
    op: (op) => {
      ops.push(op);
    },
    weight(node, name, shape): WeightTensor {
      const w = node.weights.find((x) => x.name === name);
      if (!w) {
        throw new BadInputError(`TFLite export: layer '${node.name}' (${node.className}) has no '${name}' weight.`, node.name);
      }
      const n = shape ? shape.reduce((a, b) => a * b, 1) : w.data.length;
      if (w.data.length !== n || (shape && w.shape.join() !== shape.join())) {
        throw new BadInputError(`TFLite export: layer '${node.name}': weight '${name}' is [${w.shape.join(', ')}], expected [${(shape ?? []).join(', ')}].`, node.name);
      }
      return w;
    },
    activation(x, activation, node) {
      const simple: Record<string, LOp['type']> = { relu: 'relu', relu6: 'relu6', sigmoid: 'logistic', tanh: 'tanh', softmax: 'softmax', hard_swish: 'hardSwish' };
      const shape = ctx.shape(x);
      const unary = (type: LOp['type'], from: number, name: string): number => {
        const y = ctx.tensor(shape, `${node.name}/${name}`);
        ops.push({ type, layer: node.name, inputs: [from], output: y } as LOp);
        return y;
      };
      const affine = (from: number, scale: number, shift: number, name: string): number => {
        const y = ctx.tensor(shape, `${node.name}/${name}`);
        ops.push({ type: 'affine', layer: node.name, inputs: [from], output: y, scale: Float32Array.of(scale), shift: Float32Array.of(shift) });
        return y;
      };
      if (activation === 'linear') {
        return x;
      }
      sites.set(preActivationSite(node.name), x);
      switch (activation) {
        case 'swish': {
          // x · sigmoid(x): LOGISTIC then MUL, the converter's form of tf.nn.silu.
          const s = unary('logistic', x, 'Sigmoid');
          const y = ctx.tensor(shape, `${node.name}/mul`);
          ops.push({ type: 'mul', layer: node.name, inputs: [x, s], output: y });
          return y;
        }
        case 'hard_sigmoid': {
          // Keras 2 / tfjs-layers: clip(0.2·x + 0.5, 0, 1) = relu6(1.2·x + 3) / 6. The 1.2·x + 3
          // folds into a conv/dense before it and the RELU6 fuses there, leaving one MUL.
          const a = affine(x, 1.2, 3, 'hard_sigmoid_in');
          const r = unary('relu6', a, 'Relu6');
          return affine(r, 1 / 6, 0, 'hard_sigmoid');
        }
        case 'hard_sigmoid_keras3': {
          // Keras 3: relu6(x + 3) / 6; the x + 3 folds like Keras 2's 1.2·x + 3 above.
          const r = unary('relu6', affine(x, 1, 3, 'hard_sigmoid_in'), 'Relu6');
          return affine(r, 1 / 6, 0, 'hard_sigmoid');
        }
        default: {
          const type = simple[activation];
          if (!type) {
            throw new BadInputError(
              `TFLite export: layer '${node.name}' uses the '${activation}' activation, which this exporter does not write yet (supported: linear, relu, relu6, sigmoid, tanh, softmax, swish, hard_sigmoid, hard_sigmoid_keras3, hard_swish).`,
              node.name,
            );
          }
          return unary(type, x, activation);
        }
      }
    },
  };
  for (const node of graph.layers) {
    const lowering = kindOfNode(node).tflite;
    if (!lowering) {
      throw new BadInputError(`TFLite export: layer '${node.name}' is a ${node.className}, which has no TFLite form here yet.`, node.name);
    }
    const inputs = node.inbound.length === 0 ? [input] : node.inbound.map((n) => outOf.get(n));
    if (inputs.some((t) => t === undefined)) {
      throw new BadInputError(`TFLite export: layer '${node.name}' reads a layer that comes later or does not exist (${node.inbound.join(', ')}).`, node.name);
    }
    outOf.set(node.name, lowering(ctx, node, inputs as number[]));
    sites.set(node.name, outOf.get(node.name) as number);
  }
  const output = outOf.get(graph.outputs[0]);
  if (output === undefined) {
    throw new BadInputError(`TFLite export: the output layer '${graph.outputs[0]}' is not in the model.`);
  }
  if (output === input) {
    throw new BadInputError('TFLite export: the model has no operations.');
  }
  const lowered: Lowered = { name: graph.name, tensors, ops, input, output, sites: Object.fromEntries(sites) };
  foldAffine(lowered);
  fuseActivations(lowered);
  return compactLowered(lowered);
}

function readers(l: Lowered, t: number): LOp[] {
  return l.ops.filter((o) => o.inputs.includes(t));
}

function producer(l: Lowered, t: number): LOp | undefined {
  return l.ops.find((o) => o.output === t);
}

/** An op whose only reader is `reader` and whose output is not the model's. */
function soleProducer(l: Lowered, reader: LOp): LOp | undefined {
  const t = reader.inputs[0];
  const p = producer(l, t);
  if (!p || t === l.output || readers(l, t).length !== 1) {
    return undefined;
  }
  return p;
}

/** Replaces op `gone`: its output is now produced by `keep`. */
function bypass(l: Lowered, keep: LOp, gone: LOp): void {
  keep.output = gone.output;
  l.ops.splice(l.ops.indexOf(gone), 1);
}

function foldAffine(l: Lowered): void {
  for (const a of l.ops.filter((o): o is AffineOp => o.type === 'affine')) {
    const p = soleProducer(l, a);
    if (!p || (p.type !== 'conv2d' && p.type !== 'depthwise' && p.type !== 'fc') || p.act !== 'NONE') {
      continue;
    }
    const channels = p.bias.length;
    const s = (c: number): number => a.scale[a.scale.length === 1 ? 0 : c];
    const t = (c: number): number => a.shift[a.shift.length === 1 ? 0 : c];
    const w = p.type === 'fc' ? p.weights : p.filter;
    if (p.type === 'depthwise') {
      for (let i = 0; i < w.length; i++) {
        w[i] *= s(i % channels);
      }
    } else {
      const per = w.length / channels;
      for (let i = 0; i < w.length; i++) {
        w[i] *= s(Math.floor(i / per));
      }
    }
    for (let c = 0; c < channels; c++) {
      p.bias[c] = p.bias[c] * s(c) + t(c);
    }
    bypass(l, p, a);
  }
}

function fuseActivations(l: Lowered): void {
  for (const r of l.ops.filter((o) => o.type === 'relu' || o.type === 'relu6')) {
    const p = soleProducer(l, r);
    if (!p || !('act' in p) || p.act !== 'NONE' || p.type === 'concat') {
      continue;
    }
    (p as { act: FusedAct }).act = r.type === 'relu' ? 'RELU' : 'RELU6';
    bypass(l, p, r);
  }
}

/** Drops ops the output does not depend on and tensors no op touches, and renumbers. */
export function compactLowered(l: Lowered): Lowered {
  const needed = new Set<number>([l.output]);
  for (let i = l.ops.length - 1; i >= 0; i--) {
    if (needed.has(l.ops[i].output)) {
      l.ops[i].inputs.forEach((t) => needed.add(t));
    } else {
      l.ops.splice(i, 1);
    }
  }
  const used = new Set<number>([l.input, l.output]);
  for (const o of l.ops) {
    o.inputs.forEach((t) => used.add(t));
    used.add(o.output);
  }
  const map = new Map<number, number>();
  const tensors: LTensor[] = [];
  for (let i = 0; i < l.tensors.length; i++) {
    if (used.has(i)) {
      map.set(i, tensors.push(l.tensors[i]) - 1);
    }
  }
  for (const o of l.ops) {
    o.inputs = o.inputs.map((t) => map.get(t) as number);
    o.output = map.get(o.output) as number;
  }
  // Sites whose tensor was folded or fused away (a conv's output before its BatchNormalization) are dropped.
  const sites = l.sites ? Object.fromEntries(Object.entries(l.sites).flatMap(([k, t]) => (map.has(t) ? [[k, map.get(t) as number]] : []))) : undefined;
  return { ...l, tensors, input: map.get(l.input) as number, output: map.get(l.output) as number, ...(sites ? { sites } : {}) };
}
