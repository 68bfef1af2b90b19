/** Run configuration: validation with defaults, config files, and the JSON Schema. */
export { resolveConfig, kerasDenseNames, didYouMean, ConfigError } from './validate';
export type { ConfigProblem } from './validate';
export { loadConfigFile, resolveConfigFile, parseJsonText } from './load';
export { configJsonSchema } from './jsonSchema';
