import * as assert from 'uvu/assert';
import { ConvscopeError, type ErrorCode } from '../../src/errors.ts';

/** Internal text a caller must never see in a message. */
const LEAKS = /undefined|TypeError|Cannot read|RangeError|Aborted|readImageTensor:|walkBackward:/;

/** Asserts a ConvscopeError with one of `codes`, a one-line message free of internal text that matches every part. */
export function assertConvscopeError(error: unknown, codes: ErrorCode | ErrorCode[], ...parts: (string | RegExp)[]): ConvscopeError {
  const wanted = Array.isArray(codes) ? codes : [codes];
  if (!(error instanceof ConvscopeError)) {
    assert.unreachable(`expected a ConvscopeError (${wanted.join(' or ')}), got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  const e = error as ConvscopeError;
  assert.ok(wanted.includes(e.code), `code ${e.code}, expected ${wanted.join(' or ')}: ${e.message}`);
  assert.not.match(e.message, LEAKS, `internal text in "${e.message}"`);
  assert.not.ok(e.message.includes('\n'), `more than one line: "${e.message}"`);
  for (const p of parts) assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `"${e.message}" lacks ${String(p)}`);
  return e;
}

/** Runs fn (sync or async) and asserts it throws a ConvscopeError as assertConvscopeError does. */
export async function expectConvscopeError(fn: () => unknown, codes: ErrorCode | ErrorCode[], ...parts: (string | RegExp)[]): Promise<ConvscopeError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (error === undefined) assert.unreachable(`expected a ConvscopeError (${String(codes)}), but the call returned`);
  return assertConvscopeError(error, codes, ...parts);
}
