/** Model Optimizer: Quantize Model — a quick pick of TFLite and TF.js modes, then the model. */
import * as vscode from 'vscode';
import { DEFAULT_CONFIG, type TfjsQuantMode, type TfliteMode } from '../../protocol/config';
import type { Ctx } from '../ctx';
import { pickModel } from './pickModel';
import { startJob } from './startJob';

type ModeItem = vscode.QuickPickItem & ({ tflite: TfliteMode } | { tfjs: TfjsQuantMode });

const MODES: ModeItem[] = [
  { label: 'TFLite float32', description: 'no quantization, the reference for accuracy', tflite: 'float32' },
  { label: 'TFLite float16', description: 'half-size weights, dequantized at load', tflite: 'float16' },
  { label: 'TFLite dynamic-range int8', description: 'int8 weights, float activations (the reference _quant.tflite)', tflite: 'dynamic-int8' },
  { label: 'TFLite full-integer int8', description: 'int8 weights and activations, calibrated on training samples', tflite: 'full-int8' },
  { label: 'TF.js uint8', description: 'weight-quantized TF.js layers model', tfjs: 'uint8' },
  { label: 'TF.js float16', description: 'weight-quantized TF.js layers model', tfjs: 'float16' },
];

export function quantize(ctx: Ctx): Promise<void> {
  return startJob(ctx, 'quantize', async (prepared) => {
    const q = prepared.config.quantize;
    const tflite = q?.tflite ?? DEFAULT_CONFIG.quantize.tflite;
    const tfjs = q?.tfjs ?? DEFAULT_CONFIG.quantize.tfjs;
    const items = MODES.map((m) => ({ ...m, picked: 'tflite' in m ? tflite.includes(m.tflite) : tfjs.includes(m.tfjs) }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Model Optimizer: quantization modes',
      placeHolder: 'Pick the formats to write (each is evaluated in its own runtime)',
      canPickMany: true,
    });
    if (!picked || picked.length === 0) {
      return undefined;
    }
    const inputModel = await pickModel(prepared, 'quantize', ['pruned_mnist_model', 'mnist_model'], { 'TF.js model': ['json'] });
    if (!inputModel) {
      return undefined;
    }
    const chosenTflite = picked.flatMap((m) => ('tflite' in m ? [m.tflite] : []));
    const chosenTfjs = picked.flatMap((m) => ('tfjs' in m ? [m.tfjs] : []));
    return {
      inputModel,
      override: (config) => ({ ...config, quantize: { ...config.quantize, enabled: true, tflite: chosenTflite, tfjs: chosenTfjs } }),
    };
  }, { modelFile: true });
}
