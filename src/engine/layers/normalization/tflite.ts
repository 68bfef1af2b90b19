/**
 * Normalization → y = x·(1/std) + (−mean/std), std = max(√variance, 1e-7): one affine op (MUL +
 * ADD in float files) on the last axis when the statistics are one value or one per channel;
 * statistics along other axes (per feature of an image) are spelled out per value and applied
 * between two RESHAPEs to and from the flat feature vector.
 */
import type { TfliteLowering } from '../../export/tflite/lowered';
import { BadInputError } from '../../errors';
import type { NormalizationConfig } from './index';
import { keptDims, NORMALIZATION_EPSILON, statsBroadcastShape } from './stats';

export const normalizationTflite: TfliteLowering = (ctx, node, [x]) => {
  const c = node.config as NormalizationConfig;
  const shape = ctx.shape(x);
  const mean = c.mean ? Float32Array.from(c.mean) : ctx.weight(node, 'mean').data;
  const variance = c.variance ? Float32Array.from(c.variance) : ctx.weight(node, 'variance').data;
  const k = mean.length;
  const scale = new Float32Array(k);
  const shift = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    const std = Math.max(Math.sqrt(variance[i]), NORMALIZATION_EPSILON);
    scale[i] = 1 / std;
    shift[i] = -mean[i] / std;
  }
  const kept = keptDims(c.axis, shape.length, `layer '${node.name}' (Normalization)`);
  const last = shape.length - 1;
  if (k === 1 || (kept.length === 1 && kept[0] === last && k === shape[last])) {
    const y = ctx.tensor(shape, `${node.name}/normalization`);
    ctx.op({ type: 'affine', layer: node.name, inputs: [x], output: y, scale, shift });
    return y;
  }
  // Statistics vary along other axes: one (scale, shift) per feature, on the flattened input.
  const b = statsBroadcastShape(c.axis, shape).slice(1);
  if (b.reduce((p, d) => p * d, 1) !== k) {
    throw new BadInputError(`TFLite export: layer '${node.name}' holds ${k} statistics, which do not fit its input [${shape.join(', ')}].`, node.name);
  }
  const features = shape.reduce((p, d) => p * d, 1);
  const fullScale = new Float32Array(features);
  const fullShift = new Float32Array(features);
  const strides = b.map((_d, i) => b.slice(i + 1).reduce((p, d) => p * d, 1));
  for (let f = 0; f < features; f++) {
    let rest = f;
    let s = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const coord = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      s += (b[d] === 1 ? 0 : coord) * strides[d];
    }
    fullScale[f] = scale[s];
    fullShift[f] = shift[s];
  }
  let h = x;
  if (shape.length > 1) {
    h = ctx.tensor([features], `${node.name}/flatten`);
    ctx.op({ type: 'reshape', layer: node.name, inputs: [x], output: h });
  }
  const y = ctx.tensor([features], `${node.name}/normalization`);
  ctx.op({ type: 'affine', layer: node.name, inputs: [h], output: y, scale: fullScale, shift: fullShift });
  if (shape.length === 1) {
    return y;
  }
  const back = ctx.tensor(shape, `${node.name}/unflatten`);
  ctx.op({ type: 'reshape', layer: node.name, inputs: [y], output: back });
  return back;
};
