/**
 * The layer registry: Keras / TF.js class name → the kind module that knows that layer.
 * An unknown class is refused here, in one place, naming the layer, its class and what is
 * supported. Adding a kind = one folder beside this file + one line in KINDS.
 */
import { BadInputError } from '../errors';
import type { LayerNode } from '../graph/types';
import type { LayerKind } from './kind';
import { activation } from './activation';
import { add } from './add';
import { averagePooling2d } from './averagePooling2d';
import { batchNormalization } from './batchNormalization';
import { concatenate } from './concatenate';
import { conv2d } from './conv2d';
import { dense } from './dense';
import { depthwiseConv2d } from './depthwiseConv2d';
import { dropout } from './dropout';
import { flatten } from './flatten';
import { globalAveragePooling2d } from './globalAveragePooling2d';
import { globalMaxPooling2d } from './globalMaxPooling2d';
import { inputLayer } from './inputLayer';
import { maxPooling2d } from './maxPooling2d';
import { normalization } from './normalization';
import { relu } from './relu';
import { rescaling } from './rescaling';
import { reshape } from './reshape';
import { separableConv2d } from './separableConv2d';
import { zeroPadding2d } from './zeroPadding2d';

const KINDS: readonly LayerKind[] = [
  inputLayer,
  dense,
  conv2d,
  depthwiseConv2d,
  separableConv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  flatten,
  reshape,
  dropout,
  batchNormalization,
  activation,
  relu,
  add,
  concatenate,
  zeroPadding2d,
  rescaling,
  normalization,
] as LayerKind[];

/** Other names Keras and tfjs-layers register for the same classes. */
const ALIASES: Record<string, string> = {
  Convolution2D: 'Conv2D',
  SeparableConvolution2D: 'SeparableConv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

const BY_NAME = new Map<string, LayerKind>(KINDS.map((k) => [k.className, k]));

/** The Keras class names this engine supports, in registry order. */
export function supportedClassNames(): string[] {
  return KINDS.map((k) => k.className);
}

/** The canonical class name for `className` (aliases resolved), or null when unsupported. */
export function canonicalClassName(className: string): string | null {
  const c = ALIASES[className] ?? className;
  return BY_NAME.has(c) ? c : null;
}

/** True when the registry knows `className` (or an alias of it). */
export function isSupported(className: string): boolean {
  return canonicalClassName(className) !== null;
}

/**
 * The kind of `className`; an unknown class is a BadInputError naming the layer (when
 * given), its class and the supported list.
 */
export function kindOf(className: string, layerName?: string): LayerKind {
  const k = BY_NAME.get(ALIASES[className] ?? className);
  if (!k) {
    const who = layerName === undefined ? `Layer class '${className}'` : `Layer '${layerName}' is a ${className}, which`;
    throw new BadInputError(
      `${who} is not supported by Model Optimizer. Supported layers: ${supportedClassNames().join(', ')}. Replace the layer with supported ones (or remove it) and save the model again.`,
      layerName === undefined ? undefined : `layer '${layerName}'`,
    );
  }
  return k;
}

/** The kind of a graph node. */
export function kindOfNode(node: LayerNode): LayerKind {
  return kindOf(node.className, node.name);
}
