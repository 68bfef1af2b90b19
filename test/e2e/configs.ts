/** Workspace configs (model-optimizer.json) used by the e2e tests. */

/** The whole pipeline in seconds: a subset of MNIST, one epoch per stage. */
export const SMALL_CONFIG = {
  data: { trainLimit: 3000, testLimit: 1000 },
  train: { epochs: 1 },
  // 43 steps in the pruning epoch: update the masks every 10 steps so pruning really happens.
  prune: { epochs: 1, schedule: { kind: 'polynomial_decay', frequency: 10 } },
  quantize: { representativeSamples: 100 },
};

/** A run long enough to stop it in the middle: all 60 000 training images, many epochs. */
export const LONG_CONFIG = {
  data: { testLimit: 1000 },
  // Far longer than the test: it only ends when the test stops it (an idle CI machine trains 50 epochs in ~25 s).
  train: { epochs: 5000 },
};

/** An invalid value on purpose: a negative epoch count. */
export const INVALID_CONFIG = {
  data: { trainLimit: 3000, testLimit: 1000 },
  train: { epochs: -3 },
};
