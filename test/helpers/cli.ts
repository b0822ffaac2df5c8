import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source (as `npx convscope` would, minus the bundle) in a child process. */
export function cli(args: string[], cwd = root): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  // tsx by its full address, so that the CLI runs from any working folder
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'src', 'cli', 'main.ts'), ...args], {
    cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Text a user must never see: stack frames, JavaScript error names, internal function names, temporaries. */
const INTERNAL = /\n\s+at |TypeError|RangeError|ReferenceError|\bundefined\b|Aborted|\b[a-z]+[A-Z]\w*: |\.tmp\b/;

/**
 * The failure message of a CLI run: exactly one line on stderr (a usage error may add the
 * command's usage after it, starting with `Usage:`), with no internal text.
 */
export function failureLine(r: CliResult): string {
  const [first, ...more] = r.stderr.trimEnd().split('\n');
  if (more.length > 0 && !(r.status === 2 && more[0].startsWith('Usage:'))) {
    throw new Error(`expected one line on stderr, got:\n${r.stderr}`);
  }
  if (INTERNAL.test(r.stderr)) throw new Error(`internal text on stderr:\n${r.stderr}`);
  return first;
}
