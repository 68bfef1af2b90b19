/**
 * The subset of the TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs) this
 * exporter writes and reads: enum values and table field ids, written by hand from the
 * public schema. A field id N lives at vtable slot 4 + 2·N.
 */

export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;

/** enum TensorType : byte */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  INT8: 9,
} as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

/** enum BuiltinOperator : int32 (the old byte field holds the same value when < 127). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  TANH: 28,
  PAD: 34,
  MEAN: 40,
  REDUCE_MAX: 82,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;
export type BuiltinOperatorValue = (typeof BuiltinOperator)[keyof typeof BuiltinOperator];

/** union BuiltinOptions: the type tag stored beside the options table. */
export const BuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  ReducerOptions: 27,
  DequantizeOptions: 38,
  QuantizeOptions: 89,
  HardSwishOptions: 91,
} as const;

/** enum ActivationFunctionType : byte */
export const ActivationFunctionType = { NONE: 0, RELU: 1, RELU6: 3 } as const;

/** Field ids per table. */
export const ModelField = { version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4 } as const;
export const OperatorCodeField = { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 } as const;
export const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
export const TensorField = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, is_variable: 5, sparsity: 6, shape_signature: 7 } as const;
export const QuantizationField = { min: 0, max: 1, scale: 2, zero_point: 3, details_type: 4, details: 5, quantized_dimension: 6 } as const;
export const OperatorField = { opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4 } as const;
export const BufferField = { data: 0, offset: 1, size: 2 } as const;
export const FullyConnectedOptionsField = { fused_activation_function: 0, weights_format: 1, keep_num_dims: 2, asymmetric_quantize_inputs: 3 } as const;
export const SoftmaxOptionsField = { beta: 0 } as const;
export const Conv2DOptionsField = { padding: 0, stride_w: 1, stride_h: 2, fused_activation_function: 3, dilation_w_factor: 4, dilation_h_factor: 5 } as const;
export const ReshapeOptionsField = { new_shape: 0 } as const;
export const DepthwiseConv2DOptionsField = {
  padding: 0,
  stride_w: 1,
  stride_h: 2,
  depth_multiplier: 3,
  fused_activation_function: 4,
  dilation_w_factor: 5,
  dilation_h_factor: 6,
} as const;
export const Pool2DOptionsField = { padding: 0, stride_w: 1, stride_h: 2, filter_width: 3, filter_height: 4, fused_activation_function: 5 } as const;
export const ConcatenationOptionsField = { axis: 0, fused_activation_function: 1 } as const;
export const AddOptionsField = { fused_activation_function: 0 } as const;
export const MulOptionsField = { fused_activation_function: 0 } as const;
export const ReducerOptionsField = { keep_dims: 0 } as const;

/** enum Padding : byte */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Number of fields each table is started with (highest id written + 1). */
export const FieldCount = {
  Model: 5,
  OperatorCode: 4,
  SubGraph: 5,
  Tensor: 8,
  Quantization: 7,
  Operator: 5,
  Buffer: 1,
  FullyConnectedOptions: 4,
  SoftmaxOptions: 1,
  Conv2DOptions: 6,
  ReshapeOptions: 1,
  DepthwiseConv2DOptions: 7,
  Pool2DOptions: 6,
  ConcatenationOptions: 2,
  AddOptions: 1,
  MulOptions: 1,
  ReducerOptions: 1,
  Empty: 0,
} as const;

export function tensorTypeName(t: number): string {
  const e = Object.entries(TensorType).find(([, v]) => v === t);
  return e ? e[0] : `type ${t}`;
}

export function operatorName(op: number): string {
  const e = Object.entries(BuiltinOperator).find(([, v]) => v === op);
  return e ? e[0] : `op ${op}`;
}
