/** Run configuration: validation with defaults, config files, and the JSON Schema. */
export { resolveConfig, kerasDenseNames, didYouMean } from './validate';
export { loadConfigFile, resolveConfigFile, parseJsonText } from './load';
export { configJsonSchema } from './jsonSchema';
