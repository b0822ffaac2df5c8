import { ConvscopeError } from './errors.ts';

/**
 * The memory ceiling: the largest single allocation convscope will make for a caller (a decoded
 * image, a tensor, a model's weights), checked against sizes read from headers and configs before
 * anything is allocated. Default 1 GiB; `setMemoryLimit` or the environment variable
 * CONVSCOPE_MEMORY_LIMIT (bytes, or with a K/M/G suffix) raises or lowers it.
 */
const DEFAULT_LIMIT = 2 ** 30;
let limit: number | undefined;

export function memoryLimit(): number {
  if (limit === undefined) {
    const env = typeof process !== 'undefined' ? process.env?.CONVSCOPE_MEMORY_LIMIT : undefined;
    limit = env ? parseByteSize(env, 'CONVSCOPE_MEMORY_LIMIT') : DEFAULT_LIMIT;
  }
  return limit;
}

export function setMemoryLimit(bytes: number): void {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ConvscopeError('E_ARGUMENT', `setMemoryLimit: the limit must be a positive whole number of bytes, not ${String(bytes)}`);
  }
  limit = bytes;
}

/** '512M', '2G', '1000000' -> bytes. */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*$/i.exec(text);
  const unit = m?.[2]?.[0]?.toUpperCase();
  const bytes = m ? Math.round(Number(m[1]) * (unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : 1)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ConvscopeError('E_ARGUMENT', `${what}: '${text}' is not a size; give bytes, or a number with K, M or G (e.g. 2G)`);
  }
  return bytes;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** Throws E_TOO_LARGE, naming `what` and the size it needs, when `bytes` is over the ceiling. */
export function checkMemory(bytes: number, what: string): void {
  if (!(bytes <= memoryLimit())) {
    throw new ConvscopeError(
      'E_TOO_LARGE',
      `${what} needs ${Number.isFinite(bytes) ? formatBytes(bytes) : 'an unbounded amount of memory'}, over the memory limit of ${formatBytes(memoryLimit())}; ` +
        'raise it with CONVSCOPE_MEMORY_LIMIT (e.g. 4G) or setMemoryLimit() if the size is right',
    );
  }
}
