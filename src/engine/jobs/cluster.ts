/**
 * The weight-clustering stage (tfmot `cluster_weights` + fit + `strip_clustering`): k-means
 * (linear init) on every chosen kernel, fine-tuning with shared centroids (cluster/trainer.ts),
 * and the stripped model whose kernels hold exactly `cluster.clusters` distinct values (plus
 * zero for pruned weights when cluster.preserveSparsity). The export stage writes it as
 * `<model>_clustered.h5` / `.tflite` so the comparison shows the gzip size win.
 */
import { kindOfNode } from '../layers/registry';
import { cloneGraph } from '../graph/stats';
import type { ModelGraph } from '../graph/types';
import { BadInputError } from '../errors';
import { distinctValues, kmeans1d, type Clustering } from '../cluster/kmeans';
import { ClusterTrainer } from '../cluster/trainer';
import { missingGradientKernels } from '../train/createTrainer';
import { fit } from '../train/fit';
import { weightKey, type WeightMasks } from '../train/trainer';
import { noteTrainer } from './qat';
import type { StageContext } from './types';

export function clusteredName(model: string): string {
  return `${model}_clustered`;
}

/** The kernels clustering applies to: the int8-quantized weights (Dense / Conv kernels) of the chosen layers. */
export function clusterTargets(graph: ModelGraph, layers: 'all' | readonly string[]): { layer: string; weight: number; key: string }[] {
  if (layers !== 'all') {
    for (const name of layers) {
      const node = graph.layers.find((l) => l.name === name);
      if (!node) {
        throw new BadInputError(`cluster.layers names '${name}', which is not a layer of ${graph.name} (layers: ${graph.layers.map((l) => l.name).join(', ')}).`, 'cluster.layers');
      }
      if (!kindOfNode(node).int8Weights?.length) {
        throw new BadInputError(`cluster.layers names '${name}', a ${node.className}: only Dense and convolution kernels can be clustered.`, 'cluster.layers');
      }
    }
  }
  return graph.layers
    .filter((l) => layers === 'all' || layers.includes(l.name))
    .flatMap((l) =>
      (kindOfNode(l).int8Weights ?? []).flatMap((s) => {
        const i = l.weights.findIndex((w) => w.name === s.weight);
        return i < 0 ? [] : [{ layer: l.name, weight: i, key: weightKey(l.name, s.weight) }];
      }),
    );
}

export interface ClusterResult {
  model: ModelGraph;
  testAccuracy: number;
  /** Per clustered kernel: distinct non-zero values in the stripped model. */
  uniqueValues: Record<string, number>;
}

export async function runClusterStage(ctx: StageContext, source: ModelGraph): Promise<ClusterResult> {
  const t0 = performance.now();
  const cfg = ctx.config.cluster;
  const train = ctx.config.train;
  const name = clusteredName(source.name);
  const k = cfg.clusters;
  const clusters = new Map<string, Clustering>();
  for (const t of clusterTargets(source, cfg.layers)) {
    const w = source.layers.find((l) => l.name === t.layer)!.weights[t.weight];
    if (distinctValues(w.data, cfg.preserveSparsity, k) < k) {
      ctx.warn('cluster-too-few-values', `${t.key} has fewer than ${k} distinct ${cfg.preserveSparsity ? 'non-zero ' : ''}values; it is left unclustered.`);
      continue;
    }
    clusters.set(t.key, kmeans1d(w.data, k, cfg.preserveSparsity));
  }
  if (clusters.size === 0) {
    throw new BadInputError(`Nothing to cluster in ${source.name}: no Dense or convolution kernel with at least ${k} distinct values. Lower cluster.clusters or choose other cluster.layers.`, 'cluster.clusters');
  }
  ctx.log(`${name}: ${k} clusters per kernel (k-means, linear init) in ${[...clusters.keys()].join(', ')}`);
  const data = await ctx.data();
  ctx.throwIfCancelled();
  const lr = cfg.learningRate ?? train.learningRate;
  let trainer: ClusterTrainer | null = null;
  try {
    if (cfg.epochs > 0) {
      const missing = missingGradientKernels(source);
      if (missing.length) {
        throw new BadInputError(`Fine-tuning the clustered model on the '${ctx.backend.tfjs}' backend needs gradient kernels it does not have (${missing.join(', ')}). Set backend to 'cpu', or cluster.epochs to 0 (cluster and strip only).`, 'backend');
      }
    }
    trainer = new ClusterTrainer(cloneGraph(source, name), lr, train.seed, clusters);
    noteTrainer(ctx, `clustering fine-tuned on the generic graph trainer (${trainer.name}, TF.js autodiff)`);
    if (cfg.preserveSparsity) {
      // Pruned weights of kernels that are not clustered keep their zeros too.
      const masks: WeightMasks = new Map();
      for (const l of source.layers) {
        for (const w of l.weights) {
          const key = weightKey(l.name, w.name);
          if (!clusters.has(key) && kindOfNode(l).prunable.includes(w.name) && w.data.some((v) => v === 0)) {
            masks.set(key, Float32Array.from(w.data, (v) => (v === 0 ? 0 : 1)));
          }
        }
      }
      trainer.setMasks(masks);
    }
    const before = trainer.evaluate(data.test.images, data.test.labels, data.test.count);
    ctx.log(`${name}: after clustering, before fine-tuning: test accuracy ${before.accuracy.toFixed(4)}`);
    ctx.emit({ type: 'stageStarted', stage: 'cluster', model: name, epochs: cfg.epochs, stepsPerEpoch: Math.ceil(data.train.count / train.batchSize) });
    const tFit = performance.now();
    const result =
      cfg.epochs > 0 ? await fit(ctx, trainer, data, { stage: 'cluster', model: name, epochs: cfg.epochs, batchSize: train.batchSize, shuffle: train.shuffle, seed: train.seed }) : { epochs: [] };
    ctx.addTiming('cluster', performance.now() - tFit);
    const test = cfg.epochs > 0 ? trainer.evaluate(data.test.images, data.test.labels, data.test.count) : before;
    const model = trainer.getModel(name);
    const uniqueValues: Record<string, number> = {};
    for (const key of clusters.keys()) {
      const [layer, weight] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
      const w = model.layers.find((l) => l.name === layer)!.weights.find((x) => x.name === weight)!;
      uniqueValues[key] = new Set(w.data.filter((v) => v !== 0)).size;
    }
    ctx.log(
      `${name}: test accuracy ${test.accuracy.toFixed(4)} after ${cfg.epochs} epoch(s); distinct non-zero values per kernel: ` +
        Object.entries(uniqueValues)
          .map(([kk, n]) => `${kk} ${n}`)
          .join(', '),
    );
    ctx.addStageRecord({ stage: 'cluster', model: name, epochs: result.epochs, testAccuracy: test.accuracy, testLoss: test.loss, durationMs: performance.now() - t0 });
    return { model, testAccuracy: test.accuracy, uniqueValues };
  } finally {
    trainer?.dispose();
  }
}
