// The seeded fuzz suite of issue 9: mutated copies of the shipped model (folder and .h5), of a
// digit as PNG, JPEG and .npy, and hostile command lines, each run through the CLI in a fresh
// folder. Every case must fail with one line naming the problem, or succeed with finite
// outputs; never hang, crash, print internal text, leave a file behind, or pass 1 GiB.
// `npm test` runs a quick sample; CONVSCOPE_FUZZ=full runs the long one, CONVSCOPE_FUZZ_SEED=n another.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCases } from './fuzz/cases.ts';
import { runCases, type CaseResult } from './fuzz/pool.ts';
import { diverse, example, kinds } from './fuzz/report.ts';
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
