import * as assert from 'uvu/assert';
import { ConvscopeError, type ErrorCode } from '../../src/errors.ts';

/** Runs `fn`, asserts a one-line ConvscopeError with `code` and no internal text, and returns its message. */
export async function refused(fn: () => unknown, code: ErrorCode): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ConvscopeError)) throw err;
    assert.is(err.code, code, `code of: ${err.message}`);
    assert.not.match(err.message, '\n', 'one line');
    for (const internal of ['undefined', 'TypeError', 'RangeError', 'Cannot read', 'is not a function', 'DataView']) {
      assert.not.ok(err.message.includes(internal), `'${internal}' in: ${err.message}`);
    }
    return err.message;
  }
  assert.unreachable(`expected a ConvscopeError ${code}`);
  return '';
}
