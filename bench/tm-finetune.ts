/**
 * Issue 15: how long a training step of the Teachable Machine export (MobileNetV2 base,
 * 224×224×3, /work/shared/fixtures/keras/teachable_machine_keras_model.h5 or argv[2]) takes in
 * the engine's GraphTrainer on wasm with our kernels, for (a) the head only (every weight of the
 * MobileNet base frozen: the usual Teachable-Machine-style fine-tune) and (b) every weight
 * trainable (what pruning's fine-tune of the whole model costs). Synthetic images in [-1, 1]
 * (the timing does not depend on pixel values); batch 16. Prints wall and CPU ms per step
 * (median after 2 warm-up steps), the load, and how many values are uploaded per step.
 *
 *   npx tsx bench/tm-finetune.ts [model.h5] [steps=6] [batch=16]
 */
import { execSync } from 'node:child_process';
import { initBackend } from '../src/engine/backend';
import { loadModelFile } from '../src/engine/import/index';
import type { ModelGraph } from '../src/engine/graph/types';
import { GraphTrainer } from '../src/engine/train/graphTrainer';

const file = process.argv[2] ?? '/work/shared/fixtures/keras/teachable_machine_keras_model.h5';
const steps = Number(process.argv[3] ?? 6);
const batch = Number(process.argv[4] ?? 16);
const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];

function freezeAllBut(graph: ModelGraph, headLayers: number): ModelGraph {
  const layers = graph.layers.map((l, i) => ({ ...l, weights: l.weights.map((w) => ({ ...w, trainable: i >= graph.layers.length - headLayers ? w.trainable : false })) }));
  return { ...graph, layers };
}

function run(label: string, graph: ModelGraph): void {
  const trainer = new GraphTrainer(graph, 1e-4, 1);
  const size = trainer.graph.inputShape.reduce((a, b) => a * b, 1);
  let s = 7;
  const x = Float32Array.from({ length: batch * size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1);
  const classes = trainer.graph.byName.get(graph.outputs[0])!.outputShape[0];
  const y = Int32Array.from({ length: batch }, (_, i) => i % classes);
  const trainable = graph.layers.flatMap((l) => l.weights).filter((w) => w.trainable);
  const wall: number[] = [];
  const cpu: number[] = [];
  let loss = 0;
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    loss = trainer.trainBatch(x, y, batch).loss;
    const used = process.cpuUsage(c0);
    if (i >= 2) {
      wall.push(performance.now() - t0);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  trainer.dispose();
  const params = trainable.reduce((a, w) => a + w.data.length, 0);
  console.log(`${label}: ${trainable.length} trainable tensors (${params} values), batch ${batch}: median ${median(wall).toFixed(0)} ms wall, ${median(cpu).toFixed(0)} ms CPU per step (${steps} steps; last loss ${loss.toFixed(3)})`);
}

async function main(): Promise<void> {
  console.log(`load: ${execSync('uptime').toString().trim()}`);
  const info = await initBackend('wasm');
  console.log(`backend: ${info.detail}`);
  const graph = await loadModelFile(file);
  console.log(`${file}: ${graph.layers.length} layers; last: ${graph.layers.slice(-3).map((l) => `${l.className} ${l.name}`).join(', ')}`);
  const denseAtEnd = graph.layers.length - graph.layers.map((l) => l.className).lastIndexOf('GlobalAveragePooling2D') - 1;
  run(`head only (the last ${denseAtEnd} layers after GlobalAveragePooling2D)`, freezeAllBut(graph, denseAtEnd));
  run('whole model', graph);
  console.log(`load after: ${execSync('uptime').toString().trim()}`);
}

void main();
