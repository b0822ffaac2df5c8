import { ConvscopeError } from '../errors.ts';

/** A command line that does not parse: printed as one line (plus usage), exit code 2, no stack trace. */
export class UsageError extends ConvscopeError {
  override name = 'UsageError';
  constructor(message: string) {
    super('E_USAGE', message);
  }
}
