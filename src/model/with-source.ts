import { ConvscopeError } from '../errors.ts';

/** Runs `fn`; a ConvscopeError it throws gets `source: ` in front, so that the message names the user's file. */
export function withSource<T>(source: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (source === undefined || !(err instanceof ConvscopeError) || err.message.startsWith(`${source}: `)) throw err;
    throw new ConvscopeError(err.code, `${source}: ${err.message}`);
  }
}
