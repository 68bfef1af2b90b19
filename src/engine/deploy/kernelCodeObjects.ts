/**
 * Which TensorFlow Lite Micro object files a program needs: the interpreter core (always) and
 * each builtin op's kernel (its `.cc` and `_common.cc` in tflite-micro's kernels folder). Used by
 * scripts/measure-tflm-code.mjs to measure their code size, and by kernelCode.ts to add up the
 * ops a model uses.
 */

/** The runtime every TFLM program links: interpreter, allocator, planner, flatbuffer parsing, kernel utilities. */
export const CORE_OBJECTS = [
  'tensorflow/lite/micro/micro_interpreter',
  'tensorflow/lite/micro/micro_interpreter_graph',
  'tensorflow/lite/micro/micro_interpreter_context',
  'tensorflow/lite/micro/micro_allocator',
  'tensorflow/lite/micro/micro_allocation_info',
  'tensorflow/lite/micro/micro_context',
  'tensorflow/lite/micro/micro_op_resolver',
  'tensorflow/lite/micro/micro_log',
  'tensorflow/lite/micro/micro_utils',
  'tensorflow/lite/micro/memory_helpers',
  'tensorflow/lite/micro/flatbuffer_utils',
  'tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator',
  'tensorflow/lite/micro/arena_allocator/non_persistent_arena_buffer_allocator',
  'tensorflow/lite/micro/arena_allocator/persistent_arena_buffer_allocator',
  'tensorflow/lite/micro/memory_planner/greedy_memory_planner',
  'tensorflow/lite/micro/tflite_bridge/flatbuffer_conversions_bridge',
  'tensorflow/lite/micro/tflite_bridge/micro_error_reporter',
  'tensorflow/lite/micro/kernels/kernel_util',
  'tensorflow/lite/core/api/flatbuffer_conversions',
  'tensorflow/lite/core/c/common',
  'tensorflow/lite/kernels/kernel_util',
  'tensorflow/lite/kernels/internal/quantization_util',
  'tensorflow/lite/kernels/internal/common',
  'tensorflow/compiler/mlir/lite/schema/schema_utils',
  'tensorflow/compiler/mlir/lite/core/api/error_reporter',
  'tensorflow/lite/micro/debug_log',
];

const k = (...names: string[]): string[] => names.map((n) => `tensorflow/lite/micro/kernels/${n}`);

/** Kernel objects per builtin op (the ops our exporters write, and a few common others). */
export const OP_OBJECTS: Record<string, string[]> = {
  ADD: k('add', 'add_common'),
  AVERAGE_POOL_2D: k('pooling', 'pooling_common'),
  MAX_POOL_2D: k('pooling', 'pooling_common'),
  CONCATENATION: k('concatenation'),
  CONV_2D: k('conv', 'conv_common'),
  DEPTHWISE_CONV_2D: k('depthwise_conv', 'depthwise_conv_common'),
  DEQUANTIZE: k('dequantize', 'dequantize_common'),
  FULLY_CONNECTED: k('fully_connected', 'fully_connected_common'),
  LOGISTIC: k('logistic', 'logistic_common'),
  MUL: k('mul', 'mul_common'),
  RELU: k('activations', 'activations_common'),
  RELU6: k('activations', 'activations_common'),
  RESHAPE: k('reshape', 'reshape_common'),
  SOFTMAX: k('softmax', 'softmax_common'),
  TANH: k('tanh'),
  PAD: k('pad', 'pad_common'),
  MEAN: k('reduce', 'reduce_common'),
  REDUCE_MAX: k('reduce', 'reduce_common'),
  QUANTIZE: k('quantize', 'quantize_common'),
  HARD_SWISH: k('hard_swish', 'hard_swish_common'),
};
