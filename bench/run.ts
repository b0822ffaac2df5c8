// npm run bench [-- --quick] [-- --json]: times every kernel workload on the TypeScript
// reference, the wasm scalar build and the wasm SIMD build, in one process, and prints
// medians, GFLOP/s and the SIMD/scalar and SIMD/reference ratios.
import { KERNEL_SET_NAMES, type KernelSetName } from '../src/runtime/kernel-set.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { measure, type Timing } from './measure.ts';
import { workloads } from './workloads.ts';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--quick' && a !== '--json');
if (unknown.length > 0) {
  console.error(`bench: unknown argument ${unknown[0]}; valid: --quick, --json`);
  process.exit(2);
}
const quick = args.includes('--quick');
const json = args.includes('--json');
const budgets: Record<KernelSetName, { budgetMs: number; minRuns: number; maxRuns: number }> = quick
  ? { reference: { budgetMs: 0, minRuns: 1, maxRuns: 1 }, scalar: { budgetMs: 300, minRuns: 3, maxRuns: 20 }, simd: { budgetMs: 300, minRuns: 3, maxRuns: 20 } }
  : { reference: { budgetMs: 1500, minRuns: 3, maxRuns: 10 }, scalar: { budgetMs: 1500, minRuns: 5, maxRuns: 50 }, simd: { budgetMs: 1500, minRuns: 7, maxRuns: 100 } };

interface Row {
  kernel: string;
  shape: string;
  flops: number;
  timings: Record<KernelSetName, Timing>;
}

const rows: Row[] = [];
for (const w of workloads()) {
  const timings = {} as Record<KernelSetName, Timing>;
  for (const set of KERNEL_SET_NAMES) timings[set] = withKernels(set, () => measure(w.run, budgets[set]));
  rows.push({ kernel: w.kernel, shape: w.shape, flops: w.flops, timings });
  if (!json) process.stderr.write(`.`);
}
if (!json) process.stderr.write('\n');

const gflops = (flops: number, t: Timing) => (flops > 0 ? flops / (t.medianMs * 1e6) : NaN);

if (json) {
  const out = rows.map((r) => ({
    kernel: r.kernel,
    shape: r.shape,
    flops: r.flops,
    ...Object.fromEntries(KERNEL_SET_NAMES.map((s) => [s, { ...r.timings[s], gflops: gflops(r.flops, r.timings[s]) || null }])),
    simdOverScalar: r.timings.scalar.medianMs / r.timings.simd.medianMs,
    simdOverReference: r.timings.reference.medianMs / r.timings.simd.medianMs,
  }));
  console.log(JSON.stringify({ node: process.version, quick, results: out }, null, 2));
} else {
  const fmt = (t: Timing) => `${t.medianMs.toFixed(2)} (${t.minMs.toFixed(2)}..${t.maxMs.toFixed(2)})`;
  const gf = (r: Row, s: KernelSetName) => (r.flops > 0 ? gflops(r.flops, r.timings[s]).toFixed(2) : '-');
  const header = ['kernel', 'shape', 'reference ms', 'scalar ms', 'simd ms (min..max)', 'ref GFLOP/s', 'scalar GFLOP/s', 'simd GFLOP/s', 'simd/scalar', 'simd/ref'];
  const table = rows.map((r) => [
    r.kernel, r.shape,
    r.timings.reference.medianMs.toFixed(1), r.timings.scalar.medianMs.toFixed(2), fmt(r.timings.simd),
    gf(r, 'reference'), gf(r, 'scalar'), gf(r, 'simd'),
    `${(r.timings.scalar.medianMs / r.timings.simd.medianMs).toFixed(2)}x`,
    `${(r.timings.reference.medianMs / r.timings.simd.medianMs).toFixed(1)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(`convscope kernels, Node ${process.version}, one thread, medians of repeated runs after a warm-up${quick ? ' (--quick)' : ''}`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table) console.log(line(row));
}
