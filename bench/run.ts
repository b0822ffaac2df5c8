// npm run bench [-- --quick] [-- --json] [-- --no-peers]: times every kernel workload on the
// TypeScript reference, the wasm scalar build and the wasm SIMD build, and the same workloads
// on the same inputs through tfjs-backend-wasm, onnxruntime-web and onnxruntime-node (installed
// into bench/peers on first use), in one process; prints GFLOP/s or ms (median, min..max),
// checks each peer's output against ours, and rates issue 5's goals.
import { KERNEL_SET_NAMES, type KernelSetName } from '../src/runtime/kernel-set.ts';
import { defaultKernelSetName, withKernels } from '../src/runtime/backend.ts';
import { sample, sampleAsync, share, summarize, type MeasureOptions, type Timing } from './measure.ts';
import { workloads, type KernelName, type Output, type Workload } from './workloads.ts';
import { evaluateGoals, NOT_MEASURED_HERE, type GoalResult } from './goals.ts';
import { loadPeers } from './peers/load.ts';
import type { Peer, PeerRun } from './peers/peer.ts';
import { benchFlags } from './flags.ts';

const flags = benchFlags('bench', ['--quick', '--json', '--no-peers']);
const quick = flags['--quick'];
const json = flags['--json'];
const log = (line: string) => console.error(line);

// The TypeScript reference is 20-100x slower than the rest, so it gets fewer runs; every wasm
// kernel set and every peer gets the same budget. The full run spreads each budget over rounds
// that take turns between the engines, so a neighbour's load on this shared machine falls on
// all of them rather than on whichever was being timed then.
const budgets: { reference: MeasureOptions; others: MeasureOptions } = quick
  ? { reference: { budgetMs: 0, minRuns: 1, maxRuns: 1 }, others: { budgetMs: 300, minRuns: 3, maxRuns: 20 } }
  : { reference: { budgetMs: 1500, minRuns: 3, maxRuns: 9 }, others: { budgetMs: 2500, minRuns: 9, maxRuns: 210 } };
const ROUNDS = quick ? 1 : 3;
// The TypeScript reference runs at about 0.5 GFLOP/s: --quick leaves it out above 0.1 s a run.
const QUICK_REFERENCE_MAX_FLOPS = 5e7;

/** The semantics tolerance the golden tests use: max|out - ours| <= 1e-4 max|ours| + 1e-6, switches equal. */
interface Check {
  relDiff: number;
  switchMismatches: number | null;
  ok: boolean;
}

function check(ours: Output, theirs: Output): Check {
  let maxRef = 0;
  let maxDiff = theirs.values.length === ours.values.length ? 0 : Infinity;
  for (let i = 0; i < ours.values.length && maxDiff !== Infinity; i++) {
    maxRef = Math.max(maxRef, Math.abs(ours.values[i]));
    const d = Math.abs(ours.values[i] - theirs.values[i]);
    maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
  }
  let switchMismatches: number | null = null;
  if (ours.switches) {
    switchMismatches = 0;
    for (let i = 0; i < ours.switches.length; i++) if (ours.switches[i] !== theirs.switches?.[i]) switchMismatches++;
  }
  return { relDiff: maxRef > 0 ? maxDiff / maxRef : maxDiff, switchMismatches, ok: maxDiff <= 1e-4 * maxRef + 1e-6 && !switchMismatches };
}

interface Row {
  workload: Workload;
  timings: Record<string, Timing | undefined>;
  checks: Record<string, Check>;
}

const ours = defaultKernelSetName();
const peers: Peer[] = flags['--no-peers'] ? [] : await loadPeers(log);
const notes = new Set<string>();
if (quick) notes.add(`reference: not timed in --quick where a workload exceeds ${QUICK_REFERENCE_MAX_FLOPS / 1e6} MFLOP (0.1 to 0.7 s a run); the full run times it`);
for (const p of peers) p.notes.forEach((n) => notes.add(n));

/** One workload on one kernel set or peer, warmed up; a peer's output has been checked against ours. */
interface Engine {
  name: string;
  sample: (opts: MeasureOptions) => number[] | Promise<number[]>;
  dispose: () => unknown;
}

async function prepareEngines(w: Workload, expected: Output, row: Row): Promise<Engine[]> {
  const list: Engine[] = [];
  for (const set of KERNEL_SET_NAMES) {
    if (quick && set === 'reference' && w.flops > QUICK_REFERENCE_MAX_FLOPS) continue;
    withKernels(set, w.run);
    list.push({ name: set, sample: (opts) => withKernels(set, () => sample(w.run, opts)), dispose: () => {} });
  }
  for (const peer of peers) {
    let prepared: PeerRun | null = null;
    try {
      prepared = await peer.prepare(w);
      if (!prepared) continue;
      row.checks[peer.name] = check(expected, await prepared.output());
      const run = prepared;
      list.push({ name: peer.name, sample: (opts) => sampleAsync(() => run.run(), opts), dispose: () => run.dispose() });
    } catch (e) {
      log(`bench: ${peer.name} failed on ${w.kernel} ${w.shape} (${firstLine(e)})`);
      await prepared?.dispose();
    }
  }
  return list;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

const rows: Row[] = [];
for (const w of workloads()) {
  const row: Row = { workload: w, timings: {}, checks: {} };
  const expected = withKernels(ours, w.run);
  const list = await prepareEngines(w, expected, row);
  const times = new Map(list.map((e) => [e.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const e of list) {
      const sofar = times.get(e.name);
      if (!sofar) continue;
      try {
        sofar.push(...await e.sample(share(e.name === 'reference' ? budgets.reference : budgets.others, ROUNDS)));
      } catch (err) {
        log(`bench: ${e.name} failed on ${w.kernel} ${w.shape} (${firstLine(err)})`);
        times.delete(e.name);
      }
    }
  }
  for (const [name, t] of times) row.timings[name] = summarize(t);
  for (const e of list) await e.dispose();
  rows.push(row);
  if (!json) process.stderr.write('.');
}
if (!json) process.stderr.write('\n');

const goals = evaluateGoals(rows.map((r) => ({ kernel: r.workload.kernel, shape: r.workload.shape, timings: r.timings })), ours);
const engines = [...KERNEL_SET_NAMES, ...peers.map((p) => p.name)];
const gflops = (flops: number, ms: number) => flops / (ms * 1e6);
const ratio = (row: Row, slow: string, fast: string) => {
  const [s, f] = [row.timings[slow], row.timings[fast]];
  return s && f ? s.medianMs / f.medianMs : null;
};

if (json) {
  const results = rows.map((r) => ({
    kernel: r.workload.kernel,
    shape: r.workload.shape,
    flops: r.workload.flops,
    timings: Object.fromEntries(engines.map((e) => {
      const t = r.timings[e];
      return [e, t ? { ...t, gflops: r.workload.flops > 0 ? gflops(r.workload.flops, t.medianMs) : null } : null];
    })),
    simdOverScalar: ratio(r, 'scalar', 'simd'),
    simdOverReference: ratio(r, 'reference', 'simd'),
    checks: Object.fromEntries(Object.entries(r.checks).map(([p, c]) => [p, { ...c, relDiff: Number.isFinite(c.relDiff) ? c.relDiff : null }])),
  }));
  console.log(JSON.stringify({
    node: process.version, quick, ours,
    peers: peers.map((p) => ({ name: p.name, description: p.description })),
    notes: [...notes], results, goals, notMeasuredHere: NOT_MEASURED_HERE,
  }, null, 2));
} else {
  printText();
}

function table(header: string[], body: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)];
}

function cell(w: Workload, t: Timing | undefined): string {
  if (!t) return '-';
  if (w.flops === 0) return `${t.medianMs.toFixed(2)} (${t.minMs.toFixed(2)}..${t.maxMs.toFixed(2)})`;
  const g = (ms: number) => {
    const v = gflops(w.flops, ms);
    return v.toFixed(v < 1 ? 2 : 1);
  };
  return `${g(t.medianMs)} (${g(t.maxMs)}..${g(t.minMs)})`;
}

function printText(): void {
  const out: string[] = [];
  out.push(`convscope kernels and peers, Node ${process.version}, one thread unless said, medians of repeated runs after a warm-up${quick ? ' (--quick)' : `, in ${ROUNDS} rounds taking turns`}`);
  out.push(`ours: ${ours} (the kernel set convscope picks here)`);
  for (const p of peers) out.push(`${p.name}: ${p.description}`);
  if (peers.length === 0) out.push('peers: none' + (flags['--no-peers'] ? ' (--no-peers)' : ''));

  const kernels = [...new Set(rows.map((r) => r.workload.kernel))];
  for (const kernel of kernels) {
    const group = rows.filter((r) => r.workload.kernel === kernel);
    const unit = group[0].workload.flops > 0 ? 'GFLOP/s' : 'ms';
    const shown = engines.filter((e) => KERNEL_SET_NAMES.includes(e as KernelSetName) || group.some((r) => r.timings[e]));
    const [shapeArgs] = group[0].workload.shape.split('=');
    const header = [shapeArgs, ...shown.slice(0, KERNEL_SET_NAMES.length), 'simd/scalar', 'simd/ref', ...shown.slice(KERNEL_SET_NAMES.length)];
    const body = group.map((r) => {
      const x = (slow: string) => ratio(r, slow, 'simd')?.toFixed(slow === 'reference' ? 0 : 2).concat('x') ?? '-';
      const cells = shown.map((e) => cell(r.workload, r.timings[e]));
      return [r.workload.shape.split('=')[1], ...cells.slice(0, KERNEL_SET_NAMES.length), x('scalar'), x('reference'), ...cells.slice(KERNEL_SET_NAMES.length)];
    });
    out.push('', `${kernel}, ${unit} median (min..max)`, ...table(header, body));
  }

  if (peers.length > 0) {
    out.push('', "Checks: each peer's output against ours on every workload (max|theirs - ours| / max|ours|, within 1e-4; max-pool switches must be equal)");
    for (const p of peers) {
      const byKernel = new Map<KernelName, { worst: number; switches: number; bad: string[]; n: number }>();
      for (const r of rows) {
        const c = r.checks[p.name];
        if (!c) continue;
        const k = byKernel.get(r.workload.kernel) ?? { worst: 0, switches: 0, bad: [], n: 0 };
        k.worst = Math.max(k.worst, c.relDiff);
        k.switches += c.switchMismatches ?? 0;
        k.n++;
        if (!c.ok) k.bad.push(r.workload.shape);
        byKernel.set(r.workload.kernel, k);
      }
      const parts = [...byKernel].map(([kernel, k]) => `${kernel} ${k.worst.toExponential(1)}${k.switches ? `, ${k.switches} switches differ` : ''}` +
        (k.bad.length ? ` MISMATCH on ${k.bad.length} of ${k.n}` : ` ok (${k.n})`));
      out.push(`  ${p.name}: ${parts.join('; ')}`);
    }
  }

  out.push('', `Goals (issue 5): ratio of medians from this run, ours = ${ours}`);
  const fmtGoal = (g: GoalResult) => [g.goal, g.shape, g.ratio === null ? '-' : `${g.ratio.toFixed(2)}x`, g.target, g.met === null ? 'NOT MEASURED' : g.met ? 'met' : 'NOT MET'];
  out.push(...table(['goal', 'shape', 'ratio', 'target', ''], goals.map(fmtGoal)));
  out.push(`${goals.filter((g) => g.met).length} of ${goals.length} met. Not measured by this runner: ${NOT_MEASURED_HERE.join('; ')}.`);
  if (notes.size > 0) out.push('', 'Notes:', ...[...notes].map((n) => `  - ${n}`));
  console.log(out.join('\n'));
}
