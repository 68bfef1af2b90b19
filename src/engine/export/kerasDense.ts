/**
 * The part of a Dense layer's config that Keras (`.h5` model_config) and tfjs-layers
 * (`model.json` modelTopology) write alike: units, activation, bias, the initializers,
 * and no regularizers or constraints. Each format adds its own keys around it.
 */
export function kerasDenseConfig(units: number, activation: string, kernelInitializer: { class_name: string; config: object }): Record<string, unknown> {
  return {
    units,
    activation,
    use_bias: true,
    kernel_initializer: kernelInitializer,
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}
