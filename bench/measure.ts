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

/** The times of repeated runs of fn; the caller has warmed it up. */
export function sample(fn: () => void, opts: MeasureOptions): number[] {
  const times: number[] = [];
  while (!enough(times, opts)) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** sample for a peer whose op returns a promise (onnxruntime's session.run); each run is awaited before the next. */
export async function sampleAsync(fn: () => unknown, opts: MeasureOptions): Promise<number[]> {
  const times: number[] = [];
  while (!enough(times, opts)) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

function enough(times: readonly number[], opts: MeasureOptions): boolean {
  const spent = times.reduce((a, b) => a + b, 0);
  return times.length >= opts.maxRuns || (times.length >= opts.minRuns && spent >= opts.budgetMs);
}

export function summarize(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { medianMs, minMs: sorted[0], maxMs: sorted[sorted.length - 1], runs: sorted.length };
}

/** One round's share of a budget, when the runs are spread over several rounds. */
export function share(opts: MeasureOptions, rounds: number): MeasureOptions {
  return { budgetMs: opts.budgetMs / rounds, minRuns: Math.ceil(opts.minRuns / rounds), maxRuns: Math.ceil(opts.maxRuns / rounds) };
}
