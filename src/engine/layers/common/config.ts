/**
 * Reading a Keras / TF.js layer config: Keras writes snake_case (`kernel_size`), TF.js
 * model.json too, while tfjs-layers' own objects and our model-optimizer.json use camelCase
 * (`kernelSize`). Every getter takes the snake_case key and accepts either spelling; every
 * problem is a BadInputError naming the layer and the key.
 */
import { BadInputError } from '../../errors';

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export class ConfigReader {
  constructor(
    readonly raw: Record<string, unknown>,
    /** e.g. "layer 'conv2d' (Conv2D)". */
    readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get(key: string): unknown {
    const v = this.raw[key];
    return v !== undefined ? v : this.raw[camel(key)];
  }

  fail(key: string, problem: string): never {
    throw new BadInputError(`${this.where}: '${key}' ${problem}`, this.where);
  }

  int(key: string, dflt?: number, min = 1): number {
    const v = this.get(key);
    if (v === undefined || v === null) {
      if (dflt === undefined) {
        this.fail(key, 'is missing.');
      }
      return dflt;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 1 << 24) {
      this.fail(key, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`);
    }
    return v;
  }

  num(key: string, dflt?: number, range: [number, number] = [-Infinity, Infinity]): number {
    const v = this.get(key);
    if (v === undefined || v === null) {
      if (dflt === undefined) {
        this.fail(key, 'is missing.');
      }
      return dflt;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range[0] || v > range[1]) {
      this.fail(key, `must be a number in [${range[0]}, ${range[1]}], got ${JSON.stringify(v)}.`);
    }
    return v;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.get(key);
    if (v === undefined || v === null) {
      return dflt;
    }
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false, got ${JSON.stringify(v)}.`);
    }
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], dflt: T): T {
    const v = this.get(key);
    if (v === undefined || v === null) {
      return dflt;
    }
    const s = typeof v === 'string' ? v.toLowerCase() : v;
    if (typeof s !== 'string' || !(allowed as readonly string[]).includes(s)) {
      this.fail(key, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}.`);
    }
    return s as T;
  }

  /** An int or a pair of ints (Keras' `kernel_size=3` or `(3, 3)`). */
  pair(key: string, dflt?: [number, number], min = 1): [number, number] {
    const v = this.get(key);
    if (v === undefined || v === null) {
      if (dflt === undefined) {
        this.fail(key, 'is missing.');
      }
      return dflt;
    }
    const arr = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(arr) || arr.length !== 2 || !arr.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= 1 << 24)) {
      this.fail(key, `must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}.`);
    }
    return [arr[0] as number, arr[1] as number];
  }

  /** Keras image layers: only channels_last (NHWC) is supported. */
  channelsLast(): void {
    const v = this.get('data_format');
    if (v !== undefined && v !== null && v !== 'channels_last') {
      this.fail('data_format', `is ${JSON.stringify(v)}; only 'channels_last' (NHWC) is supported. Save the model with channels_last.`);
    }
  }

  /** Refuses a key whose value would change the layer's meaning in a way this engine does not implement. */
  refuseUnless(key: string, ok: (v: unknown) => boolean, why: string): void {
    const v = this.get(key);
    if (v !== undefined && !ok(v)) {
      this.fail(key, `= ${JSON.stringify(v)} is not supported: ${why}`);
    }
  }
}

/** "layer 'conv2d' (Conv2D)": how every message names a layer. */
export function layerWhere(name: string, className: string): string {
  return `layer '${name}' (${className})`;
}

/** The fields every Keras 2 layer config starts with. */
export function kerasBase(name: string): Record<string, unknown> {
  return { name, trainable: true, dtype: 'float32' };
}

/** Keras' default initializers and the absent regularizers/constraints, as layer configs spell them. */
export const GLOROT = { class_name: 'GlorotUniform', config: { seed: null } };
export const ZEROS = { class_name: 'Zeros', config: {} };
export const NO_REGULARIZERS = { kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null };
