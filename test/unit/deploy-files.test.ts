/**
 * model-optimizer deploy's files (issue 12): the C array compiles with the system C++ compiler
 * and a program built with it reads back exactly the .tflite bytes and length; the ops header
 * lists every operator once; the report's figures come from the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { resolverMethod } from '../../src/engine/deploy/cArray';
import { CORE_OBJECTS, OP_OBJECTS } from '../../src/engine/deploy/kernelCodeObjects';
import { TFLM_CODE } from '../../src/engine/deploy/kernelCodeTable';
import { deployModel } from '../../src/engine/deploy/report';
import { tfliteBytes } from '../../src/engine/export/tflite';
import { mnist, randomModel, tempDir } from './export-helpers';

const gxx = spawnSync('g++', ['--version']).status === 0;

void test('C array: compiles with g++ -std=c++17 and reads back exactly the .tflite bytes and length', { skip: gxx ? false : 'g++ is not installed (apt-get install g++)' }, async () => {
  const { train } = await mnist(200, 1);
  const model = randomModel('pruned-mnist.v2', [784, 32, 10]);
  const dir = await tempDir('deploy-files');
  const file = path.join(dir, 'pruned-mnist.v2_full_int8.tflite');
  const data = tfliteBytes(model, 'full-int8', { representative: { images: train.images, count: 200 }, perChannel: true }).data;
  await fs.writeFile(file, data);
  const { report, files } = await deployModel(file, dir);
  assert.deepEqual(files.map((f) => path.basename(f)).sort(), ['_deploy.json', '_deploy.md', '_model_data.cc', '_model_data.h', '_ops.h'].map((s) => `pruned-mnist.v2_full_int8${s}`).sort());
  assert.equal(report.model_bytes, data.length);
  // Flash = the model array + the TFLM code estimate: the runtime core and each kernel object once.
  const objects = new Set([...CORE_OBJECTS, ...report.ops.flatMap((op) => OP_OBJECTS[op] ?? [])]);
  const code = [...objects].reduce((a, o) => a + TFLM_CODE.objects[o], 0);
  assert.equal(report.code.totalBytes, code);
  assert.equal(report.flash_bytes, data.length + code);
  assert.deepEqual(report.code.unmeasured, []);
  assert.equal(report.macs, 784 * 32 + 32 * 10);
  assert.equal(report.tflm_compatible, true);
  const h = await fs.readFile(path.join(dir, 'pruned-mnist.v2_full_int8_model_data.h'), 'utf8');
  assert.match(h, /#ifndef PRUNED_MNIST_V2_FULL_INT8_MODEL_DATA_H_/);
  assert.match(h, /input_elements = 784;/);
  const ops = await fs.readFile(path.join(dir, 'pruned-mnist.v2_full_int8_ops.h'), 'utf8');
  assert.match(ops, new RegExp(`MicroMutableOpResolver<${report.ops.length}>`));
  // One registration per op, each the resolver method TFLM names for it.
  assert.equal(ops.split('\n').filter((l) => l.includes('resolver.Add')).length, report.ops.length);
  for (const method of report.ops.map(resolverMethod)) {
    assert.equal(ops.split(`resolver.${method}()`).length, 2, method);
  }
  // A program that checks the array against the file, byte for byte.
  const main = path.join(dir, 'check.cc');
  await fs.writeFile(
    main,
    [
      '#include <cstdio>',
      '#include <cstdint>',
      '#include "pruned-mnist.v2_full_int8_model_data.h"',
      'int main(int argc, char** argv) {',
      '  FILE* f = std::fopen(argv[1], "rb"); if (!f) return 3;',
      '  unsigned int n = 0; int c;',
      '  while ((c = std::fgetc(f)) != EOF) { if (n >= pruned_mnist_v2_full_int8_model_data_len || pruned_mnist_v2_full_int8_model_data[n] != c) return 4; n++; }',
      '  if (n != pruned_mnist_v2_full_int8_model_data_len) return 5;',
      '  if (reinterpret_cast<uintptr_t>(pruned_mnist_v2_full_int8_model_data) % 16 != 0) return 6;',
      '  std::printf("%u\\n", n); return 0;',
      '}',
      '',
    ].join('\n'),
  );
  const cc = path.join(dir, 'pruned-mnist.v2_full_int8_model_data.cc');
  const obj = spawnSync('g++', ['-std=c++17', '-Wall', '-Werror', '-c', cc, '-o', path.join(dir, 'model.o')], { cwd: dir, encoding: 'utf8' });
  assert.equal(obj.status, 0, obj.stderr);
  const exe = path.join(dir, 'check');
  const link = spawnSync('g++', ['-std=c++17', '-I', dir, main, path.join(dir, 'model.o'), '-o', exe], { cwd: dir, encoding: 'utf8' });
  assert.equal(link.status, 0, link.stderr);
  const run = spawnSync(exe, [file], { encoding: 'utf8' });
  assert.equal(run.status, 0, `exit ${run.status}: 4 = byte mismatch, 5 = length, 6 = alignment`);
  assert.equal(run.stdout.trim(), String(data.length));
  await fs.rm(dir, { recursive: true, force: true });
});
