import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { npyProblems, outcomeProblems, type Outcome } from '../helpers/cli-contract.ts';

/** One fuzz case: the files of its folder and the command lines to run in it. */
export interface FuzzCase {
  category: string;
  /** `category#n`: n is the case's number, which with the suite's seed regenerates it. */
  id: string;
  /** What was mutated, for the report. */
  note: string;
  /** Relative path -> content; a path ending in '/' is an empty folder. */
  files: Record<string, Uint8Array | string>;
  /** Relative path -> what a symbolic link points at (a device, say). */
  links?: Record<string, string>;
  /** Named pipes to create (mkfifo). */
  fifos?: string[];
  /** The first is the case; a later one runs only after the previous succeeded, and must succeed. */
  steps: string[][];
  /** Set where the command line is invalid on its face: the case must fail. */
  mustFail?: boolean;
  /** The files the command reads (default: every file): these must be left as they were. */
  inputs?: string[];
  /** Run as a real process (dist/cli.js) rather than in a pool child: for pipes, devices, stdin. */
  process?: boolean;
}

export function materialize(c: FuzzCase, dir: string): void {
  for (const [path, content] of Object.entries(c.files)) {
    const full = join(dir, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  for (const [path, target] of Object.entries(c.links ?? {})) symlinkSync(target, join(dir, path));
  for (const path of c.fifos ?? []) execFileSync('mkfifo', [join(dir, path)]);
}

/** Every path under dir, folders with a trailing '/'. */
function entries(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix))) {
    const path = prefix + name;
    if (lstatSync(join(dir, path)).isDirectory()) out.push(path + '/', ...entries(dir, path + '/'));
    else out.push(path);
  }
  return out;
}

function inputPaths(c: FuzzCase): Set<string> {
  const paths = new Set([...Object.keys(c.links ?? {}), ...(c.fifos ?? [])]);
  for (const path of Object.keys(c.files)) {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) paths.add(parts.slice(0, i).join('/') + '/');
    paths.add(path);
  }
  return paths;
}

/** What is wrong with a case, judged from its outcomes and what is left in its folder. */
export function caseProblems(c: FuzzCase, dir: string, outcomes: Outcome[]): string[] {
  const problems = outcomes.flatMap((o, i) => outcomeProblems(o, i > 0 ? true : c.mustFail ? false : undefined).map((p) => (i > 0 ? `then \`${c.steps[i].join(' ')}\`: ${p}` : p)));
  const inputs = inputPaths(c);
  const read = (path: string) => c.inputs === undefined || c.inputs.some((i) => path === i || path.startsWith(i + '/'));
  for (const [path, content] of Object.entries(c.files)) {
    if (path.endsWith('/') || !read(path)) continue;
    let now: Uint8Array | undefined;
    try {
      now = readFileSync(join(dir, path));
    } catch {
      now = undefined;
    }
    const before = typeof content === 'string' ? Buffer.from(content) : content;
    if (now === undefined || Buffer.compare(Buffer.from(now), Buffer.from(before)) !== 0) problems.push(`the input ${path} was changed or removed`);
  }
  const created = entries(dir).filter((p) => !inputs.has(p));
  if (outcomes[0]?.status !== 0) {
    if (created.length > 0) problems.push(`failed but left behind: ${created.slice(0, 5).join(', ')}`);
  } else {
    for (const path of created.filter((p) => p.endsWith('.npy'))) problems.push(...npyProblems(readFileSync(join(dir, path)), path));
  }
  return problems;
}
