// Issue 5's goals that the kernel bench can measure, each a ratio of medians taken in the same
// run, so a slow or noisy machine moves both sides together.
import type { Timing } from './measure.ts';
import type { KernelName } from './workloads.ts';

export interface MeasuredRow {
  kernel: KernelName;
  shape: string;
  /** By engine: a kernel set name or a peer name; absent where not timed. */
  timings: Record<string, Timing | undefined>;
}

export interface GoalResult {
  goal: string;
  shape: string;
  /** null where a side was not timed (a peer that did not load, a skipped run). */
  ratio: number | null;
  target: string;
  met: boolean | null;
}

export const NOT_MEASURED_HERE = ['VGG16, occlusion and the MNIST model end to end (bench:models)'];

/** The big shapes the two-thread goal is about. */
const TWO_THREAD_SHAPES = /^(M,N,K=512,512,512|H,W,KH,KW,S,Cin,Cout=(56,56,3,3,1,64,64|28,28,3,3,1,128,128|14,14,3,3,1,256,256) same)$/;

/** `ours` is the kernel set convscope runs on by default. Ratios read "how many times faster we are", except backward/forward. */
export function evaluateGoals(rows: readonly MeasuredRow[], ours: string): GoalResult[] {
  const results: GoalResult[] = [];
  const ms = (row: MeasuredRow, engine: string) => row.timings[engine]?.medianMs;
  const ratioOf = (num: number | undefined, den: number | undefined) => (num !== undefined && den !== undefined ? num / den : null);

  const faster = (goal: string, kernels: readonly KernelName[], peer: string, atLeast: number, strictly = false) => {
    for (const row of rows.filter((r) => kernels.includes(r.kernel))) {
      const ratio = ratioOf(ms(row, peer), ms(row, ours));
      const met = ratio === null ? null : strictly ? ratio > atLeast : ratio >= atLeast;
      results.push({ goal, shape: row.shape, ratio, target: `${strictly ? '>' : '>='} ${atLeast}x`, met });
    }
  };

  faster('matmul and conv2d vs tfjs-wasm', ['matmul', 'conv2d'], 'tfjs-wasm', 1.2);
  faster('backward data vs ort-web', ['conv2d_backward_data'], 'ort-web', 1.2);
  faster('backward data vs tfjs-wasm', ['conv2d_backward_data'], 'tfjs-wasm', 10);
  for (const row of rows.filter((r) => r.kernel === 'conv2d_backward_data')) {
    const forward = rows.find((r) => r.kernel === 'conv2d' && r.shape === row.shape);
    const ratio = ratioOf(ms(row, ours), forward && ms(forward, ours));
    results.push({ goal: 'backward data time / our forward time', shape: row.shape, ratio, target: '<= 1.2x', met: ratio === null ? null : ratio <= 1.2 });
  }
  for (const row of rows.filter((r) => (r.kernel === 'matmul' || r.kernel === 'conv2d') && TWO_THREAD_SHAPES.test(r.shape))) {
    const ratio = ratioOf(ms(row, 'simd'), ms(row, 'simd-2t'));
    results.push({ goal: 'two threads (simd-2t) vs one (simd)', shape: row.shape, ratio, target: '>= 1.8x', met: ratio === null ? null : ratio >= 1.8 });
  }
  for (const peer of ['tfjs-wasm', 'ort-web', 'ort-node', 'ort-node x2']) {
    faster(`max-pool with switches vs ${peer}`, ['max_pool2d_switches'], peer, 1, true);
  }
  return results;
}
