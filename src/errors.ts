/**
 * What convscope throws for anything the caller can fix: a bad argument, a damaged or unsupported
 * file, an input that does not fit, a size beyond the memory limit. The message is one line that
 * names the problem and the valid choices; `code` says which kind it is, for programs.
 * Anything else that escapes (a TypeError, a RangeError) is a convscope bug.
 */
export type ErrorCode =
  | 'E_ARGUMENT'      // a library call's argument has the wrong type, shape or value
  | 'E_USAGE'         // a command line that does not parse (unknown option, missing argument)
  | 'E_NOT_FOUND'     // a path that does not exist
  | 'E_NOT_A_FILE'    // a pipe, a device, a folder where a file was expected (or the reverse)
  | 'E_IO'            // the file system refused a read or a write
  | 'E_FORMAT'        // a file that is damaged or not in the format expected
  | 'E_UNSUPPORTED'   // a well-formed file that uses something convscope does not implement
  | 'E_SHAPE'         // an input whose shape does not fit the model or the op
  | 'E_NONFINITE'     // NaN or Infinity in weights, inputs or results
  | 'E_TOO_LARGE';    // a size beyond the memory limit or a format's bounds

export class ConvscopeError extends Error {
  override name = 'ConvscopeError';
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** Throws a ConvscopeError; for `cond || fail(...)` style checks. */
export function fail(code: ErrorCode, message: string): never {
  throw new ConvscopeError(code, message);
}
