import { realpathSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import { ConvscopeError } from '../errors.ts';
import { checkOutputTarget } from '../node/output-set.ts';
import { UsageError } from './errors.ts';

export interface OutputRequest {
  /** The option that named it, for messages: '--out', '--overlay', 'DIR'. */
  option: string;
  path: string;
  /** The endings a file output may have; none for a folder. */
  endings?: string[];
  /** For a folder output: the file that marks a folder this output may replace (see checkOutputTarget). */
  folderMarker?: string;
}

/**
 * Checks every output of a command before any work: a name with an allowed ending, in a folder
 * that exists and accepts files, not one of the inputs (a folder output must not hold one either)
 * and not another output. Absent requests (options not given) are skipped.
 */
export function checkOutputs(requests: (OutputRequest | undefined)[], inputs: string[]): void {
  const given = requests.filter((r): r is OutputRequest => r !== undefined);
  given.forEach((r, i) => {
    const name = `${r.option} ${r.path}`;
    if (r.path.trim() === '') throw new UsageError(`${r.option} must name a ${r.endings ? 'file' : 'folder'}, not '${r.path}'`);
    if (r.endings && !r.endings.some((e) => r.path.toLowerCase().endsWith(e))) {
      throw new UsageError(`${name}: the output must end in ${r.endings.join(' or ')}`);
    }
    for (const input of inputs) {
      if (samePath(r.path, input)) throw new UsageError(`${name} is the input ${input}; writing it would overwrite the input, choose another name`);
      if (!r.endings && isInside(input, r.path)) throw new UsageError(`${name} holds the input ${input}, which replacing the folder would delete; choose another folder`);
    }
    const twin = given.slice(0, i).find((o) => samePath(o.path, r.path));
    if (twin) throw new UsageError(`${name} is the same file as ${twin.option}; give each output its own name`);
    try {
      checkOutputTarget(r.path, r.folderMarker);
    } catch (e) {
      if (e instanceof ConvscopeError) throw new UsageError(`${r.option} ${e.message}`);
      throw e;
    }
  });
}

/** The same file after resolving `..`, symbolic links and the working folder. */
function samePath(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(canonical(dir), canonical(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
