/**
 * Class names given from outside the data: `data.classNames` in the config, or the labels
 * file a model carries (Google Teachable Machine's `labels.txt`, "0 Flask\n1 Mug\n"; see
 * import/labels.ts). They name the model's outputs, in the model's order:
 * - data labelled by index (MNIST, IDX, integer labels) keeps its labels and takes the names;
 * - data labelled by name (image-folder subfolders, string labels) must have the same classes,
 *   and its labels are renumbered to the given order: output i of the model is class names[i],
 *   whatever order the folders sort in.
 */
import { BadInputError } from '../errors';
import type { RawData, RawSet } from './prepare';

/** Limits of a class-name list (Teachable Machine allows a few dozen classes; ImageNet has 1000). */
export const CLASS_NAME_LIMITS = { count: 10_000, chars: 256 } as const;

/** The problem with a list of class names, or null when it can be used. */
export function classNamesProblem(names: readonly unknown[]): string | null {
  if (names.length === 0) {
    return 'it is empty';
  }
  if (names.length > CLASS_NAME_LIMITS.count) {
    return `it has ${names.length} names, more than ${CLASS_NAME_LIMITS.count}`;
  }
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (typeof n !== 'string' || n.trim() === '') {
      return `class ${i} has no name`;
    }
    if (n.length > CLASS_NAME_LIMITS.chars || /[\r\n]/.test(n)) {
      return `the name of class ${i} ${/[\r\n]/.test(n) ? 'has a line break' : `is longer than ${CLASS_NAME_LIMITS.chars} characters`}`;
    }
    if (seen.has(n)) {
      return `'${n}' is named twice`;
    }
    seen.add(n);
  }
  return null;
}

function isIndexNamed(names: readonly string[]): boolean {
  return names.every((n, i) => n === String(i));
}

/** Whether these names say more than the class indices ('0', '1', …): only then is a labels file worth writing. */
export function namedClasses(names: readonly string[]): boolean {
  return !isIndexNamed(names);
}

function renumber(set: RawSet, map: Int32Array): RawSet {
  return { ...set, labels: set.labels.map((l) => map[l]) };
}

/**
 * `raw` with the class names `names` (see the module comment). `from` says where they came
 * from, for messages ('data.classNames', 'labels.txt beside keras_model.h5').
 */
export function applyClassNames(raw: RawData, names: readonly string[], from: string): RawData {
  const problem = classNamesProblem(names);
  if (problem) {
    throw new BadInputError(`The class names from ${from} cannot be used: ${problem}. Give one distinct, non-empty name per class of the model, in the order of its outputs.`, from);
  }
  const have = raw.classNames;
  if (isIndexNamed(have)) {
    if (have.length > names.length) {
      throw new BadInputError(
        `${from} names ${names.length} classes but the data (${raw.name}) has labels up to ${have.length - 1} (${have.length} classes). Give one name per class (the model's outputs), or use data whose labels are 0…${names.length - 1}.`,
        from,
      );
    }
    return { ...raw, classNames: [...names] };
  }
  const wanted = new Set(names);
  const missing = have.filter((n) => !wanted.has(n));
  const extra = names.filter((n) => !have.includes(n));
  if (missing.length > 0) {
    const list = (xs: readonly string[]) => xs.slice(0, 8).map((x) => `'${x}'`).join(', ') + (xs.length > 8 ? ` and ${xs.length - 8} more` : '');
    throw new BadInputError(
      `The data (${raw.name}) has classes ${list(missing)} that ${from} does not name (it names ${list(names)}${extra.length ? `; ${list(extra)} not in the data` : ''}). ` +
        'The names must match exactly (the class subfolders or string labels): rename them, or correct the labels file / data.classNames.',
      from,
    );
  }
  // Folder or string classes, renumbered to the model's order (names the data lacks stay without samples).
  const map = Int32Array.from(have, (n) => names.indexOf(n));
  return {
    ...raw,
    classNames: [...names],
    train: renumber(raw.train, map),
    test: renumber(raw.test, map),
    ...(raw.validation ? { validation: renumber(raw.validation, map) } : {}),
  };
}

/** The names in Teachable Machine's labels.txt format: "0 Flask\n1 Mug\n". */
export function labelsText(names: readonly string[]): string {
  return names.map((n, i) => `${i} ${n}\n`).join('');
}
