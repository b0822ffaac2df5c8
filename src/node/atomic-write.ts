import { writeOutputs } from './output-set.ts';

/**
 * Writes a file whole or not at all: into a temporary file beside it, then renamed over it.
 * A failure names `path`, never the temporary.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeOutputs((set) => set.file(path, data));
}
