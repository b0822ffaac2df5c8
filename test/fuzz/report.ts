// How the fuzz suite reports broken cases: kinds of breakage counted, examples of each.
import { commandLine } from '../helpers/cli-contract.ts';
import type { CaseResult } from './pool.ts';

/** A problem without its particulars (sizes, paths), to count the kinds of breakage. */
function kind(problem: string): string {
  return problem.replace(/ \(like .*?\)/, '').replace(/\S+\.npy/g, 'FILE.npy').replace(/\d+/g, 'N').replace(/: .*$/, '');
}

/** The failed cases, the first of every kind of problem first: ten examples of ten kinds beat ten of one. */
export function diverse(failed: CaseResult[]): CaseResult[] {
  const seen = new Set<string>();
  const first: CaseResult[] = [];
  for (const r of failed) {
    const ks = r.problems.map(kind);
    if (ks.some((k) => !seen.has(k))) first.push(r);
    for (const k of ks) seen.add(k);
  }
  return [...first, ...failed.filter((r) => !first.includes(r))];
}

export function kinds(results: CaseResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) for (const k of new Set(r.problems.map(kind))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('; ');
}

export function example(r: CaseResult): string {
  const last = r.outcomes[r.outcomes.length - 1];
  const output = (last?.stderr || last?.stdout || '').slice(0, 300);
  return `${r.fuzzCase.id} (${r.fuzzCase.note}): ${r.problems.join('; ')}\n    $ ${commandLine(r.fuzzCase.steps[r.outcomes.length - 1] ?? [])}\n    ${output.replace(/\n/g, '\n    ')}`;
}
