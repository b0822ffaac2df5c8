import { ConvscopeError } from '../errors.ts';
import { parseByteSize, setMemoryLimit } from '../limits.ts';
import { UsageError } from './errors.ts';

export const globalOptionsHelp = `Options for every command:
  --memory-limit SIZE  the largest allocation convscope may make, e.g. 512M or 2G
                       (default 1G, or the environment variable CONVSCOPE_MEMORY_LIMIT)`;

/**
 * Applies the options every command takes, wherever they stand before a `--`, and returns the
 * arguments without them.
 */
export function applyGlobalOptions(argv: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return rest.concat(argv.slice(i));
    if (arg === '--memory-limit' || arg.startsWith('--memory-limit=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError('--memory-limit needs a size, e.g. 2G');
      setMemoryLimit(byteSize(value));
    } else {
      rest.push(arg);
    }
  }
  return rest;
}

function byteSize(value: string): number {
  try {
    return parseByteSize(value, '--memory-limit');
  } catch (e) {
    if (e instanceof ConvscopeError) throw new UsageError(e.message);
    throw e;
  }
}
