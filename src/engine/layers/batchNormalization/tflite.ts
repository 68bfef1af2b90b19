/**
 * BatchNormalization at inference is y = x·s + t per channel, s = γ/√(var + ε), t = β − mean·s.
 * Lowered as one per-channel affine op; the folding pass (lower.ts) merges it into the
 * CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED before it when it can, as the converter does,
 * and otherwise it is written as MUL + ADD.
 */
import { boolOf, numberOf } from '../../export/tflite/lowerHelpers';
import type { TfliteLowering } from '../../export/tflite/lowered';

export const batchNormalizationTflite: TfliteLowering = (ctx, node, [x]) => {
  const shape = ctx.shape(x);
  const c = shape[shape.length - 1];
  const eps = numberOf(node, 'epsilon', 0.001);
  const gamma = boolOf(node, 'scale', true) ? ctx.weight(node, 'gamma', [c]).data : new Float32Array(c).fill(1);
  const beta = boolOf(node, 'center', true) ? ctx.weight(node, 'beta', [c]).data : new Float32Array(c);
  const mean = ctx.weight(node, 'moving_mean', [c]).data;
  const variance = ctx.weight(node, 'moving_variance', [c]).data;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const y = ctx.tensor(shape, `${node.name}/FusedBatchNormV3`);
  ctx.op({ type: 'affine', layer: node.name, inputs: [x], output: y, scale, shift });
  return y;
};
