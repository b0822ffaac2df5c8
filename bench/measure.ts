/** Timing of one workload: median of repeated runs after a warm-up, with min and max. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface MeasureOptions {
  /** Stop repeating once this much time went into timed runs (at least minRuns are made). */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
}

export function measure(fn: () => void, opts: MeasureOptions): Timing {
  fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < opts.maxRuns && (times.length < opts.minRuns || spent < opts.budgetMs)) {
    const start = performance.now();
    fn();
    const ms = performance.now() - start;
    times.push(ms);
    spent += ms;
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], maxMs: times[times.length - 1], runs: times.length };
}
