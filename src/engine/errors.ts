/**
 * The engine's error classes, in a module of their own so that data, model, export and
 * runtime code can throw them without importing the job layer above them.
 */

/** Thrown when the user can fix the problem (config, data, model file): CLI exit code 2. */
export class BadInputError extends Error {
  constructor(
    message: string,
    /** Where the problem is, e.g. 'model-optimizer.json: train.epochs'. */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'BadInputError';
  }
}

/** Thrown at a batch boundary after `cancel`: the run ends as cancelled, not failed. */
export class CancelledError extends Error {
  constructor() {
    super('Run cancelled');
    this.name = 'CancelledError';
  }
}
