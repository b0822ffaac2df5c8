// The seeded fuzz suite of issue 9: mutated copies of the shipped model (folder and .h5), of a
// digit as PNG, JPEG and .npy, and hostile command lines, each run through the CLI in a fresh
// folder. Every case must fail with one line naming the problem, or succeed with finite
// outputs; never hang, crash, print internal text, leave a file behind, or pass 1 GiB.
// `npm test` runs a quick sample; CONVSCOPE_FUZZ=full runs the long one, CONVSCOPE_FUZZ_SEED=n another.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandLine } from './helpers/cli-contract.ts';
import { buildCases } from './fuzz/cases.ts';
import { runCases, type CaseResult } from './fuzz/pool.ts';
import { seeds, H5_PATH } from './fuzz/seeds.ts';

const FULL = process.env.CONVSCOPE_FUZZ === 'full';
const SEED = Number(process.env.CONVSCOPE_FUZZ_SEED ?? 9);
const EXAMPLES = 10;

const s = seeds();
if (s.h5 === undefined) console.log(`fuzz: the h5 category is skipped: ${H5_PATH} is absent`);
const cases = buildCases(FULL, SEED, s);
const categories = [...new Set(cases.map((c) => c.category))];

let started = 0;
let results: Promise<CaseResult[]> | undefined;
function allResults(): Promise<CaseResult[]> {
  started ||= Date.now();
  return (results ??= runCases(cases, { size: 2, timeoutMs: FULL ? 20_000 : 10_000 }));
}

/** A problem without its particulars (sizes, paths), to count the kinds of breakage. */
function kind(problem: string): string {
  return problem.replace(/ \(like .*?\)/, '').replace(/\S+\.npy/g, 'FILE.npy').replace(/\d+/g, 'N').replace(/: .*$/, '');
}

/** The failed cases, the first of every kind of problem first: ten examples of ten kinds beat ten of one. */
function diverse(failed: CaseResult[]): CaseResult[] {
  const seen = new Set<string>();
  const first: CaseResult[] = [];
  for (const r of failed) {
    const ks = r.problems.map(kind);
    if (ks.some((k) => !seen.has(k))) first.push(r);
    for (const k of ks) seen.add(k);
  }
  return [...first, ...failed.filter((r) => !first.includes(r))];
}

function kinds(results: CaseResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) for (const k of new Set(r.problems.map(kind))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('; ');
}

function example(r: CaseResult): string {
  const last = r.outcomes[r.outcomes.length - 1];
  const output = (last?.stderr || last?.stdout || '').slice(0, 300);
  return `${r.fuzzCase.id} (${r.fuzzCase.note}): ${r.problems.join('; ')}\n    $ ${commandLine(r.fuzzCase.steps[r.outcomes.length - 1] ?? [])}\n    ${output.replace(/\n/g, '\n    ')}`;
}

for (const category of categories) {
  test(`fuzz ${category}: each case fails with one clear line or succeeds with finite outputs`, async () => {
    const mine = (await allResults()).filter((r) => r.fuzzCase.category === category);
    const failed = mine.filter((r) => r.problems.length > 0);
    const shown = diverse(failed).slice(0, EXAMPLES).map(example).join('\n  ');
    assert.ok(failed.length === 0, `${failed.length} of ${mine.length} ${category} cases (seed ${SEED}) broke the contract; the first ${Math.min(EXAMPLES, failed.length)}:\n  ${shown}\n`);
  });
}

test.after(async () => {
  if (!results) return;
  const all = await results;
  console.log(`\nfuzz (${FULL ? 'full' : 'quick'}, seed ${SEED}): ${all.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const category of categories) {
    const mine = all.filter((r) => r.fuzzCase.category === category);
    const failed = mine.filter((r) => r.problems.length > 0).length;
    console.log(`  ${category.padEnd(14)} ${String(mine.length).padStart(5)} cases ${String(mine.length - failed).padStart(5)} passed ${String(failed).padStart(5)} failed`);
    if (failed > 0) console.log(`      ${kinds(mine)}`);
  }
});

test.run();
